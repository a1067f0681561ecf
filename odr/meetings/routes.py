"""HTTP: a case's meetings — schedule, change, guests, room tokens, requests, records."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import load_case_for_update
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.meetings import access, guests, records, requests, scheduling, separate
from odr.meetings.models import Meeting, MeetingSeat, RescheduleRequest
from odr.meetings.queries import load_meeting, seats_of, upcoming_for_user, view_of
from odr.meetings.schemas import (
    AttendanceList,
    CancelIn,
    CodeSentOut,
    GuestEnterIn,
    GuestIn,
    GuestLinkOut,
    MeetingList,
    MeetingOut,
    MeetingSummary,
    MoveIn,
    NoShowIn,
    RecordOut,
    RescheduleDecisionIn,
    RescheduleRequestIn,
    RescheduleRequestList,
    RescheduleRequestOut,
    RoomTokenOut,
    ScheduleIn,
    SeatOut,
    SeparateConsentIn,
    SeparateConsentOut,
)
from odr.policy import Actor, Permission, authorize, decide
from odr.policy.meetings import MeetingView

TAGS = ("meetings",)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def seat_out(seat: MeetingSeat, actor: Actor | None, *, office: bool = False) -> SeatOut:
    """A seat as others see it: role, side, name, state; never a mobile or a document."""
    guest = seat.user_id is None
    return SeatOut(
        id=seat.id, role=seat.role, side=seat.side, display_name=seat.display_name,
        state=seat.state, guest=guest,
        you=actor is not None and seat.user_id is not None and seat.user_id == actor.user_id,
        user_id=seat.user_id, invite_used=(seat.invite_used_at is not None) if guest else None,
        no_show_reason=seat.no_show_reason if office else None,
    )


def meeting_out(meeting: Meeting, case: Case, seats: list[MeetingSeat], actor: Actor,
                view: MeetingView) -> MeetingOut:
    office = bool(decide(actor, Permission.MEETING_ATTENDANCE_READ, view))
    mine = next((s.id for s in seats if s.user_id == actor.user_id), None)
    return MeetingOut(
        id=meeting.id, case_id=case.id, case_number=case.number, kind=meeting.kind,
        mode=meeting.mode, side=meeting.side, title=meeting.title, status=meeting.status,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, host_user_id=meeting.host_user_id,
        locked=meeting.locked, recording_state=meeting.recording_state,
        cancelled_reason=meeting.cancelled_reason, opened_at=meeting.opened_at,
        ended_at=meeting.ended_at, my_seat_id=mine,
        seats=[seat_out(s, actor, office=office) for s in seats],
    )


def summary_out(meeting: Meeting, case: Case, my_role: str | None) -> MeetingSummary:
    return MeetingSummary(
        id=meeting.id, case_id=case.id, case_number=case.number, case_title=case.title,
        kind=meeting.kind, mode=meeting.mode, side=meeting.side, title=meeting.title,
        status=meeting.status, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
        my_role=my_role,
    )


async def _detail(request: Request, actor: Actor, meeting_id: int, status: int = 200) -> Response:
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, case, view, seats = await load_meeting(uow, meeting_id, services.clock.now())
        authorize(actor, Permission.MEETING_READ, view)
        return ok(meeting_out(meeting, case, seats, actor, view), status)


# ---- scheduling -----------------------------------------------------------------------


@endpoint(permission=Permission.MEETING_SCHEDULE, json=ScheduleIn, resp=MeetingOut, status=201,
          tags=TAGS)
async def schedule_meeting(request: Request, actor: Actor, json: ScheduleIn) -> Response:
    """Schedule a mediation session (the case's mediator) or a hearing (a judge or clerk of its
    court); seats come from the case's participants; everyone seated is notified. A separate
    session (mode separate, side) needs every party's consent (L10)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        meeting = await scheduling.schedule(
            uow, services, actor, request.path_params["case_id"], json
        )
    return await _detail(request, actor, meeting.id, 201)


@endpoint(permission=Permission.MEETING_LIST, resp=MeetingList, tags=TAGS)
async def list_case_meetings(request: Request, actor: Actor) -> Response:
    """A case's meetings the caller may see (a separate session only to its side), by start."""
    services = services_of(request)
    now = services.clock.now()
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, request.path_params["case_id"])
        if case is None:
            raise NotFound("no such case")
        cview = await case_view(uow.session, case, now)
        authorize(actor, Permission.MEETING_LIST, cview)
        meetings = (await uow.session.execute(
            select(Meeting).where(Meeting.case_id == case.id)
            .order_by(Meeting.starts_at, Meeting.id)
        )).scalars().all()
        items = []
        for meeting in meetings:
            seats = await seats_of(uow.session, meeting.id)
            if not decide(actor, Permission.MEETING_READ, view_of(meeting, cview, seats)):
                continue
            mine = next((s.role for s in seats if s.user_id == actor.user_id), None)
            items.append(summary_out(meeting, case, mine))
    return ok(MeetingList(items=items))


