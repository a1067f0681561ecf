"""Issuing query passwords: to every party when the case is accepted, again on a party's request.

The password goes to the party's mobile on file by SMS (template
``case_query_password``); only its keyed hash is stored. A new password
replaces the old one at once. Each issue is audited (``case.query_password_issued``)
without the password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.lifecycle import CaseEventKind
from odr.cases.models import Case, CaseParty
from odr.cases.progress.passwords import hash_query_password, new_query_password, shown
from odr.cases.transitions import TransitionContext, Who, on_transition
from odr.db.uow import UnitOfWork
from odr.notify.messages import NotificationRequest, queue_notification
from odr.notify.templates import mask_mobile

if TYPE_CHECKING:
    from odr.services import Services

TEMPLATE = "case_query_password"


async def issue_query_password(
    uow: UnitOfWork, services: Services, case: Case, party: CaseParty, who: Who, *, reason: str
) -> str:
    """Give ``party`` a new query password and queue it by SMS; returns the masked mobile."""
    password = new_query_password()
    party.query_password_hash = hash_query_password(services.crypto, party.id, password)
    locale = "zh-CN"
    if party.user_id is not None:
        user_locale = (
            await uow.session.execute(select(User.locale).where(User.id == party.user_id))
        ).scalar_one_or_none()
        locale = user_locale or locale
    await queue_notification(
        uow,
        services.clock,
        NotificationRequest(
            template=TEMPLATE, channel="sms", recipient=party.mobile, locale=locale,
            user_id=party.user_id,
            context={"case_number": case.number, "password": shown(password)},
        ),
        # One message per issue: the hash differs for every new password.
        idempotency_key=f"case-query-password:{party.id}:{party.query_password_hash[-16:]}",
    )
    sent_to = mask_mobile(party.mobile)
    await record(
        uow, services.clock, action="case.query_password_issued", actor_id=who.user_id,
        actor_label=who.label, subject_type="case", subject_id=case.id,
        data={"number": case.number, "party_id": party.id, "reason": reason, "sent_to": sent_to},
    )
    return sent_to


@on_transition(CaseEventKind.ACCEPT)
async def issue_on_acceptance(services: Services, uow: UnitOfWork, ctx: TransitionContext) -> None:
    """L3: each party gets its query password when the case is accepted."""
    parties = (
        await uow.session.execute(
            select(CaseParty).where(CaseParty.case_id == ctx.case.id).order_by(CaseParty.id)
        )
    ).scalars()
    for party in parties:
        await issue_query_password(uow, services, ctx.case, party, ctx.who, reason="accepted")
