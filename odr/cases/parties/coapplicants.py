"""Other applicants named at filing take part in their case.

An application may name several applicants; the filer is one of them (or
files as an agent for one). Each other applicant — and an agent's principal —
is joined at filing the way a respondent is at acceptance:

- a verified party account whose identity document is the applicant's (keyed
  look-up hash, L2) is linked at once: the case is in that user's list, with
  an in-app notice;
- anyone else gets an SMS with a one-time link (``/respond/{token}``, the same
  claim as a respondent's, ``odr.cases.parties.invitations.claim``): signing in
  with a verified account whose document matches links the applicant later.
  The link stays usable for ``LINK_DAYS`` or until the case ends; no answer is
  asked (the applicants consented when filing, L1).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.accounts.models import IdentityLevel, Role, User
from odr.accounts.service import DOC_CONTEXT
from odr.cases.models import Case, CaseParticipant, CaseParty, CaseRole
from odr.cases.parties.invitations import respond_link, token_hash
from odr.cases.parties.models import InvitationChannel, RespondentInvitation
from odr.cases.transitions import Who, add_event
from odr.clock import to_local
from odr.db.uow import UnitOfWork
from odr.notify.messages import NotificationRequest, queue_notification
from odr.notify.service import queue_for_user

if TYPE_CHECKING:
    from odr.services import Services

LINK_DAYS = 30


async def _account_of(
    uow: UnitOfWork, services: Services, party: CaseParty, number: str
) -> User | None:
    """The verified, active party account whose identity document is ``number``."""
    lookup = services.crypto.lookup_hash(number, context=DOC_CONTEXT)
    return (await uow.session.execute(
        select(User).where(
            User.id_doc_type == party.id_doc_type, User.id_doc_lookup == lookup,
            User.role == Role.PARTY, User.identity_level != IdentityLevel.NONE,
            User.is_active.is_(True),
        )
    )).scalar_one_or_none()


async def join_co_applicants(
    uow: UnitOfWork, services: Services, case: Case, parties: list[tuple[CaseParty, str]],
    *, filer: str, who: Who, referred: bool = False,
) -> None:
    """Link or invite each applicant party of ``parties`` (party, its document number in clear)
    that no user stands for yet.

    ``referred``: the case was brought by a court or an institution's desk (``filer``
    names it), so the messages say so instead of naming a co-applicant's filing.
    """
    linked_template = "applicant_linked" if referred else "co_applicant_linked"
    invitation_template = "applicant_invitation" if referred else "co_applicant_invitation"
    now = services.clock.now()
    session = uow.session
    for party, number in parties:
        if party.user_id is not None:
            continue
        user = await _account_of(uow, services, party, number)
        taken = user is not None and (await session.execute(select(CaseParticipant.id).where(
            CaseParticipant.case_id == case.id, CaseParticipant.user_id == user.id,
            CaseParticipant.role == CaseRole.APPLICANT,
        ))).first() is not None
        context = {"filer": filer, "number": case.number}
        if user is not None and not taken:
            party.user_id = user.id
            session.add(CaseParticipant(case_id=case.id, user_id=user.id,
                                        role=CaseRole.APPLICANT, party_id=party.id,
                                        created_at=now))
            await session.flush()
            await queue_for_user(uow, services.clock, user, template=linked_template,
                                 context={**context, "name": user.real_name},
                                 idempotency_key=f"co-applicant-linked:{party.id}")
            await add_event(uow, services, case, "co_applicant_joined", who,
                            data={"party_id": party.id, "linked": "account"})
            continue
        token = secrets.token_urlsafe(32)
        invitation = RespondentInvitation(
            case_id=case.id, party_id=party.id, channel=InvitationChannel.SMS,
            token_hash=token_hash(token), created_at=now,
            expires_at=now + timedelta(days=LINK_DAYS),
        )
        session.add(invitation)
        await session.flush()
        await queue_notification(uow, services.clock, NotificationRequest(
            template=invitation_template, channel="sms", recipient=party.mobile,
            context={**context, "name": party.name, "link": respond_link(services, token),
                     "due": f"{to_local(invitation.expires_at):%Y-%m-%d %H:%M}"},
        ), idempotency_key=f"respondent-invitation:{invitation.id}")  # scrubbed like a respondent's
        await add_event(uow, services, case, "co_applicant_invited", who,
                        data={"party_id": party.id, "invitation_id": invitation.id})