@endpoint(permission=Permission.SELF_READ, resp=MeetingList, tags=TAGS)
async def my_meetings(request: Request, actor: Actor) -> Response:
    """The signed-in user's meetings not yet over, soonest first."""
    services = services_of(request)
    now = services.clock.now()
    assert actor.user_id is not None
    async with services.db.reader() as uow:
        items = []
        for meeting, seat, case in await upcoming_for_user(uow.session, actor.user_id, now):
            seats = await seats_of(uow.session, meeting.id)
            view = view_of(meeting, await case_view(uow.session, case, now), seats)
            if decide(actor, Permission.MEETING_READ, view):
                items.append(summary_out(meeting, case, seat.role))
    return ok(MeetingList(items=items))


@endpoint(permission=Permission.MEETING_READ, resp=MeetingOut, tags=TAGS)
async def get_meeting(request: Request, actor: Actor) -> Response:
    """One meeting: time, state and its seats (roles and states; nobody's mobile or ID)."""
    return await _detail(request, actor, request.path_params["meeting_id"])


@endpoint(permission=Permission.MEETING_CHANGE, json=MoveIn, resp=MeetingOut, tags=TAGS)
async def move_meeting(request: Request, actor: Actor, json: MoveIn) -> Response:
    """The host moves an upcoming meeting, with a reason; everyone seated is notified."""
    services = services_of(request)
    async with services.db.uow() as uow:
        await scheduling.move(uow, services, actor, request.path_params["meeting_id"],
                              starts_at=json.starts_at, ends_at=json.ends_at, reason=json.reason)
    return await _detail(request, actor, request.path_params["meeting_id"])


@endpoint(permission=Permission.MEETING_CHANGE, json=CancelIn, resp=MeetingOut, tags=TAGS)
async def cancel_meeting(request: Request, actor: Actor, json: CancelIn) -> Response:
    """The host cancels an upcoming meeting, with a reason; everyone seated is notified."""
    services = services_of(request)
    async with services.db.uow() as uow:
        await scheduling.cancel(uow, services, actor, request.path_params["meeting_id"],
                                reason=json.reason)
    return await _detail(request, actor, request.path_params["meeting_id"])


@endpoint(permission=Permission.CONSENT_RECORD, json=SeparateConsentIn, resp=SeparateConsentOut,
          status=201, tags=TAGS)
async def separate_sessions_consent(request: Request, actor: Actor,
                                    json: SeparateConsentIn) -> Response:
    """A party (or its agent) agrees, refuses or withdraws consent to separate sessions (L10)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        authorize(actor, Permission.CONSENT_RECORD,
                  await case_view(uow.session, case, services.clock.now()))
        consent, all_agreed = await separate.answer(
            uow, services, case, actor, party_id=json.party_id, decision=json.decision,
            reason=json.reason,
        )
    return ok(SeparateConsentOut(party_id=consent.party_id, decision=consent.decision,
                                 at=consent.at, all_agreed=all_agreed), 201)


# ---- guests ---------------------------------------------------------------------------


@endpoint(permission=Permission.MEETING_INVITE_GUEST, json=GuestIn, resp=SeatOut, status=201,
          tags=TAGS)
async def invite_guest(request: Request, actor: Actor, json: GuestIn) -> Response:
    """The host seats a witness or interpreter; a one-time link goes to its mobile by SMS."""
    services = services_of(request)
    async with services.db.uow() as uow:
        seat = await guests.invite_guest(uow, services, actor, request.path_params["meeting_id"],
                                         json)
    return ok(seat_out(seat, actor, office=True), 201)


@endpoint(permission=Permission.MEETING_INVITE_GUEST, resp=SeatOut, tags=TAGS)
async def renew_guest_link(request: Request, actor: Actor) -> Response:
    """The host sends a guest a new one-time link (the old one stops working)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        seat = await guests.send_fresh_link(uow, services, actor, request.path_params["meeting_id"],
                                            request.path_params["seat_id"])
    return ok(seat_out(seat, actor, office=True))


