"""Moving a case: the one way a case's status changes, and the hooks other parts hang on it.

``transition`` asks the pure state machine, updates the case, writes the
timeline event and the audit entry, tells connected participants, and runs
the hooks registered for that event (deadlines start and stop, notices go
out) — all in the caller's unit of work, so they commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select

from odr.audit.chain import record
from odr.cases.hooks import install as install_hooks
from odr.cases.lifecycle import CaseEventKind, IllegalTransition, next_status
from odr.cases.models import Case, CaseEvent, CaseParticipant, EventVisibility
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound
from odr.outbox.live import publish_live_event
from odr.policy import Actor

if TYPE_CHECKING:
    from odr.services import Services


@dataclass(frozen=True)
class Who:
    """Who caused a change: a user, or the platform itself (a deadline, a worker)."""

    user_id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Who:
        return cls(user_id=None, label=label)

    @classmethod
    def of(cls, actor: Actor) -> Who:
        return cls(user_id=actor.user_id, label=f"{actor.role}#{actor.user_id}")


@dataclass
class TransitionContext:
    """What a hook learns about the transition that ran."""

    case: Case
    event: CaseEventKind
    previous_status: str
    who: Who
    reason: str | None
    data: dict[str, Any] = field(default_factory=dict)


Hook = Callable[["Services", UnitOfWork, TransitionContext], Awaitable[None]]
_HOOKS: dict[CaseEventKind, list[Hook]] = {}


def on_transition(*events: CaseEventKind) -> Callable[[Hook], Hook]:
    """Register ``hook`` to run inside the unit of work after each of ``events``.

    Hooks run in registration order; importing the module that registers
    them is the composition root's job (``odr.cases.hooks.install``).
    """

    def register(hook: Hook) -> Hook:
        for event in events:
            if hook not in _HOOKS.setdefault(event, []):
                _HOOKS[event].append(hook)
        return hook

    return register


async def add_event(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    kind: str,
    who: Who,
    *,
    data: dict[str, Any] | None = None,
    visibility: EventVisibility = EventVisibility.ALL,
    audit: bool = True,
) -> CaseEvent:
    """Write one timeline event (and, unless ``audit=False``, its audit entry ``case.<kind>``)."""
    now = services.clock.now()
    event = CaseEvent(
        case_id=case.id, at=now, kind=kind, actor_id=who.user_id, actor_label=who.label,
        visibility=visibility, data=data or {},
    )
    uow.session.add(event)
    await uow.session.flush()
    if audit:
        await record(
            uow, services.clock, action=f"case.{kind}", actor_id=who.user_id,
            actor_label=who.label, subject_type="case", subject_id=case.id,
            data={"number": case.number, **(data or {})},
        )
    await publish_live_event(
        uow, services.clock, f"case:{case.id}", "case.event",
        {"case_id": case.id, "event_id": event.id, "kind": kind, "status": case.status},
    )
    return event


async def transition(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    event: CaseEventKind,
    who: Who,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> TransitionContext:
    """Move ``case`` by ``event``; 409 if the state machine forbids it."""
    install_hooks()  # idempotent: every process (web, worker, CLI) gets the same hooks
    try:
        target = next_status(case.status, event, case.channel)
    except IllegalTransition as exc:
        raise Conflict(
            str(exc), code="illegal_transition",
            details={"status": case.status, "event": str(event)},
        ) from None
    previous = case.status
    now = services.clock.now()
    case.status = target
    case.updated_at = now
    payload = {"from": previous, "to": str(target), **(data or {})}
    if reason:
        payload["reason"] = reason
    await add_event(uow, services, case, str(event), who, data=payload)
    context = TransitionContext(
        case=case, event=event, previous_status=previous, who=who, reason=reason,
        data=dict(data or {}),
    )
    for hook in _HOOKS.get(event, []):
        await hook(services, uow, context)
    return context


async def load_case_for_update(uow: UnitOfWork, case_id: int) -> Case:
    """The case row, locked for this transaction on PostgreSQL (SQLite serializes writers)."""
    case = (
        await uow.session.execute(select(Case).where(Case.id == case_id).with_for_update())
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("no such case")
    return case


async def participant_user_ids(
    uow: UnitOfWork, case_id: int, now: datetime, *roles: str
) -> list[int]:
    """Users taking part in a case at ``now`` (optionally only those of ``roles``)."""
    stmt = select(CaseParticipant.user_id).where(
        CaseParticipant.case_id == case_id, active_participation(now)
    )
    if roles:
        stmt = stmt.where(CaseParticipant.role.in_(roles))
    return list(dict.fromkeys((await uow.session.execute(stmt)).scalars()))


def active_participation(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """A participation that has not ended (revoked, expired, replaced) by ``now``."""
    return or_(CaseParticipant.ends_at.is_(None), CaseParticipant.ends_at > now)
