"""Asking each respondent whether it agrees to mediate (L8), by SMS link or in the workspace.

When a case is accepted every respondent party gets a ``RespondentInvitation``
and a ``respondent_reply`` deadline (L36 days, ``settings.respondent_reply_days``)
about that party. A party without an account receives a one-time link
``{public_base_url}/respond/{token}`` by SMS: the link shows a summary only
(L3); a signed-in, verified user whose ID document is the party's claims it
and becomes the respondent (L2). The respondent (or its agent) then agrees or
refuses; a refusal, or silence past the deadline, ends the mediation (L8).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import Role, User
from odr.accounts.service import DOC_CONTEXT
from odr.audit.chain import record
from odr.cases.deadlines.service import close_deadlines, open_deadline
from odr.cases.intake.notice import current_notice, require_current_notice
from odr.cases.lifecycle import TERMINAL, CaseEventKind, CaseStatus, EndGround
from odr.cases.models import (
    Case,
    CaseParticipant,
    CaseParty,
    CaseRole,
    Consent,
    ConsentDecision,
    ConsentStage,
    Deadline,
    DeadlineStatus,
    Side,
)
from odr.cases.parties.authorizations import parties_acted_for
from odr.cases.parties.consents import add_consent
from odr.cases.parties.models import (
    InvitationAnswer,
    InvitationChannel,
    InvitationLookupFailure,
    RespondentInvitation,
)
from odr.cases.transitions import Who, add_event, load_case_for_update, transition
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound, OdrError, TooManyRequests, ValidationFailed
from odr.notify.messages import NotificationRequest, queue_notification
from odr.notify.service import queue_for_user
from odr.policy import Actor, CaseView, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services

REPLY_KIND = "respondent_reply"
PARTY_SUBJECT = "case_party"
PARTY_DOC_CONTEXT = "case_party.id_doc"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class Gone(OdrError):
    """The link existed but can no longer be used (used, expired, or the case ended)."""

    status, code = 410, "gone"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def respond_link(services: Services, token: str) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}/respond/{token}"


def due_text(last_day: date) -> str:
    """L36: a period ends at 24:00 (Asia/Shanghai) of its last day."""
    return f"{last_day:%Y-%m-%d} 24:00"


# ---- asking (at acceptance) ---------------------------------------------------------


async def _party_names(session: AsyncSession, case_id: int, side: str) -> list[str]:
    return list((await session.execute(
        select(CaseParty.name).where(CaseParty.case_id == case_id, CaseParty.side == side)
        .order_by(CaseParty.id)
    )).scalars())


async def _has_agreed(session: AsyncSession, case_id: int, party_id: int) -> bool:
    found = (await session.execute(
        select(Consent.id).where(
            Consent.case_id == case_id, Consent.party_id == party_id,
            Consent.stage == ConsentStage.MEDIATION_ONLINE,
            Consent.decision == ConsentDecision.AGREE,
        ).limit(1)
    )).scalar_one_or_none()
    return found is not None


async def invite_respondents(
    uow: UnitOfWork, services: Services, case: Case, who: Who | None = None
) -> list[RespondentInvitation]:
    """Ask every respondent party not yet asked (and not already agreed) — L8.

    An unlinked party gets an SMS with a one-time link (only the token's hash is
    kept); a party linked to a user is asked in the workspace. Each gets a
    ``respondent_reply`` deadline about the party.
    """
    session = uow.session
    now = services.clock.now()
    who = who or Who.system("invitations")
    respondents = list((await session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.side == Side.RESPONDENT)
        .order_by(CaseParty.id)
    )).scalars())
    applicant = "、".join(await _party_names(session, case.id, Side.APPLICANT)) or case.title
    created: list[RespondentInvitation] = []
    for party in respondents:
        asked = (await session.execute(
            select(RespondentInvitation.id).where(
                RespondentInvitation.party_id == party.id, RespondentInvitation.closed_at.is_(None)
            )
        )).first()
        if asked is not None or await _has_agreed(session, case.id, party.id):
            continue
        deadline = await open_deadline(
            uow, services, case, REPLY_KIND, services.settings.respondent_reply_days, rule="L8",
            subject_type=PARTY_SUBJECT, subject_id=party.id, who=who,
        )
        token = secrets.token_urlsafe(32) if party.user_id is None else None
        invitation = RespondentInvitation(
            case_id=case.id, party_id=party.id,
            channel=InvitationChannel.SMS if token else InvitationChannel.INAPP,
            token_hash=token_hash(token) if token else None, created_at=now,
            expires_at=deadline.due_at,
            claimed_at=None if token else now, claimed_by_id=party.user_id,
        )
        session.add(invitation)
        await session.flush()
        context = {
            "applicant": applicant, "number": case.number, "due": due_text(deadline.last_day),
        }
        user = await session.get(User, party.user_id) if party.user_id else None
        if token is not None:
            await queue_notification(uow, services.clock, NotificationRequest(
                template="respondent_invitation", channel="sms", recipient=party.mobile,
                context={**context, "name": party.name, "link": respond_link(services, token)},
            ), idempotency_key=f"respondent-invitation:{invitation.id}")
        elif user is not None:
            await queue_for_user(
                uow, services.clock, user, template="respondent_question",
                context={**context, "name": user.real_name},
                idempotency_key=f"respondent-invitation:{invitation.id}",
            )
        await add_event(uow, services, case, "respondent_invited", who, data={
            "invitation_id": invitation.id, "party_id": party.id, "channel": invitation.channel,
            "deadline_id": deadline.id,
        })
        created.append(invitation)
    return created


# ---- the link: summary and claim (public, throttled) ---------------------------------


async def _throttle(session: AsyncSession, services: Services, address: str) -> None:
    """429 once an address has guessed ``invitation_max_failures_per_address`` wrong links."""
    settings = services.settings
    now = services.clock.now()
    window = timedelta(minutes=settings.invitation_failure_window_minutes)
    limit = settings.invitation_max_failures_per_address
    times = list((await session.execute(
        select(InvitationLookupFailure.at)
        .where(InvitationLookupFailure.address == address[:64],
               InvitationLookupFailure.at > now - window)
        .order_by(InvitationLookupFailure.at.desc())
        .limit(limit)
    )).scalars())
    if len(times) >= limit:
        seconds = max(1, math.ceil((times[-1] + window - now).total_seconds()))
        raise TooManyRequests(
            "too many wrong invitation links from this network address; "
            f"try again in {seconds} seconds",
            code="throttled", details={"retry_after": seconds, "scope": "address"},
        )


async def _count_failure(services: Services, address: str) -> None:
    async with services.db.uow() as uow:
        uow.session.add(InvitationLookupFailure(address=address[:64], at=services.clock.now()))


async def _find(
    session: AsyncSession, token: str, *, lock: bool = False
) -> RespondentInvitation | None:
    if not _TOKEN_SHAPE.match(token):
        return None
    stmt = select(RespondentInvitation).where(RespondentInvitation.token_hash == token_hash(token))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


def _refuse_unusable(invitation: RespondentInvitation, case: Case, now: datetime) -> None:
    if invitation.claimed_at is not None:
        raise Gone(
            "this invitation link has already been used; sign in to see the case",
            code="invitation_used",
        )
    if case.status in TERMINAL or invitation.closed_at is not None:
        raise Gone("the mediation this invitation was about has ended", code="invitation_closed")
    if invitation.expires_at <= now:
        raise Gone("this invitation expired: the time to answer has passed (L8)",
                   code="invitation_expired")


@dataclass(frozen=True)
class InvitationSummary:
    side: str  # respondent (asked whether it agrees, L8) or applicant (a co-applicant joins)
    case_number: str
    applicant_names: list[str]
    category: str
    claim_amount_fen: int
    due_at: datetime
    last_day: date
    notice_version: str


async def _lookup(
    services: Services, token: str, address: str
) -> tuple[RespondentInvitation, Case]:
    async with services.db.reader() as reader:
        await _throttle(reader.session, services, address)
        invitation = await _find(reader.session, token)
        case = await reader.session.get(Case, invitation.case_id) if invitation else None
    if invitation is None or case is None:
        await _count_failure(services, address)
        raise NotFound("no such invitation: check the link in the SMS", code="invitation_unknown")
    return invitation, case


async def invitation_summary(services: Services, token: str, address: str) -> InvitationSummary:
    """What the link shows before sign-in: progress-level facts only, nothing restricted (L3)."""
    invitation, case = await _lookup(services, token, address)
    _refuse_unusable(invitation, case, services.clock.now())
    async with services.db.reader() as reader:
        applicants = await _party_names(reader.session, case.id, Side.APPLICANT)
        party = await reader.session.get(CaseParty, invitation.party_id)
        deadline = (await reader.session.execute(
            select(Deadline).where(
                Deadline.case_id == case.id, Deadline.kind == REPLY_KIND,
                Deadline.subject_type == PARTY_SUBJECT, Deadline.subject_id == invitation.party_id,
            ).order_by(Deadline.id.desc()).limit(1)
        )).scalar_one_or_none()
    last_day = deadline.last_day if deadline else invitation.expires_at.date()
    return InvitationSummary(
        side=party.side if party else Side.RESPONDENT, case_number=case.number, applicant_names=applicants, category=case.category,
        claim_amount_fen=case.claim_amount_fen, due_at=invitation.expires_at, last_day=last_day,
        notice_version=current_notice().version,
    )


@dataclass(frozen=True)
class Claimed:
    case_id: int
    party_id: int
    side: str = Side.RESPONDENT


def _user_is_party(services: Services, user: User, party: CaseParty) -> bool:
    """Compare the account's ID document with the party's, through the party's keyed hash (L2)."""
    if user.id_doc_number_enc is None:
        return False
    number = services.crypto.decrypt(user.id_doc_number_enc, context=DOC_CONTEXT)
    return secrets.compare_digest(
        services.crypto.lookup_hash(number, context=PARTY_DOC_CONTEXT), party.id_doc_lookup
    )


