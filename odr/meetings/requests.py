"""Reschedule requests (a party asks, the host decides) and no-shows (L29)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.accounts.models import User
from odr.audit.chain import record
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, NotFound, ValidationFailed
from odr.meetings.models import (
    AttendanceEvent,
    AttendanceKind,
    MeetingSeat,
    RescheduleRequest,
    RescheduleStatus,
    SeatRole,
    SeatState,
)
from odr.meetings.notices import meeting_context
from odr.meetings.queries import load_meeting
from odr.meetings.scheduling import move
from odr.meetings.schemas import NoShowIn, RescheduleDecisionIn
from odr.notify.service import notify_users
from odr.policy import Actor, Permission, authorize

if TYPE_CHECKING:
    from odr.services import Services


async def ask_reschedule(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int, *,
                         reason: str, proposed_starts_at: datetime | None) -> RescheduleRequest:
    """A seated party (or its agent) asks the host to move the meeting; the host is told."""
    now = services.clock.now()
    meeting, case, view, _seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_RESCHEDULE_REQUEST, view)
    if proposed_starts_at is not None and proposed_starts_at <= now:
        raise ValidationFailed("the proposed time must be in the future", code="bad_time",
                               details=[{"field": "proposed_starts_at"}])
    assert actor.user_id is not None
    pending = (await uow.session.execute(select(RescheduleRequest.id).where(
        RescheduleRequest.meeting_id == meeting.id,
        RescheduleRequest.requested_by_id == actor.user_id,
        RescheduleRequest.status == RescheduleStatus.PENDING,
    ))).scalar_one_or_none()
    if pending is not None:
        raise Conflict("you already asked to move this meeting; wait for the host's answer",
                       code="request_pending", details={"request_id": pending})
    request = RescheduleRequest(
        meeting_id=meeting.id, requested_by_id=actor.user_id, reason=reason,
        proposed_starts_at=proposed_starts_at, status=RescheduleStatus.PENDING, created_at=now,
    )
    uow.session.add(request)
    await uow.session.flush()
    who = Who.of(actor)
    await record(uow, services.clock, action="meeting.reschedule_requested", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id,
                 data={"request_id": request.id, "reason": reason,
                       "proposed_starts_at": proposed_starts_at.isoformat()
                       if proposed_starts_at else None})
    requester = await uow.session.get(User, actor.user_id)
    await notify_users(
        uow, services, [meeting.host_user_id], template="meeting_reschedule_requested",
        context={**meeting_context(meeting, case), "reason": reason,
                 "requester": requester.real_name if requester else who.label},
        key=f"meeting:{meeting.id}:reschedule:{request.id}",
    )
    return request


async def decide_reschedule(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int,
                            request_id: int, body: RescheduleDecisionIn) -> RescheduleRequest:
    """The host accepts (the meeting moves, everyone is told) or refuses with a reason."""
    now = services.clock.now()
    meeting, case, view, _seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_RESCHEDULE_DECIDE, view)
    request = await uow.session.get(RescheduleRequest, request_id)
    if request is None or request.meeting_id != meeting.id:
        raise NotFound("no such reschedule request for this meeting", code="request_unknown")
    if request.status != RescheduleStatus.PENDING:
        raise Conflict(f"this request was already {request.status}", code="request_decided")
    request.decided_by_id, request.decided_at = actor.user_id, now
    request.decision_reason = body.reason or None
    who = Who.of(actor)
    if body.accept:
        starts_at = body.starts_at or request.proposed_starts_at
        if starts_at is None:
            raise ValidationFailed("the party proposed no time: give starts_at",
                                   code="starts_at_required", details=[{"field": "starts_at"}])
        ends_at = body.ends_at or starts_at + (meeting.ends_at - meeting.starts_at)
        request.status = RescheduleStatus.ACCEPTED
        await move(uow, services, actor, meeting.id, starts_at=starts_at, ends_at=ends_at,
                   reason=body.reason or request.reason, request=request)
    else:
        request.status = RescheduleStatus.REFUSED
        assert body.reason
        await notify_users(
            uow, services, [request.requested_by_id], template="meeting_reschedule_refused",
            context={**meeting_context(meeting, case), "reason": body.reason},
            key=f"meeting:{meeting.id}:reschedule:{request.id}:refused",
        )
    await record(uow, services.clock, action=f"meeting.reschedule_{request.status}",
                 actor_id=who.user_id, actor_label=who.label, subject_type="meeting",
                 subject_id=meeting.id,
                 data={"request_id": request.id, "reason": body.reason})
    return request


async def list_requests(uow: UnitOfWork, meeting_id: int) -> list[tuple[RescheduleRequest, str]]:
    """A meeting's reschedule requests with the requester's name, oldest first."""
    rows = (await uow.session.execute(
        select(RescheduleRequest, User.real_name)
        .join(User, User.id == RescheduleRequest.requested_by_id)
        .where(RescheduleRequest.meeting_id == meeting_id)
        .order_by(RescheduleRequest.id)
    )).all()
    return [(r, name) for r, name in rows]


async def record_no_show(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int,
                         seat_id: int, body: NoShowIn) -> AttendanceEvent:
    """After the start, the host records that a seat never came, and why (L29)."""
    now = services.clock.now()
    meeting, _case, view, seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_NO_SHOW, view)
    seat: MeetingSeat | None = next((s for s in seats if s.id == seat_id), None)
    if seat is None:
        raise NotFound("no such seat in this meeting", code="seat_unknown")
    if now < meeting.starts_at:
        raise Conflict("a no-show is recorded once the meeting has started", code="not_started")
    if seat.role == SeatRole.HOST:
        raise Conflict("the host is not recorded as a no-show", code="seat_is_host")
    came = (await uow.session.execute(select(AttendanceEvent.id).where(
        AttendanceEvent.seat_id == seat.id,
        AttendanceEvent.kind.in_((AttendanceKind.JOINED, AttendanceKind.ADMITTED)),
    ).limit(1))).scalar_one_or_none()
    if came is not None or seat.state not in (SeatState.INVITED,):
        raise Conflict("this participant came to the meeting: its attendance is recorded",
                       code="seat_attended")
    if seat.no_show_reason is not None:
        raise Conflict("a no-show is already recorded for this seat", code="already_recorded")
    seat.no_show_reason, seat.updated_at = body.reason, now
    event = AttendanceEvent(
        meeting_id=meeting.id, seat_id=seat.id, kind=AttendanceKind.NO_SHOW, at=now,
        by_user_id=actor.user_id,
        detail={"cause": body.cause, "reason": body.reason,
                "valid_reason": body.cause != "no_reason"},
    )
    uow.session.add(event)
    await uow.session.flush()
    who = Who.of(actor)
    await record(uow, services.clock, action="meeting.no_show", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting_seat", subject_id=seat.id,
                 data={"meeting_id": meeting.id, "cause": body.cause, "reason": body.reason})
    return event