@endpoint(permission=Permission.MEETING_GUEST_ENTRY, resp=GuestLinkOut, tags=TAGS)
async def guest_link(request: Request, _actor: Actor) -> Response:
    """What a guest's link shows: the meeting's time and the case's title (throttled)."""
    meeting, case, masked = await guests.link_summary(
        services_of(request), request.path_params["token"], _address(request)
    )
    return ok(GuestLinkOut(starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                           case_title=case.title, mobile_masked=masked))


@endpoint(permission=Permission.MEETING_GUEST_ENTRY, resp=CodeSentOut, tags=TAGS)
async def guest_send_code(request: Request, _actor: Actor) -> Response:
    """Send a fresh one-time code to the guest's mobile (one a minute)."""
    expires_in = await guests.send_link_code(
        services_of(request), request.path_params["token"], _address(request)
    )
    return ok(CodeSentOut(sent=True, expires_in=expires_in))


@endpoint(permission=Permission.MEETING_GUEST_ENTRY, json=GuestEnterIn, resp=RoomTokenOut,
          tags=TAGS)
async def guest_enter(request: Request, _actor: Actor, json: GuestEnterIn) -> Response:
    """The right code spends the link and returns a room token for the guest's seat (L2)."""
    services = services_of(request)
    entry = await guests.enter_with_code(
        services, request.path_params["token"], json.code, _address(request)
    )
    out = RoomTokenOut(token=entry.token, expires_at=entry.expires_at, meeting_id=entry.meeting.id,
                       seat=seat_out(entry.seat, None), entry_code_required=False,
                       ice_servers=access.ice_servers(services, f"seat{entry.seat.id}"))
    return _token_response(out)


# ---- room tokens ----------------------------------------------------------------------


def _token_response(out: RoomTokenOut) -> Response:
    # ice_servers is left out (not null) when the RTC part is not installed.
    return Response(out.model_dump_json(exclude_none=True), media_type="application/json")


@endpoint(permission=Permission.MEETING_ROOM_TOKEN, resp=RoomTokenOut, tags=TAGS)
async def room_token(request: Request, actor: Actor) -> Response:
    """A one-use room token for the caller's seat; a fresh entry code goes by SMS (L2). A party
    of a mediation not yet filed with a court must have confirmed its service address (L9)."""
    services = services_of(request)
    issued = await access.room_token(services, actor, request.path_params["meeting_id"])
    return _token_response(RoomTokenOut(
        token=issued.token, expires_at=issued.expires_at, meeting_id=issued.meeting.id,
        seat=seat_out(issued.seat, actor), entry_code_required=issued.entry_code_required,
        ice_servers=issued.ice_servers,
    ))


@endpoint(permission=Permission.MEETING_ROOM_TOKEN, resp=CodeSentOut, tags=TAGS)
async def entry_code(request: Request, actor: Actor) -> Response:
    """Send a fresh entry code to the caller's verified mobile (one a minute)."""
    expires_in = await access.resend_entry_code(
        services_of(request), actor, request.path_params["meeting_id"]
    )
    return ok(CodeSentOut(sent=expires_in is not None, expires_in=expires_in or 0))


# ---- reschedule requests, no-shows, attendance, records -------------------------------


def _request_out(r: RescheduleRequest, name: str) -> RescheduleRequestOut:
    return RescheduleRequestOut(
        id=r.id, meeting_id=r.meeting_id, requested_by_id=r.requested_by_id,
        requested_by_name=name, reason=r.reason, proposed_starts_at=r.proposed_starts_at,
        status=r.status, decided_by_id=r.decided_by_id, decided_at=r.decided_at,
        decision_reason=r.decision_reason, created_at=r.created_at,
    )


@endpoint(permission=Permission.MEETING_RESCHEDULE_REQUEST, json=RescheduleRequestIn,
          resp=RescheduleRequestOut, status=201, tags=TAGS)
async def ask_reschedule(request: Request, actor: Actor, json: RescheduleRequestIn) -> Response:
    """A seated party (or its agent) asks the host to move the meeting, with a reason."""
    services = services_of(request)
    async with services.db.uow() as uow:
        r = await requests.ask_reschedule(
            uow, services, actor, request.path_params["meeting_id"], reason=json.reason,
            proposed_starts_at=json.proposed_starts_at,
        )
        rows = await requests.list_requests(uow, r.meeting_id)
    name = next(n for row, n in rows if row.id == r.id)
    return ok(_request_out(r, name), 201)


@endpoint(permission=Permission.MEETING_READ, resp=RescheduleRequestList, tags=TAGS)
async def list_reschedule_requests(request: Request, actor: Actor) -> Response:
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, _case, view, _seats = await load_meeting(
            uow, request.path_params["meeting_id"], services.clock.now()
        )
        authorize(actor, Permission.MEETING_READ, view)
        rows = await requests.list_requests(uow, meeting.id)
    return ok(RescheduleRequestList(items=[_request_out(r, n) for r, n in rows]))