async def claim(services: Services, actor: Actor, token: str, address: str) -> Claimed:
    """Link the signed-in, verified user to the respondent party the link was sent to (L2)."""
    await _lookup(services, token, address)  # throttle, count unknown tokens
    mismatch: tuple[int, int] | None = None
    async with services.db.uow() as uow:
        session = uow.session
        found = await _find(session, token)
        if found is None:
            raise NotFound("no such invitation: check the link in the SMS",
                           code="invitation_unknown")
        # Case first, then the invitation: the lock order of every request that moves a case.
        case = await load_case_for_update(uow, found.case_id)
        invitation = await _find(session, token, lock=True)
        assert invitation is not None
        now = services.clock.now()
        _refuse_unusable(invitation, case, now)
        user = await session.get(User, actor.user_id)
        party = await session.get(CaseParty, invitation.party_id)
        assert user is not None and party is not None
        if user.role != Role.PARTY:
            raise Forbidden("sign in with a party account to take the party's place",
                            code="not_a_party_account")
        if not _user_is_party(services, user, party):
            mismatch = (user.id, party.id)
        elif party.user_id is not None and party.user_id != user.id:
            raise Conflict("another account already answers for this respondent",
                           code="party_already_linked")
        else:
            # A respondent's link (L8), or a co-applicant's (odr.cases.parties.coapplicants).
            role = CaseRole.APPLICANT if party.side == Side.APPLICANT else CaseRole.RESPONDENT
            taken = (await session.execute(select(CaseParticipant).where(
                CaseParticipant.case_id == case.id, CaseParticipant.user_id == user.id,
                CaseParticipant.role == role,
            ))).scalar_one_or_none()
            if taken is not None:
                raise Conflict(f"your account already stands for another {role} of this case",
                               code=f"already_{role}")
            party.user_id = user.id
            session.add(CaseParticipant(
                case_id=case.id, user_id=user.id, role=role, party_id=party.id, created_at=now,
            ))
            invitation.claimed_at = now
            invitation.claimed_by_id = user.id
            if role == CaseRole.APPLICANT:
                invitation.closed_at = now  # nothing to answer: the applicants consented at filing
            await session.flush()
            event = "co_applicant_joined" if role == CaseRole.APPLICANT else "respondent_joined"
            await add_event(uow, services, case, event, Who.of(actor), data={
                "invitation_id": invitation.id, "party_id": party.id,
            })
            return Claimed(case_id=case.id, party_id=party.id, side=party.side)
    # Outside the refused transaction: the attempt itself is worth an audit line.
    assert mismatch is not None
    async with services.db.uow() as uow:
        await record(uow, services.clock, action="invitation.claim_refused", actor_id=mismatch[0],
                     actor_label=f"user#{mismatch[0]}", subject_type="case_party",
                     subject_id=mismatch[1], data={"reason": "identity document does not match"})
    raise Forbidden(
        "the identity document of your account does not match the respondent this invitation "
        "was sent to; sign in with the respondent's own account",
        code="identity_mismatch",
    )


