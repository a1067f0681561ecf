"""Extending the mediation period with every party's agreement (L13).

The mediator proposes (``propose_extension``); each party answers, itself or
through its agent (``answer_extension``). The first refusal refuses the
request; the last agreement extends the period (``extend_deadline``). A
request still pending when the mediation ends lapses (``lapse_extensions``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.cases.deadlines.models import DeadlineExtension, DeadlineExtensionAnswer, ExtensionStatus
from odr.cases.deadlines.service import DeadlineKind, extend_deadline, find_live_deadline
from odr.cases.models import Case, CaseParticipant, CaseParty, Deadline
from odr.cases.transitions import Who, active_participation, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from odr.services import Services

MAX_EXTENSION_DAYS = 90


async def propose_extension(
    uow: UnitOfWork, services: Services, case: Case, days: int, reason: str, who: Who
) -> DeadlineExtension:
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise Conflict(f"an extension is 1 to {MAX_EXTENSION_DAYS} days", code="bad_extension")
    period = await find_live_deadline(uow, case.id, DeadlineKind.MEDIATION_PERIOD)
    if period is None:
        raise Conflict("the case has no running mediation period to extend", code="no_period")
    pending = (await uow.session.execute(
        select(DeadlineExtension.id).where(
            DeadlineExtension.case_id == case.id,
            DeadlineExtension.status == ExtensionStatus.PENDING,
        )
    )).first()
    if pending is not None:
        raise Conflict("an extension request is already waiting for the parties' answers",
                       code="extension_pending", details={"extension_id": pending[0]})
    now = services.clock.now()
    extension = DeadlineExtension(
        case_id=case.id, deadline_id=period.id, days=days, reason=reason,
        status=ExtensionStatus.PENDING, proposed_by_id=who.user_id, created_at=now,
    )
    uow.session.add(extension)
    await uow.session.flush()
    await add_event(uow, services, case, "extension_proposed", who, data={
        "extension_id": extension.id, "deadline_id": period.id, "days": days, "reason": reason,
    })
    return extension


async def parties_of_user(uow: UnitOfWork, services: Services, case_id: int, user_id: int) -> set[int]:
    """The parties ``user_id`` takes part for now: as the party itself or as its agent."""
    rows = (await uow.session.execute(
        select(CaseParticipant.party_id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.user_id == user_id,
            CaseParticipant.role.in_(["applicant", "respondent", "agent"]),
            CaseParticipant.party_id.is_not(None), active_participation(services.clock.now()),
        )
    )).scalars()
    return {p for p in rows if p is not None}


async def load_extension(uow: UnitOfWork, case: Case, extension_id: int) -> DeadlineExtension:
    extension = await uow.session.get(DeadlineExtension, extension_id)
    if extension is None or extension.case_id != case.id:
        raise NotFound("no such extension request in this case")
    return extension


async def answers_of(uow: UnitOfWork, extension_id: int) -> list[DeadlineExtensionAnswer]:
    return list((await uow.session.execute(
        select(DeadlineExtensionAnswer).where(DeadlineExtensionAnswer.extension_id == extension_id)
        .order_by(DeadlineExtensionAnswer.id)
    )).scalars())


async def answer_extension(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    extension: DeadlineExtension,
    agree: bool,
    who: Who,
) -> DeadlineExtension:
    """Record the answer of every party ``who`` acts for that has not answered yet."""
    if extension.status != ExtensionStatus.PENDING:
        raise Conflict(f"this extension request is already {extension.status}",
                       code="extension_decided")
    assert who.user_id is not None
    mine = await parties_of_user(uow, services, case.id, who.user_id)
    if not mine:
        raise Forbidden("you do not take part in this case for any party")
    answered = {a.party_id for a in await answers_of(uow, extension.id)}
    todo = sorted(mine - answered)
    if not todo:
        raise Conflict("you have already answered this extension request", code="already_answered")
    now = services.clock.now()
    for party_id in todo:
        uow.session.add(DeadlineExtensionAnswer(
            extension_id=extension.id, party_id=party_id, agree=agree, by_user_id=who.user_id,
            at=now,
        ))
    await uow.session.flush()
    await add_event(uow, services, case, "extension_answered", who, data={
        "extension_id": extension.id, "party_ids": todo, "agree": agree,
    })
    if not agree:
        extension.status = ExtensionStatus.REFUSED
        extension.decided_at = now
        await add_event(uow, services, case, "extension_refused", who,
                        data={"extension_id": extension.id, "days": extension.days})
        return extension
    parties = set((await uow.session.execute(
        select(CaseParty.id).where(CaseParty.case_id == case.id)
    )).scalars())
    agreed = {a.party_id for a in await answers_of(uow, extension.id) if a.agree}
    if parties <= agreed:
        deadline = await uow.session.get(Deadline, extension.deadline_id, with_for_update=True)
        assert deadline is not None
        extension.status = ExtensionStatus.APPROVED
        extension.decided_at = now
        await extend_deadline(
            uow, services, case, deadline, extension.days, who, reason=extension.reason,
            data={"extension_id": extension.id},
        )
    return extension


async def lapse_extensions(uow: UnitOfWork, services: Services, case_id: int) -> int:
    """Requests still pending when the mediation ends lapse."""
    pending = (await uow.session.execute(
        select(DeadlineExtension).where(
            DeadlineExtension.case_id == case_id,
            DeadlineExtension.status == ExtensionStatus.PENDING,
        )
    )).scalars().all()
    for extension in pending:
        extension.status = ExtensionStatus.LAPSED
        extension.decided_at = services.clock.now()
    return len(pending)
