"""Consents per party and per stage (L1), and the switch to offline handling.

Each answer is a ``Consent`` row with time and channel; the latest row of a
party for a stage counts. Stages are separate: agreeing to mediate online says
nothing about a hearing online. A party that withdraws (or refuses) consent to
online mediation takes part offline, and the case is switched to offline
handling with the reason recorded, staff told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import Membership, Role, User
from odr.cases.models import (
    Case,
    CaseParty,
    Consent,
    ConsentDecision,
    ConsentStage,
    Side,
)
from odr.cases.parties.authorizations import load_party, parties_acted_for
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, ValidationFailed
from odr.notify.service import queue_for_user
from odr.policy import Actor

if TYPE_CHECKING:
    from odr.services import Services

# Stages a party answers here; electronic service (L33) is consented on the
# address-confirmation form of the service part.
STAGES_HERE = (ConsentStage.MEDIATION_ONLINE, ConsentStage.HEARING_ONLINE)


@dataclass(frozen=True)
class ConsentRow:
    party_id: int
    party_name: str
    side: str
    stage: str
    decision: str
    channel: str
    at: datetime
    by_user_id: int | None
    reason: str | None
    notice_version: str | None


async def latest_consents(session: AsyncSession, case_id: int) -> list[ConsentRow]:
    """The latest answer of each party for each stage it answered, parties in filing order."""
    rows = (
        await session.execute(
            select(Consent, CaseParty.name, CaseParty.side)
            .join(CaseParty, CaseParty.id == Consent.party_id)
            .where(Consent.case_id == case_id)
            .order_by(Consent.at.desc(), Consent.id.desc())
        )
    ).all()
    latest: dict[tuple[int, str], ConsentRow] = {}
    for consent, name, side in rows:
        key = (consent.party_id, consent.stage)
        if key not in latest:
            latest[key] = ConsentRow(
                party_id=consent.party_id, party_name=name, side=side, stage=consent.stage,
                decision=consent.decision, channel=consent.channel, at=consent.at,
                by_user_id=consent.by_user_id, reason=consent.reason,
                notice_version=consent.notice_version,
            )
    return sorted(latest.values(), key=lambda r: (r.party_id, r.stage))


async def latest_decision(
    session: AsyncSession, case_id: int, party_id: int, stage: str
) -> Consent | None:
    return (
        await session.execute(
            select(Consent)
            .where(Consent.case_id == case_id, Consent.party_id == party_id, Consent.stage == stage)
            .order_by(Consent.at.desc(), Consent.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def add_consent(
    uow: UnitOfWork, services: Services, case: Case, party: CaseParty, *, stage: str,
    decision: str, channel: str, who: Who, reason: str | None = None,
    notice_version: str | None = None,
) -> Consent:
    """Record one answer (row + timeline + audit ``case.consent_recorded``); no checks."""
    consent = Consent(
        case_id=case.id, party_id=party.id, stage=stage, decision=decision, channel=channel,
        by_user_id=who.user_id, reason=reason or None, notice_version=notice_version,
        at=services.clock.now(),
    )
    uow.session.add(consent)
    await uow.session.flush()
    await add_event(uow, services, case, "consent_recorded", who, data={
        "consent_id": consent.id, "party_id": party.id, "side": party.side, "stage": stage,
        "decision": decision, "channel": channel,
    })
    return consent


async def staff_user_ids(session: AsyncSession, case: Case) -> list[int]:
    """Who handles the case: its mediator, institution admins, court judges and clerks."""
    ids: list[int] = [case.mediator_id] if case.mediator_id else []
    if case.institution_id is not None:
        ids += (await session.execute(select(Membership.user_id).where(
            Membership.institution_id == case.institution_id,
            Membership.role == Role.INSTITUTION_ADMIN,
        ))).scalars().all()
    if case.court_id is not None:
        ids += (await session.execute(select(Membership.user_id).where(
            Membership.court_id == case.court_id, Membership.role.in_((Role.JUDGE, Role.CLERK)),
        ))).scalars().all()
    return list(dict.fromkeys(ids))


async def switch_offline(
    uow: UnitOfWork, services: Services, case: Case, party: CaseParty, who: Who, reason: str
) -> bool:
    """Move the case to offline handling (L1); False if it already was offline."""
    if not case.online:
        return False
    case.online = False
    case.offline_reason = f"{party.name}: {reason}"[:500]
    case.updated_at = services.clock.now()
    await add_event(uow, services, case, "switched_offline", who, data={
        "party_id": party.id, "side": party.side, "reason": reason,
    })
    for user_id in await staff_user_ids(uow.session, case):
        user = await uow.session.get(User, user_id)
        if user is None:
            continue
        await queue_for_user(
            uow, services.clock, user, template="case_switched_offline",
            context={"name": user.real_name, "number": case.number, "party": party.name,
                     "reason": reason},
            idempotency_key=f"case-offline:{case.id}:{user.id}",
        )
    return True


async def give_consent(
    uow: UnitOfWork, services: Services, case: Case, actor: Actor, *, party_id: int,
    stage: ConsentStage, decision: ConsentDecision, reason: str | None,
) -> Consent:
    """A party (or its agent with general authority) answers for one stage (L1)."""
    from odr.cases.parties.invitations import awaiting_answer

    now = services.clock.now()
    party = await load_party(uow.session, case.id, party_id)
    if party_id not in await parties_acted_for(uow.session, case.id, actor, now):
        raise Forbidden("you do not act for this party", code="not_your_party")
    if stage not in STAGES_HERE:
        raise ValidationFailed(
            "consent to electronic service is given on the address-confirmation form "
            "(POST /api/v1/cases/{id}/service-address)", code="stage_not_here",
            details=[{"field": "stage"}],
        )
    if decision != ConsentDecision.AGREE and not reason:
        raise ValidationFailed(
            f"give a reason to {decision} consent", code="reason_required",
            details=[{"field": "reason"}],
        )
    if (
        stage == ConsentStage.MEDIATION_ONLINE
        and party.side == Side.RESPONDENT
        and await awaiting_answer(uow.session, case.id, party.id)
    ):
        raise Conflict(
            "answer the invitation to mediate first "
            "(POST /api/v1/cases/{id}/respondent-answer, L8)",
            code="invitation_unanswered",
        )
    latest = await latest_decision(uow.session, case.id, party.id, stage)
    agreed = latest is not None and latest.decision == ConsentDecision.AGREE
    if decision == ConsentDecision.WITHDRAW and not agreed:
        raise Conflict("there is no consent to withdraw for this stage", code="nothing_to_withdraw")
    if latest is not None and latest.decision == decision:
        raise Conflict(f"this party's answer for {stage} is already {decision}",
                       code="already_answered")
    who = Who.of(actor)
    consent = await add_consent(
        uow, services, case, party, stage=stage, decision=decision, channel="web", who=who,
        reason=reason,
    )
    if stage == ConsentStage.MEDIATION_ONLINE and decision != ConsentDecision.AGREE:
        assert reason is not None
        await switch_offline(uow, services, case, party, who, reason)
    return consent