# ---- the answer (L8) ---------------------------------------------------------------


async def awaiting_answer(session: AsyncSession, case_id: int, party_id: int) -> bool:
    """Whether the party has an open invitation it has not answered."""
    found = (await session.execute(select(RespondentInvitation.id).where(
        RespondentInvitation.case_id == case_id, RespondentInvitation.party_id == party_id,
        RespondentInvitation.answer.is_(None), RespondentInvitation.closed_at.is_(None),
    ).limit(1))).scalar_one_or_none()
    return found is not None


async def awaiting_parties(session: AsyncSession, case_id: int) -> list[int]:
    """The respondent parties with an open, unanswered invitation (for the case page)."""
    return list((await session.execute(select(RespondentInvitation.party_id).join(
        CaseParty, CaseParty.id == RespondentInvitation.party_id,
    ).where(
        RespondentInvitation.case_id == case_id, RespondentInvitation.answer.is_(None),
        RespondentInvitation.closed_at.is_(None), CaseParty.side == Side.RESPONDENT,
    ).order_by(RespondentInvitation.party_id))).scalars())


async def _invitation_of(
    session: AsyncSession, case_id: int, party_id: int
) -> RespondentInvitation | None:
    return (await session.execute(
        select(RespondentInvitation).where(
            RespondentInvitation.case_id == case_id, RespondentInvitation.party_id == party_id,
        ).order_by(RespondentInvitation.id.desc()).limit(1).with_for_update()
    )).scalar_one_or_none()


