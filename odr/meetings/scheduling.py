"""Scheduling a case's meetings: who is seated, when, and changes (moved, cancelled).

A mediation is scheduled by the case's mediator while the case is in
mediation; a hearing by a judge or clerk of the case's court. Seats come from
the case's running participants: the host (mediator, or presiding judge),
co-hosts (clerks, hearings), parties with their side, agents with general
authority, optional staff observers. A separate session (L10) is for one side
only and needs every party's consent to separate sessions (``separate``).
Every change is audited, written to the case timeline and notified to every
seat holder through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import Membership, Role, User
from odr.audit.chain import record
from odr.cases.models import AgentScope, Case, CaseParticipant, CaseParty, EventVisibility
from odr.cases.progress.vocabulary import register_kind_labels
from odr.cases.queries import case_view
from odr.cases.transitions import Who, active_participation, add_event, load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import Conflict, ValidationFailed
from odr.meetings.models import (
    Meeting,
    MeetingKind,
    MeetingSeat,
    MeetingStatus,
    RescheduleRequest,
    RescheduleStatus,
    SeatRole,
    SessionMode,
)
from odr.meetings.notices import notify_seats
from odr.meetings.queries import load_meeting
from odr.meetings.schemas import ScheduleIn
from odr.meetings.separate import require_separate_consent
from odr.policy import Actor, Permission, authorize
from odr.policy.meetings import MeetingView

if TYPE_CHECKING:
    from odr.services import Services

MIN_LENGTH = timedelta(minutes=15)
MAX_LENGTH = timedelta(hours=10)
MAX_AHEAD = timedelta(days=366)

register_kind_labels("meeting_scheduled", zh="安排在线会议", en="Meeting scheduled")
register_kind_labels("meeting_moved", zh="会议时间变更", en="Meeting moved")
register_kind_labels("meeting_cancelled", zh="会议取消", en="Meeting cancelled")


def check_times(now: datetime, starts_at: datetime, ends_at: datetime) -> None:
    """A meeting starts in the future, ends after it starts and lasts a sane while."""
    problems = []
    if starts_at <= now:
        problems.append({"field": "starts_at", "message": "must be in the future"})
    if starts_at - now > MAX_AHEAD:
        problems.append({"field": "starts_at", "message": "at most a year ahead"})
    if ends_at <= starts_at:
        problems.append({"field": "ends_at", "message": "must be after starts_at"})
    elif not MIN_LENGTH <= ends_at - starts_at <= MAX_LENGTH:
        problems.append({"field": "ends_at", "message": "a meeting lasts 15 minutes to 10 hours"})
    if problems:
        raise ValidationFailed("the meeting's time is not possible", code="bad_time",
                               details=problems)


def timeline_visibility(meeting: Meeting) -> EventVisibility:
    """A separate session concerns one side (L10): the other side's timeline does not show it."""
    return EventVisibility.STAFF if meeting.mode == SessionMode.SEPARATE else EventVisibility.ALL


@dataclass(frozen=True)
class PlannedSeat:
    user_id: int
    role: SeatRole
    side: str | None = None


async def _court_staff(session: AsyncSession, court_id: int | None, user_ids: list[int],
                       roles: tuple[Role, ...]) -> set[int]:
    if court_id is None or not user_ids:
        return set()
    return set((await session.execute(select(Membership.user_id).where(
        Membership.court_id == court_id, Membership.role.in_(roles),
        Membership.user_id.in_(user_ids),
    ))).scalars())


async def _hearing_hosts(uow: UnitOfWork, case: Case, actor: Actor, body: ScheduleIn
                         ) -> list[PlannedSeat]:
    session = uow.session
    host_id = body.host_user_id or actor.user_id
    assert host_id is not None
    judges = await _court_staff(session, case.court_id, [host_id], (Role.JUDGE,))
    if host_id not in judges:
        raise ValidationFailed(
            "a judge of the case's court presides over a hearing: name the judge in host_user_id",
            code="host_not_judge", details=[{"field": "host_user_id"}],
        )
    co_hosts = list(dict.fromkeys(body.co_host_user_ids))
    if actor.user_id != host_id and actor.user_id not in co_hosts:
        assert actor.user_id is not None
        co_hosts.append(actor.user_id)  # the clerk who schedules sits as co-host
    co_hosts = [u for u in co_hosts if u != host_id]
    staff = await _court_staff(session, case.court_id, co_hosts, (Role.JUDGE, Role.CLERK))
    if set(co_hosts) - staff:
        raise ValidationFailed(
            "co-hosts are judges or clerks of the case's court", code="co_host_not_court_staff",
            details=[{"field": "co_host_user_ids", "user_ids": sorted(set(co_hosts) - staff)}],
        )
    return [PlannedSeat(host_id, SeatRole.HOST),
            *(PlannedSeat(u, SeatRole.CO_HOST) for u in co_hosts)]