@endpoint(permission=Permission.MEETING_RESCHEDULE_DECIDE, json=RescheduleDecisionIn,
          resp=RescheduleRequestOut, tags=TAGS)
async def decide_reschedule(request: Request, actor: Actor, json: RescheduleDecisionIn) -> Response:
    """The host accepts (the meeting moves; everyone is told) or refuses with a reason."""
    services = services_of(request)
    async with services.db.uow() as uow:
        r = await requests.decide_reschedule(
            uow, services, actor, request.path_params["meeting_id"],
            request.path_params["request_id"], json,
        )
        rows = await requests.list_requests(uow, r.meeting_id)
    name = next(n for row, n in rows if row.id == r.id)
    return ok(_request_out(r, name))


@endpoint(permission=Permission.MEETING_NO_SHOW, json=NoShowIn, resp=SeatOut, status=201,
          tags=TAGS)
async def no_show(request: Request, actor: Actor, json: NoShowIn) -> Response:
    """After the start, the host records that a participant did not come, and why (L29)."""
    services = services_of(request)
    async with services.db.uow() as uow:
        event = await requests.record_no_show(
            uow, services, actor, request.path_params["meeting_id"],
            request.path_params["seat_id"], json,
        )
        seat = await uow.session.get(MeetingSeat, event.seat_id)
        assert seat is not None
    return ok(seat_out(seat, actor, office=True), 201)


@endpoint(permission=Permission.MEETING_ATTENDANCE_READ, resp=AttendanceList, tags=TAGS)
async def attendance(request: Request, actor: Actor) -> Response:
    """Every attendance event of the meeting (joined, left with or without permission, dropped,
    reconnected, no-show with its cause: L29), oldest first."""
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, _case, view, seats = await load_meeting(
            uow, request.path_params["meeting_id"], services.clock.now()
        )
        authorize(actor, Permission.MEETING_ATTENDANCE_READ, view)
        out = await records.attendance(uow.session, meeting, seats)
    return ok(out)


@endpoint(permission=Permission.MEETING_RECORD_READ, resp=RecordOut, tags=TAGS)
async def session_record(request: Request, actor: Actor) -> Response:
    """The latest version of the session record (笔录, L12) and the undisputed facts with their
    confirmations (L11)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        meeting, _case, view, _seats = await load_meeting(
            uow, request.path_params["meeting_id"], services.clock.now()
        )
        authorize(actor, Permission.MEETING_RECORD_READ, view)
        out = await records.record_of(uow.session, meeting)
    return ok(out)


M = "/api/v1/meetings/{meeting_id:int}"
routes = [
    Route("/api/v1/cases/{case_id:int}/meetings", schedule_meeting, methods=["POST"]),
    Route("/api/v1/cases/{case_id:int}/meetings", list_case_meetings, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/separate-sessions-consent", separate_sessions_consent,
          methods=["POST"]),
    Route("/api/v1/meetings/mine", my_meetings, methods=["GET"]),
    Route(M, get_meeting, methods=["GET"]),
    Route(f"{M}/move", move_meeting, methods=["POST"]),
    Route(f"{M}/cancel", cancel_meeting, methods=["POST"]),
    Route(f"{M}/guests", invite_guest, methods=["POST"]),
    Route(f"{M}/guests/{{seat_id:int}}/link", renew_guest_link, methods=["POST"]),
    Route(f"{M}/room-token", room_token, methods=["POST"]),
    Route(f"{M}/entry-code", entry_code, methods=["POST"]),
    Route(f"{M}/reschedule-requests", ask_reschedule, methods=["POST"]),
    Route(f"{M}/reschedule-requests", list_reschedule_requests, methods=["GET"]),
    Route(f"{M}/reschedule-requests/{{request_id:int}}/decide", decide_reschedule,
          methods=["POST"]),
    Route(f"{M}/seats/{{seat_id:int}}/no-show", no_show, methods=["POST"]),
    Route(f"{M}/attendance", attendance, methods=["GET"]),
    Route(f"{M}/record", session_record, methods=["GET"]),
    Route("/api/v1/meeting-invitations/{token}", guest_link, methods=["GET"]),
    Route("/api/v1/meeting-invitations/{token}/code", guest_send_code, methods=["POST"]),
    Route("/api/v1/meeting-invitations/{token}/enter", guest_enter, methods=["POST"]),
]