async def end_for_respondent(
    uow: UnitOfWork, services: Services, case: Case, ground: EndGround, who: Who, reasons: str,
    *, party_id: int,
) -> None:
    """End the mediation on an L8 ground: the case fails, its end ground and reasons recorded."""
    case.end_ground = ground
    case.end_reasons = reasons
    case.closed_at = services.clock.now()
    await transition(
        uow, services, case, CaseEventKind.END_WITHOUT_AGREEMENT, who, reason=reasons,
        data={"ground": str(ground), "party_id": party_id},
    )


@dataclass(frozen=True)
class Answer:
    party_id: int
    decision: str
    status: str
    all_agreed: bool


async def answer(
    services: Services, actor: Actor, case_id: int, *, decision: str, reason: str | None,
    notice_version: str | None, party_id: int | None,
) -> Answer:
    """The respondent (or its agent) agrees or refuses to mediate (L8, L1)."""
    from odr.cases.queries import case_view

    async with services.db.uow() as uow:
        session = uow.session
        case = await load_case_for_update(uow, case_id)
        now = services.clock.now()
        view: CaseView = await case_view(session, case, now)
        authorize(actor, Permission.RESPONDENT_ANSWER, view)
        respondents = set((await session.execute(select(CaseParty.id).where(
            CaseParty.case_id == case.id, CaseParty.side == Side.RESPONDENT,
        ))).scalars())
        mine = respondents & await parties_acted_for(session, case.id, actor, now)
        if party_id is not None:
            if party_id not in mine:
                raise Forbidden("you do not act for this respondent", code="not_your_party")
        elif len(mine) == 1:
            party_id = next(iter(mine))
        elif not mine:
            raise Forbidden("you do not act for a respondent of this case", code="not_your_party")
        else:
            raise ValidationFailed("you act for several respondents: name party_id",
                                   code="party_required", details=[{"field": "party_id"}])
        invitation = await _invitation_of(session, case.id, party_id)
        answered = (invitation is not None and invitation.answer is not None) or (
            invitation is None and await _has_agreed(session, case.id, party_id)
        )
        if answered:
            raise Conflict("this respondent has already answered", code="already_answered")
        if invitation is not None and invitation.expires_at <= now:
            raise Conflict("the time to answer has passed (L8)", code="answer_too_late")
        version = require_current_notice(notice_version)
        party = await session.get(CaseParty, party_id)
        assert party is not None
        who = Who.of(actor)
        channel = (
            "sms_link" if invitation is not None and invitation.channel == InvitationChannel.SMS
            else "web"
        )
        agree = decision == InvitationAnswer.AGREE
        await add_consent(
            uow, services, case, party, stage=ConsentStage.MEDIATION_ONLINE,
            decision=ConsentDecision.AGREE if agree else ConsentDecision.REFUSE,
            channel=channel, who=who, reason=reason, notice_version=version,
        )
        if invitation is not None:
            invitation.answer = decision
            invitation.answered_at = now
            invitation.closed_at = now
        await close_deadlines(uow, services, case.id, kind=REPLY_KIND,
                              subject=(PARTY_SUBJECT, party_id), status=DeadlineStatus.MET, who=who)
        all_agreed = False
        if agree:
            all_agreed = await respondents_all_agreed(uow, case.id)
            await add_event(uow, services, case, "respondent_agreed", who, data={
                "party_id": party_id, "all_agreed": all_agreed,
            })
        else:
            reasons = f"{party.name} refused to mediate (L8)" + (f": {reason}" if reason else "")
            await end_for_respondent(uow, services, case, EndGround.RESPONDENT_REFUSED, who,
                                     reasons, party_id=party_id)
        return Answer(party_id=party_id, decision=decision, status=case.status,
                      all_agreed=all_agreed)


