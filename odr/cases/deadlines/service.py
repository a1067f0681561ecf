"""Opening, closing, pausing and extending a case's deadlines; what happens when one is missed.

Every function runs in the caller's unit of work and writes a timeline event
(``odr.cases.transitions.add_event``, which also writes the audit entry
``case.deadline_<what>``), so a deadline changes together with its cause.

Periods are counted by L36 (``odr.calendar.periods``) on the calendar in force
(``odr.calendar.store.load_rest_calendar``). A paused deadline's due date moves
by the calendar days it was paused; an extension adds days; both are recomputed
from the start as one longer period, so the rest-day roll-over is applied once.

Other parts register what a missed deadline of their kind does::

    @on_deadline_missed("respondent_reply")
    async def respondent_silent(services, uow, case, deadline): ...

The sweep (``odr.cases.deadlines.sweep``) marks the deadline missed and calls
the consequence in the same transaction, exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from odr.calendar.periods import Due, RestCalendar, local_day, period_after
from odr.calendar.store import load_rest_calendar
from odr.cases.models import Case, Deadline, DeadlineStatus, EventVisibility
from odr.cases.transitions import Who, add_event
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound

if TYPE_CHECKING:
    from odr.services import Services

LIVE = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)


class DeadlineKind(StrEnum):
    """The clocks this package opens; other parts use their own names (``respondent_reply``...)."""

    CHOOSE_MEDIATOR = "choose_mediator"  # L5: both agreed to online mediation, 2 working days
    DESIGNATE_MEDIATOR = "designate_mediator"  # L5: the institution or court designates, 3
    MEDIATOR_ACCEPTANCE = "mediator_acceptance"  # L6: 3 working days to accept or decline
    MEDIATION_PERIOD = "mediation_period"  # L13: 30 / 15 / 7 days or the institution's


MissedHandler = Callable[["Services", UnitOfWork, Case, Deadline], Awaitable[None]]
RecipientsFinder = Callable[["Services", UnitOfWork, Case, Deadline], Awaitable[list[int]]]

_MISSED: dict[str, MissedHandler] = {}
_RECIPIENTS: dict[str, RecipientsFinder] = {}


def on_deadline_missed(kind: str) -> Callable[[MissedHandler], MissedHandler]:
    """Register the consequence of a missed ``kind`` deadline (one per kind; the last wins).

    The handler runs inside the sweep's transaction after the deadline is
    marked ``missed``; it may transition the case, queue notices, add events.
    An exception rolls the whole thing back and the next sweep tries again.
    """

    def register(handler: MissedHandler) -> MissedHandler:
        _MISSED[kind] = handler
        return handler

    return register


def deadline_recipients(kind: str) -> Callable[[RecipientsFinder], RecipientsFinder]:
    """Register who is reminded before a ``kind`` deadline (default: everyone in the case)."""

    def register(finder: RecipientsFinder) -> RecipientsFinder:
        _RECIPIENTS[kind] = finder
        return finder

    return register


def missed_handler(kind: str) -> MissedHandler | None:
    return _MISSED.get(kind)


def recipients_finder(kind: str) -> RecipientsFinder | None:
    return _RECIPIENTS.get(kind)


def _who(who: Who | None) -> Who:
    return who or Who.system("deadlines")


def recompute(calendar: RestCalendar, deadline: Deadline) -> Due:
    """The due date of ``deadline`` now: its length plus paused and extended days, by L36."""
    total = deadline.length_days + deadline.paused_days + deadline.extended_days
    return period_after(calendar, deadline.starts_at, total, working=deadline.working_days)


def _apply(deadline: Deadline, due: Due) -> None:
    deadline.due_at = due.due_at
    deadline.last_day = due.last_day
    deadline.provisional = due.provisional


def describe(deadline: Deadline) -> dict[str, Any]:
    """The deadline's facts as a timeline event carries them."""
    return {
        "deadline_id": deadline.id,
        "deadline_kind": deadline.kind,
        "rule": deadline.rule,
        "due_at": deadline.due_at.isoformat(),
        "last_day": deadline.last_day.isoformat(),
        "provisional": deadline.provisional,
        "status": deadline.status,
    }


async def open_deadline(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    kind: str,
    days: int,
    *,
    working: bool = False,
    starts_at: datetime | None = None,
    rule: str | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    who: Who | None = None,
    visibility: EventVisibility = EventVisibility.ALL,
) -> Deadline:
    """Open a deadline of ``days`` (working) days counted from ``starts_at`` (default: now), L36."""
    now = services.clock.now()
    start = starts_at or now
    calendar = await load_rest_calendar(uow.session)
    due = period_after(calendar, start, days, working=working)
    deadline = Deadline(
        case_id=case.id, kind=kind, subject_type=subject_type, subject_id=subject_id,
        rule=rule, length_days=days, working_days=working, starts_at=start,
        due_at=due.due_at, last_day=due.last_day, provisional=due.provisional,
        status=DeadlineStatus.OPEN, paused_days=0, extended_days=0, created_at=now,
    )
    uow.session.add(deadline)
    await uow.session.flush()
    await add_event(
        uow, services, case, "deadline_opened", _who(who),
        data={**describe(deadline), "length_days": days, "working_days": working},
        visibility=visibility,
    )
    return deadline


