"""Consent to separate sessions (L10): mediation with each side at its own time.

Each party's answer is a ``Consent`` row of stage ``separate_sessions`` (the
latest counts, as for every stage, L1). A separate session can be scheduled
only while every party of the case agrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.models import Case, CaseParty, Consent, ConsentDecision, ConsentStage
from odr.cases.parties.authorizations import load_party, parties_acted_for
from odr.cases.parties.consents import add_consent, latest_decision
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, ValidationFailed
from odr.policy import Actor

if TYPE_CHECKING:
    from odr.services import Services

STAGE = ConsentStage.SEPARATE_SESSIONS


async def parties_without_consent(session: AsyncSession, case: Case) -> list[CaseParty]:
    """Parties whose latest answer to separate sessions is not *agree*."""
    parties = (await session.execute(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
    )).scalars().all()
    rows = (await session.execute(
        select(Consent.party_id, Consent.decision)
        .where(Consent.case_id == case.id, Consent.stage == STAGE)
        .order_by(Consent.at, Consent.id)
    )).all()
    latest = {party_id: decision for party_id, decision in rows}  # later rows overwrite
    return [p for p in parties if latest.get(p.id) != ConsentDecision.AGREE]


async def require_separate_consent(session: AsyncSession, case: Case) -> None:
    missing = await parties_without_consent(session, case)
    if missing:
        raise Conflict(
            "separate sessions need every party's consent (L10); missing: "
            + ", ".join(p.name for p in missing),
            code="separate_sessions_consent",
            details={"party_ids": [p.id for p in missing]},
        )


async def answer(uow: UnitOfWork, services: Services, case: Case, actor: Actor, *,
                 party_id: int, decision: str, reason: str | None) -> tuple[Consent, bool]:
    """A party (or its agent) answers for separate sessions; returns the row and whether all agree."""
    now = services.clock.now()
    party = await load_party(uow.session, case.id, party_id)
    if party_id not in await parties_acted_for(uow.session, case.id, actor, now):
        raise Forbidden("you do not act for this party", code="not_your_party")
    if decision != ConsentDecision.AGREE and not reason:
        raise ValidationFailed(f"give a reason to {decision} consent", code="reason_required",
                               details=[{"field": "reason"}])
    latest = await latest_decision(uow.session, case.id, party.id, STAGE)
    if decision == ConsentDecision.WITHDRAW and (
        latest is None or latest.decision != ConsentDecision.AGREE
    ):
        raise Conflict("there is no consent to withdraw", code="nothing_to_withdraw")
    if latest is not None and latest.decision == decision:
        raise Conflict(f"this party's answer is already {decision}", code="already_answered")
    consent = await add_consent(uow, services, case, party, stage=STAGE, decision=decision,
                                channel="web", who=Who.of(actor), reason=reason)
    return consent, not await parties_without_consent(uow.session, case)