async def respondents_all_agreed(uow: UnitOfWork, case_id: int) -> bool:
    """Whether every respondent party of the case has agreed to mediate (L8).

    For the mediators part: mediation must not start (``MEDIATOR_ACCEPTED``)
    before this is true. A later withdrawal of *online* consent does not undo
    the agreement to mediate; it moves the case offline (L1). A case with no
    respondent party answers False.
    """
    respondents = select(CaseParty.id).where(
        CaseParty.case_id == case_id, CaseParty.side == Side.RESPONDENT
    ).subquery()
    total = (await uow.session.execute(select(func.count()).select_from(respondents))).scalar_one()
    agreed = (await uow.session.execute(
        select(func.count(func.distinct(Consent.party_id))).where(
            Consent.case_id == case_id, Consent.party_id.in_(select(respondents.c.id)),
            Consent.stage == ConsentStage.MEDIATION_ONLINE,
            Consent.decision == ConsentDecision.AGREE,
        )
    )).scalar_one()
    return bool(total) and agreed == total


# ---- consequences registered with the lifecycle and the clocks ----------------------

_BEFORE_MEDIATION = frozenset({
    CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED, CaseStatus.MEDIATOR_ASSIGNED,
})


async def no_reply(services: Services, uow: UnitOfWork, case: Case, deadline: Deadline) -> None:
    """A respondent did not answer by the deadline: the mediation ends (L8, RESPONDENT_NO_REPLY)."""
    if deadline.subject_type != PARTY_SUBJECT or deadline.subject_id is None:
        return
    invitation = await _invitation_of(uow.session, case.id, deadline.subject_id)
    if invitation is not None and invitation.answer is not None:
        return  # answered after all (the deadline should have been closed as met)
    if case.status not in _BEFORE_MEDIATION:
        return  # the case moved on another way
    now = services.clock.now()
    if invitation is not None:
        invitation.answer = InvitationAnswer.NO_REPLY
        invitation.answered_at = now
        invitation.closed_at = now
    party = await uow.session.get(CaseParty, deadline.subject_id)
    name = party.name if party else f"party #{deadline.subject_id}"
    await end_for_respondent(
        uow, services, case, EndGround.RESPONDENT_NO_REPLY, Who.system("deadline"),
        f"{name} did not answer whether it agrees to mediate by {due_text(deadline.last_day)} (L8)",
        party_id=deadline.subject_id,
    )


async def close_open_invitations(uow: UnitOfWork, services: Services, case: Case) -> None:
    """The case ended: no link or question stays usable, no reply clock keeps running."""
    now = services.clock.now()
    for invitation in (await uow.session.execute(select(RespondentInvitation).where(
        RespondentInvitation.case_id == case.id, RespondentInvitation.closed_at.is_(None),
    ))).scalars():
        invitation.closed_at = now
    await close_deadlines(uow, services, case.id, kind=REPLY_KIND, status=DeadlineStatus.CANCELLED,
                          reason="the case ended")