def _live_query(case_id: int, kind: str | Iterable[str] | None, subject: tuple[str, int] | None) -> Any:
    stmt = select(Deadline).where(Deadline.case_id == case_id, Deadline.status.in_(LIVE))
    if isinstance(kind, str):
        stmt = stmt.where(Deadline.kind == kind)
    elif kind is not None:
        stmt = stmt.where(Deadline.kind.in_(list(kind)))
    if subject is not None:
        stmt = stmt.where(Deadline.subject_type == subject[0], Deadline.subject_id == subject[1])
    return stmt.order_by(Deadline.id)


async def live_deadlines(
    uow: UnitOfWork,
    case_id: int,
    *,
    kind: str | Iterable[str] | None = None,
    subject: tuple[str, int] | None = None,
) -> list[Deadline]:
    """The open or paused deadlines of a case (optionally of ``kind`` / about ``subject``)."""
    return list((await uow.session.execute(_live_query(case_id, kind, subject))).scalars())


async def find_live_deadline(
    uow: UnitOfWork, case_id: int, kind: str, *, subject: tuple[str, int] | None = None
) -> Deadline | None:
    found = await live_deadlines(uow, case_id, kind=kind, subject=subject)
    return found[-1] if found else None


async def _case(uow: UnitOfWork, case_id: int) -> Case:
    case = await uow.session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    return case


async def close_deadlines(
    uow: UnitOfWork,
    services: Services,
    case_id: int,
    *,
    kind: str | Iterable[str] | None = None,
    subject: tuple[str, int] | None = None,
    status: DeadlineStatus = DeadlineStatus.MET,
    who: Who | None = None,
    reason: str | None = None,
) -> list[Deadline]:
    """Close the case's open or paused deadlines (of ``kind``, about ``subject``) as ``status``.

    ``met``: the awaited act happened; ``cancelled``: no longer relevant. Closing
    nothing is not an error (the act may come after the deadline was missed).
    """
    if status not in (DeadlineStatus.MET, DeadlineStatus.CANCELLED, DeadlineStatus.MISSED):
        raise ValueError(f"a deadline cannot be closed as {status}")
    found = await live_deadlines(uow, case_id, kind=kind, subject=subject)
    if not found:
        return []
    case = await _case(uow, case_id)
    now = services.clock.now()
    for deadline in found:
        deadline.status = status
        deadline.closed_at = now
        if deadline.paused_at is not None:
            deadline.paused_at = None
        data = describe(deadline)
        if reason:
            data["reason"] = reason
        await add_event(uow, services, case, "deadline_closed", _who(who), data=data,
                        visibility=event_visibility(deadline))
    return found


def event_visibility(deadline: Deadline) -> EventVisibility:
    """Who may see events about ``deadline``: a thread's clock is confidential to its audience (L11)."""
    return EventVisibility.STAFF if deadline.subject_type == "thread" else EventVisibility.ALL


async def pause_deadline(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    deadline: Deadline,
    who: Who,
    *,
    reason: str,
    note: str = "",
) -> Deadline:
    """Stop ``deadline``'s clock (L13: time spent on appraisal does not count)."""
    if deadline.status == DeadlineStatus.PAUSED:
        raise Conflict("the period is already paused", code="already_paused")
    if deadline.status != DeadlineStatus.OPEN:
        raise Conflict(f"the deadline is {deadline.status}; only a running one can be paused",
                       code="deadline_closed")
    deadline.status = DeadlineStatus.PAUSED
    deadline.paused_at = services.clock.now()
    await add_event(
        uow, services, case, "deadline_paused", who,
        data={**describe(deadline), "reason": reason, "note": note},
    )
    return deadline


async def resume_deadline(
    uow: UnitOfWork, services: Services, case: Case, deadline: Deadline, who: Who
) -> Deadline:
    """Restart a paused clock; the due date moves by the calendar days it was paused (L13, L36)."""
    if deadline.status != DeadlineStatus.PAUSED or deadline.paused_at is None:
        raise Conflict("the period is not paused", code="not_paused")
    now = services.clock.now()
    paused = (local_day(now) - local_day(deadline.paused_at)).days
    deadline.paused_days += paused
    deadline.paused_at = None
    deadline.status = DeadlineStatus.OPEN
    deadline.reminded_at = None  # a new due date earns a new reminder
    _apply(deadline, recompute(await load_rest_calendar(uow.session), deadline))
    await add_event(
        uow, services, case, "deadline_resumed", who,
        data={**describe(deadline), "paused_days": paused, "paused_days_total": deadline.paused_days},
    )
    return deadline


async def extend_deadline(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    deadline: Deadline,
    days: int,
    who: Who,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Deadline:
    """Add ``days`` to ``deadline`` (L13: an extension all parties agreed to), recomputed by L36."""
    if days < 1:
        raise ValueError("an extension is at least one day")
    if deadline.status not in LIVE:
        raise Conflict(f"the deadline is {deadline.status}; it can no longer be extended",
                       code="deadline_closed")
    deadline.extended_days += days
    deadline.reminded_at = None
    _apply(deadline, recompute(await load_rest_calendar(uow.session), deadline))
    await add_event(
        uow, services, case, "deadline_extended", who,
        data={**describe(deadline), "days": days, "extended_days_total": deadline.extended_days,
              "reason": reason, **(data or {})},
    )
    return deadline


def days_left(deadline: Deadline, now: datetime) -> int | None:
    """Calendar days from today (Asia/Shanghai) to the last day; 0 on the last day itself.

    ``None`` once the deadline is closed; frozen at the pause while paused (the
    last day will move by the days paused). Negative only in the minute before
    the sweep marks it missed.
    """
    if deadline.status not in LIVE:
        return None
    today = local_day(deadline.paused_at if deadline.paused_at is not None else now)
    return (deadline.last_day - today).days
