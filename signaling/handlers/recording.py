"""Recording consent and control (L12, L31, L32); the rules are in ``signaling.recording_rules``.

``recording.consent``: each participant answers for itself (from the lobby
too, so it can answer before it is admitted). ``recording.control``: the host
(or a co-host holding the ``recording`` control) starts, pauses, resumes or
stops. Every change is audited, re-sent to the media node as routes (the
``recording`` list names the seats it writes) and shown to everyone in the
meeting as the ``recording`` indicator.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.meetings.models import Caucus, Meeting, MeetingSeat
from odr.policy import Permission
from signaling.protocol import RecordingConsent, RecordingControl, RecordingStateOut
from signaling.recording_rules import (
    RecordingRuleError,
    caucus_consented,
    check_consent_answer,
    state_after_consent,
    state_after_control,
    written_record_required,
)
from signaling.registry import handles
from signaling.rooms import everyone_room
from signaling.routing import queue_routes
from signaling.scope import EventScope, RoomError


async def meeting_seats(scope: EventScope, meeting: Meeting) -> list[MeetingSeat]:
    return list(
        (
            await scope.uow.session.execute(
                select(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id).order_by(MeetingSeat.id)
            )
        ).scalars().all()
    )


def recording_state_out(meeting: Meeting, seats: list[MeetingSeat], detail: str = "") -> RecordingStateOut:
    return RecordingStateOut(
        meeting_id=meeting.id, state=meeting.recording_state,
        consents={s.id: s.recording_consent for s in seats},
        written_record_required=written_record_required(meeting.kind, meeting.recording_state),
        detail=detail,
    )


def queue_indicator(scope: EventScope, meeting: Meeting, seats: list[MeetingSeat], detail: str = "") -> None:
    """The recording indicator, to everyone in the meeting (lobby included)."""
    scope.emit("recording", recording_state_out(meeting, seats, detail), room=everyone_room(meeting.id))


async def _refresh_caucus_consent(scope: EventScope, meeting: Meeting, seats: list[MeetingSeat]) -> None:
    """A caucus stays recordable only while each member consents."""
    caucuses = (
        await scope.uow.session.execute(
            select(Caucus).where(Caucus.meeting_id == meeting.id, Caucus.closed_at.is_(None))
        )
    ).scalars().all()
    for caucus in caucuses:
        members = [s for s in seats if s.caucus_id == caucus.id]
        if caucus.recording_consented is not False and not caucus_consented(members):
            caucus.recording_consented = False


@handles("recording.consent", Permission.ROOM_RECORDING_CONSENT)
async def recording_consent(scope: EventScope, message: RecordingConsent) -> dict[str, object]:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    try:
        check_consent_answer(meeting.kind, message.consent)
    except RecordingRuleError as exc:
        raise RoomError(exc.code, exc.message) from exc
    seat.recording_consent = message.consent
    seat.recording_consent_at = scope.now
    seat.updated_at = scope.now
    seats = await meeting_seats(scope, meeting)
    before = meeting.recording_state
    meeting.recording_state = state_after_consent(meeting.kind, before, seats)
    await audit(
        scope.uow, scope.services.clock,
        action="meeting.recording.consent" if message.consent else "meeting.recording.refused",
        actor_id=scope.caller.actor.user_id, actor_label=seat.display_name,
        subject_type="meeting_seat", subject_id=seat.id,
        data={"meeting_id": meeting.id, "kind": meeting.kind, "consent": message.consent,
              "state_before": before, "state": meeting.recording_state},
    )
    await _refresh_caucus_consent(scope, meeting, seats)
    await queue_routes(scope)
    queue_indicator(scope, meeting, seats)
    return {"state": meeting.recording_state,
            "written_record_required": written_record_required(meeting.kind, meeting.recording_state)}


@handles("recording.control", Permission.ROOM_RECORDING_CONTROL)
async def recording_control(scope: EventScope, message: RecordingControl) -> dict[str, object]:
    meeting, seat = scope.meeting, scope.seat
    assert meeting is not None and seat is not None
    seats = await meeting_seats(scope, meeting)
    before = meeting.recording_state
    try:
        meeting.recording_state = state_after_control(meeting.kind, before, message.action, seats)
    except RecordingRuleError as exc:
        raise RoomError(exc.code, exc.message) from exc
    meeting.updated_at = scope.now
    await audit(
        scope.uow, scope.services.clock, action=f"meeting.recording.{message.action}",
        actor_id=scope.caller.actor.user_id, actor_label=seat.display_name,
        subject_type="meeting", subject_id=meeting.id,
        data={"state_before": before, "state": meeting.recording_state},
    )
    routes = await queue_routes(scope)
    queue_indicator(scope, meeting, seats)
    return {"state": meeting.recording_state, "recording": routes.recording}