async def _party_seats(uow: UnitOfWork, case: Case, now: datetime, side: str | None
                       ) -> list[PlannedSeat]:
    """Running parties and agents with general authority (of ``side`` only, if given)."""
    view = await case_view(uow.session, case, now)
    rows = (await uow.session.execute(
        select(CaseParticipant.user_id, CaseParticipant.role, CaseParty.side)
        .outerjoin(CaseParty, CaseParty.id == CaseParticipant.party_id)
        .where(CaseParticipant.case_id == case.id, active_participation(now),
               CaseParticipant.role.in_(("applicant", "respondent", "agent")))
        .order_by(CaseParticipant.id)
    )).all()
    seats: list[PlannedSeat] = []
    for user_id, role, party_side in rows:
        if role == "agent":
            if AgentScope.GENERAL not in view.agent_scopes.get(user_id, frozenset()):
                continue
            seat = PlannedSeat(user_id, SeatRole.AGENT, party_side)
        else:
            seat = PlannedSeat(user_id, SeatRole.PARTY, role)
        if side is None or seat.side == side:
            seats.append(seat)
    return seats


async def _observer_seats(uow: UnitOfWork, case: Case, user_ids: list[int]) -> list[PlannedSeat]:
    """Observers are staff of the case: its institution's admins, its court's judges and clerks."""
    if not user_ids:
        return []
    staff: set[int] = set()
    if case.institution_id is not None:
        staff |= set((await uow.session.execute(select(Membership.user_id).where(
            Membership.institution_id == case.institution_id,
            Membership.role == Role.INSTITUTION_ADMIN, Membership.user_id.in_(user_ids),
        ))).scalars())
    staff |= await _court_staff(uow.session, case.court_id, user_ids, (Role.JUDGE, Role.CLERK))
    if set(user_ids) - staff:
        raise ValidationFailed(
            "observers are staff of the case (its institution's admins, its court's judges "
            "and clerks)", code="observer_not_staff",
            details=[{"field": "observer_user_ids", "user_ids": sorted(set(user_ids) - staff)}],
        )
    return [PlannedSeat(u, SeatRole.OBSERVER) for u in dict.fromkeys(user_ids)]


async def _refuse_busy_host(uow: UnitOfWork, host_id: int, starts_at: datetime, ends_at: datetime,
                            *, except_id: int | None = None) -> None:
    stmt = select(Meeting.id).where(
        Meeting.host_user_id == host_id,
        Meeting.status.in_((MeetingStatus.SCHEDULED, MeetingStatus.OPEN)),
        Meeting.starts_at < ends_at, Meeting.ends_at > starts_at,
    )
    if except_id is not None:
        stmt = stmt.where(Meeting.id != except_id)
    clash = (await uow.session.execute(stmt.limit(1))).scalar_one_or_none()
    if clash is not None:
        raise Conflict("the host already has a meeting at that time", code="host_busy",
                       details={"meeting_id": clash})


