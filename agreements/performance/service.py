"""Performance of the agreed terms (issue 7 point 6).

Each agreed term with a due date becomes one ``PerformanceItem`` when the
agreement takes effect (``track_agreement``; idempotent: one item per agreement
and term key). Both sides confirm: the obligor side says it performed, the
obligee side confirms receipt, and only the obligee side's confirmation makes
the item ``performed``. After the due date (24:00 Asia/Shanghai of ``due_on``)
the obligee side or the mediator may record a default.

Reminders (``agreements.performance.reminders``) go
``settings.performance_reminder_days`` before the due date to the obligors,
and on the due date to both sides.

Every change writes a timeline event visible to the parties, with its audit
entry (``odr.cases.transitions.add_event``), and tells the other side.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agreements.content import AgreementContent
from agreements.models import Agreement, AgreementVersion, PerformanceItem, PerformanceStatus
from odr.calendar.periods import local_day
from odr.cases.models import Case, CaseParticipant
from odr.cases.transitions import Who, active_participation, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, Forbidden, NotFound
from odr.notify.service import notify_users

if TYPE_CHECKING:
    from odr.services import Services

MAX_DESCRIPTION = 1000


async def effective_content(uow: UnitOfWork, agreement: Agreement) -> AgreementContent:
    number = agreement.effective_version or agreement.current_version
    version = (await uow.session.execute(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement.id, AgreementVersion.number == number
        )
    )).scalar_one_or_none()
    if version is None:
        raise NotFound("the agreement's effective version is missing")
    return AgreementContent.model_validate(version.content)


async def track_agreement(
    services: Services, uow: UnitOfWork, case: Case, agreement: Agreement, who: Who
) -> list[PerformanceItem]:
    """One item per agreed term with a due date of the effective version; new ones only."""
    content = await effective_content(uow, agreement)
    known = set((await uow.session.execute(
        select(PerformanceItem.term_key).where(PerformanceItem.agreement_id == agreement.id)
    )).scalars())
    created: list[PerformanceItem] = []
    for term in content.terms:
        if term.due_on is None or term.key in known:
            continue
        item = PerformanceItem(
            agreement_id=agreement.id, case_id=case.id, term_key=term.key,
            description=term.text[:MAX_DESCRIPTION], amount_fen=term.amount_fen,
            due_on=term.due_on, obligor_party_ids=list(term.obligor_party_ids),
            obligee_party_ids=list(term.obligee_party_ids), status=PerformanceStatus.PENDING,
        )
        uow.session.add(item)
        created.append(item)
    if not created:
        return []
    await uow.session.flush()
    await add_event(uow, services, case, "performance_tracked", who, data={
        "agreement_id": agreement.id,
        "items": [{"item_id": i.id, "term_key": i.term_key, "due_on": i.due_on.isoformat(),
                   "amount_fen": i.amount_fen} for i in created],
    })
    return created


async def party_users(uow: UnitOfWork, services: Services, case_id: int,
                      party_ids: Iterable[int]) -> list[int]:
    """Users acting for ``party_ids`` now: the parties themselves and their agents."""
    ids = sorted(set(party_ids))
    if not ids:
        return []
    rows = await uow.session.execute(
        select(CaseParticipant.user_id).where(
            CaseParticipant.case_id == case_id, CaseParticipant.party_id.in_(ids),
            active_participation(services.clock.now()),
        ).order_by(CaseParticipant.user_id)
    )
    return list(dict.fromkeys(rows.scalars()))


def item_context(case: Case, item: PerformanceItem) -> dict[str, Any]:
    return {"number": case.number, "term": item.description[:60], "due_on": item.due_on.isoformat()}


def describe(item: PerformanceItem) -> dict[str, Any]:
    return {"item_id": item.id, "agreement_id": item.agreement_id, "term_key": item.term_key,
            "due_on": item.due_on.isoformat(), "status": item.status}


async def load_item(uow: UnitOfWork, item_id: int) -> PerformanceItem:
    item = (await uow.session.execute(
        select(PerformanceItem).where(PerformanceItem.id == item_id)
    )).scalar_one_or_none()
    if item is None:
        raise NotFound("no such performance item", code="performance_item_not_found")
    return item


async def confirm_item(
    uow: UnitOfWork, services: Services, case: Case, item: PerformanceItem,
    acting_for: set[int], who: Who,
) -> PerformanceItem:
    """The obligor side says it performed, or the obligee side confirms receipt.

    ``acting_for``: the parties the caller is or acts for (general authority).
    The obligee side's confirmation makes the item ``performed`` (also after a
    recorded default: late performance); a side confirming twice is a 409.
    """
    as_obligor = bool(acting_for & set(item.obligor_party_ids))
    as_obligee = bool(acting_for & set(item.obligee_party_ids))
    if not (as_obligor or as_obligee):
        raise Forbidden("you act for neither the obligor nor the obligee of this term",
                        code="not_party_to_term")
    if item.status == PerformanceStatus.PERFORMED:
        raise Conflict("this term is already confirmed performed", code="already_performed")
    now = services.clock.now()
    sides: list[str] = []
    if as_obligor and item.obligor_confirmed_at is None:
        item.obligor_confirmed_at, item.obligor_confirmed_by_id = now, who.user_id
        sides.append("obligor")
    if as_obligee and item.obligee_confirmed_at is None:
        item.obligee_confirmed_at, item.obligee_confirmed_by_id = now, who.user_id
        item.status = PerformanceStatus.PERFORMED
        sides.append("obligee")
    if not sides:
        raise Conflict("your side has already confirmed this term", code="already_confirmed")
    await add_event(uow, services, case, "performance_confirmed", who,
                    data={**describe(item), "sides": sides})
    # Tell the other side: the obligees are asked to confirm receipt; the obligors learn
    # their performance was acknowledged.
    tell = item.obligor_party_ids if "obligee" in sides else item.obligee_party_ids
    await notify_users(
        uow, services, await party_users(uow, services, case.id, tell),
        template="performance_confirmed",
        context={**item_context(case, item), "performance_side": sides[-1]},
        key=f"performance:{item.id}:confirmed:{sides[-1]}",
    )
    return item


def overdue(item: PerformanceItem, today: date) -> bool:
    """The due date has passed: the term was due by 24:00 of ``due_on`` (local)."""
    return today > item.due_on


async def record_default(
    uow: UnitOfWork, services: Services, case: Case, item: PerformanceItem,
    acting_for: set[int], is_mediator: bool, note: str, who: Who,
) -> PerformanceItem:
    """The obligee side or the mediator records that the term was not performed when due."""
    if not is_mediator and not (acting_for & set(item.obligee_party_ids)):
        raise Forbidden("only the obligee side or the mediator records a default",
                        code="not_obligee")
    if item.status != PerformanceStatus.PENDING:
        raise Conflict(f"this term is already {item.status}", code=f"already_{item.status}")
    now = services.clock.now()
    if not overdue(item, local_day(now)):
        raise Conflict(
            f"a default can be recorded only after the due date ({item.due_on.isoformat()})",
            code="not_yet_due", details={"due_on": item.due_on.isoformat()},
        )
    item.status = PerformanceStatus.DEFAULTED
    item.defaulted_at = now
    item.default_recorded_by_id = who.user_id
    item.default_note = note
    await add_event(uow, services, case, "performance_defaulted", who,
                    data={**describe(item), "note": note, "by_mediator": is_mediator})
    tell = list(item.obligor_party_ids) + (list(item.obligee_party_ids) if is_mediator else [])
    await notify_users(
        uow, services, await party_users(uow, services, case.id, tell),
        template="performance_defaulted", context=item_context(case, item),
        key=f"performance:{item.id}:defaulted",
    )
    return item


async def case_items(uow: UnitOfWork, case_id: int) -> list[PerformanceItem]:
    return list((await uow.session.execute(
        select(PerformanceItem).where(PerformanceItem.case_id == case_id)
        .order_by(PerformanceItem.due_on, PerformanceItem.id)
    )).scalars())