async def schedule(uow: UnitOfWork, services: Services, actor: Actor, case_id: int,
                   body: ScheduleIn) -> Meeting:
    """Schedule a meeting of ``case_id`` with its seats; audited, on the timeline, notified."""
    now = services.clock.now()
    case = await load_case_for_update(uow, case_id)
    view = await case_view(uow.session, case, now)
    authorize(actor, Permission.MEETING_SCHEDULE,
              MeetingView(case=view, meeting_id=None, kind=body.kind))
    check_times(now, body.starts_at, body.ends_at)
    if body.kind == MeetingKind.MEDIATION:
        if not case.online:
            raise Conflict(
                "the case is handled offline: a party did not consent to online mediation (L1)",
                code="case_offline",
            )
        assert actor.user_id is not None
        hosts = [PlannedSeat(actor.user_id, SeatRole.HOST)]
    else:
        hosts = await _hearing_hosts(uow, case, actor, body)
    if body.mode == SessionMode.SEPARATE:
        await require_separate_consent(uow.session, case)
    planned = [*hosts, *await _party_seats(uow, case, now, body.side),
               *await _observer_seats(uow, case, body.observer_user_ids)]
    if not any(s.role in (SeatRole.PARTY, SeatRole.AGENT) for s in planned):
        raise Conflict("no party (or agent) of the case can be seated in this meeting",
                       code="no_parties")
    host_id = hosts[0].user_id
    await _refuse_busy_host(uow, host_id, body.starts_at, body.ends_at)
    assert actor.user_id is not None
    meeting = Meeting(
        case_id=case.id, kind=body.kind, mode=body.mode, side=body.side, title=body.title,
        status=MeetingStatus.SCHEDULED, starts_at=body.starts_at, ends_at=body.ends_at,
        host_user_id=host_id, created_by_id=actor.user_id, created_at=now, updated_at=now,
    )
    uow.session.add(meeting)
    await uow.session.flush()
    seats = await _add_seats(uow, meeting, planned, now)
    who = Who.of(actor)
    data = {"meeting_id": meeting.id, "kind": meeting.kind, "mode": meeting.mode,
            "side": meeting.side, "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat()}
    await record(uow, services.clock, action="meeting.scheduled", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id,
                 data={**data, "case_id": case.id, "seats": [
                     {"seat_id": s.id, "user_id": s.user_id, "role": s.role, "side": s.side}
                     for s in seats]})
    await add_event(uow, services, case, "meeting_scheduled", who, data=data,
                    visibility=timeline_visibility(meeting), audit=False)
    await notify_seats(uow, services, meeting, case, seats, template="meeting_scheduled",
                       key=f"meeting:{meeting.id}:scheduled", skip_user_id=actor.user_id)
    return meeting


async def _add_seats(uow: UnitOfWork, meeting: Meeting, planned: list[PlannedSeat],
                     now: datetime) -> list[MeetingSeat]:
    unique: dict[int, PlannedSeat] = {}
    for p in planned:
        unique.setdefault(p.user_id, p)
    names = dict((await uow.session.execute(
        select(User.id, User.real_name).where(User.id.in_(list(unique)))
    )).tuples().all())
    seats = [
        MeetingSeat(meeting_id=meeting.id, user_id=p.user_id, role=p.role, side=p.side,
                    display_name=names.get(p.user_id, f"#{p.user_id}"), delegated=[],
                    created_at=now, updated_at=now)
        for p in unique.values()
    ]
    uow.session.add_all(seats)
    await uow.session.flush()
    return seats


async def move(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int, *,
               starts_at: datetime, ends_at: datetime, reason: str,
               request: RescheduleRequest | None = None) -> Meeting:
    """The host moves an upcoming meeting; everyone seated is told (with the reason)."""
    now = services.clock.now()
    meeting, case, view, seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_CHANGE, view)
    check_times(now, starts_at, ends_at)
    await _refuse_busy_host(uow, meeting.host_user_id, starts_at, ends_at, except_id=meeting.id)
    before = {"starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat()}
    meeting.starts_at, meeting.ends_at, meeting.updated_at = starts_at, ends_at, now
    who = Who.of(actor)
    data = {"meeting_id": meeting.id, "from": before, "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(), "reason": reason,
            "request_id": request.id if request else None}
    await record(uow, services.clock, action="meeting.moved", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id, data=data)
    event = await add_event(uow, services, case, "meeting_moved", who, data=data,
                            visibility=timeline_visibility(meeting), audit=False)
    await notify_seats(uow, services, meeting, case, seats, template="meeting_moved",
                       key=f"meeting:{meeting.id}:moved:{event.id}", extra={"reason": reason},
                       skip_user_id=actor.user_id)
    return meeting


async def cancel(uow: UnitOfWork, services: Services, actor: Actor, meeting_id: int, *,
                 reason: str) -> Meeting:
    """The host cancels an upcoming meeting; pending reschedule requests lapse with it."""
    now = services.clock.now()
    meeting, case, view, seats = await load_meeting(uow, meeting_id, now, lock=True)
    authorize(actor, Permission.MEETING_CHANGE, view)
    meeting.status, meeting.cancelled_reason, meeting.updated_at = (
        MeetingStatus.CANCELLED, reason, now)
    pending = (await uow.session.execute(select(RescheduleRequest).where(
        RescheduleRequest.meeting_id == meeting.id,
        RescheduleRequest.status == RescheduleStatus.PENDING,
    ))).scalars().all()
    for r in pending:
        r.status, r.decided_by_id, r.decided_at = RescheduleStatus.REFUSED, actor.user_id, now
        r.decision_reason = "the meeting was cancelled"
    who = Who.of(actor)
    data = {"meeting_id": meeting.id, "reason": reason,
            "starts_at": meeting.starts_at.isoformat()}
    await record(uow, services.clock, action="meeting.cancelled", actor_id=who.user_id,
                 actor_label=who.label, subject_type="meeting", subject_id=meeting.id, data=data)
    await add_event(uow, services, case, "meeting_cancelled", who, data=data,
                    visibility=timeline_visibility(meeting), audit=False)
    await notify_seats(uow, services, meeting, case, seats, template="meeting_cancelled",
                       key=f"meeting:{meeting.id}:cancelled", extra={"reason": reason},
                       skip_user_id=actor.user_id)
    return meeting
