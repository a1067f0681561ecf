"""Events only media nodes send: heartbeat, routes acknowledgement, statistics, recording.

A node speaks only about meetings it hosts (``Meeting.media_node_id``); any
other meeting id is refused.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.meetings.models import MediaNode, Meeting, MeetingSeat, MeetingStatus, RecordingState
from odr.meetings.recordings.segments import (
    SegmentIn,
    SegmentRefused,
    finalize_recording,
    store_segment,
)
from odr.policy import Permission
from signaling import nodes
from signaling.handlers.recording import meeting_seats, queue_indicator
from signaling.protocol import (
    Ended,
    NetworkStats,
    NodeHeartbeat,
    NodeRecordingClosed,
    NodeRecordingEvent,
    NodeRoutesAck,
    NodeSegment,
    NodeStats,
)
from signaling.registry import handles
from signaling.rooms import everyone_room, hosts_room
from signaling.routing import queue_routes
from signaling.scope import EventScope, RoomError


async def _hosted(scope: EventScope, meeting_id: int, *, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    if lock:
        query = query.with_for_update()
    meeting = (await scope.uow.session.execute(query)).scalar_one_or_none()
    if meeting is None or meeting.media_node_id != scope.caller.node_id:
        raise RoomError("forbidden", "this node does not host that meeting")
    return meeting


@handles("node.heartbeat", Permission.MEDIA_NODE_EVENT, caller="node")
async def node_heartbeat(scope: EventScope, message: NodeHeartbeat) -> dict[str, object]:
    node = await scope.uow.session.get(MediaNode, scope.caller.node_id)
    if node is None:
        raise RoomError("forbidden", "this node is no longer registered")
    nodes.heartbeat(node, scope.now, rooms=message.rooms, streams=message.streams,
                    cpu_load=message.cpu_load)
    return {"status": node.status}


@handles("node.routes_ack", Permission.MEDIA_NODE_EVENT, caller="node", writes=False)
async def node_routes_ack(scope: EventScope, message: NodeRoutesAck) -> None:
    meeting = await _hosted(scope, message.meeting_id)
    if message.version > meeting.routing_version:
        raise RoomError("invalid_message", "no such routes version was sent")
    nodes.note_routes_ack(scope.sio, meeting.id, message.version)


@handles("node.stats", Permission.MEDIA_NODE_EVENT, caller="node", writes=False)
async def node_stats(scope: EventScope, message: NodeStats) -> None:
    """Network quality per participant, to the host's view (issue 6 point 6)."""
    meeting = await _hosted(scope, message.meeting_id)
    nodes.note_stats(scope.sio, meeting.id, message.seats)
    scope.emit("stats", NetworkStats(meeting_id=meeting.id, seats=message.seats,
                                     at=scope.now.isoformat()), room=hosts_room(meeting.id))


@handles("node.recording", Permission.MEDIA_NODE_EVENT, caller="node")
async def node_recording(scope: EventScope, message: NodeRecordingEvent) -> None:
    """The node had to stop recording (disk full, failure): the meeting's state follows, and
    everyone sees the indicator change with the reason; what was written stays."""
    meeting = await _hosted(scope, message.meeting_id, lock=True)
    scope.meeting = meeting
    await audit(scope.uow, scope.services.clock, action=f"meeting.recording.node_{message.state}",
                actor_label=f"media node {scope.caller.node_id}", subject_type="meeting",
                subject_id=meeting.id, data={"detail": message.detail, "state": meeting.recording_state})
    if message.state == "recording":
        return
    if meeting.recording_state not in (RecordingState.ON, RecordingState.PAUSED):
        return
    meeting.recording_state = RecordingState.OFF
    meeting.updated_at = scope.now
    await queue_routes(scope)
    detail = message.detail or ("recording failed on the media server" if message.state == "failed"
                                else "recording stopped on the media server")
    queue_indicator(scope, meeting, await meeting_seats(scope, meeting), detail=detail)


@handles("node.segment", Permission.MEDIA_NODE_EVENT, caller="node")
async def node_segment(scope: EventScope, message: NodeSegment) -> dict[str, object]:
    """A closed segment: stored as a row, its hash appended to the audit chain."""
    meeting = await _hosted(scope, message.meeting_id, lock=True)
    seat = await scope.uow.session.get(MeetingSeat, message.seat_id)
    if seat is None or seat.meeting_id != meeting.id:
        raise RoomError("forbidden", "that seat is not in this meeting")
    report = SegmentIn(
        seat_id=seat.id, track=message.track, storage_key=message.storage_key,
        sha256=message.sha256, size=message.size, started_at=message.started_at,
        ended_at=message.ended_at, media_start_ms=message.media_start_ms,
        duration_ms=message.duration_ms, caucus_id=message.caucus_id,
    )
    try:
        segment = await store_segment(scope.uow, scope.services, meeting, seat,
                                      scope.caller.node_id or "", report)
    except SegmentRefused as exc:
        raise RoomError(exc.code, exc.message) from exc
    return {"segment_id": segment.id, "sequence": segment.sequence}


@handles("node.recording_closed", Permission.MEDIA_NODE_EVENT, caller="node")
async def node_recording_closed(scope: EventScope, message: NodeRecordingClosed) -> dict[str, object]:
    """Every segment is in: an ended meeting's manifest is sealed and shown to whoever is still here."""
    meeting = await _hosted(scope, message.meeting_id, lock=True)
    if meeting.status != MeetingStatus.ENDED:
        return {"manifest_sha256": None}
    manifest = await finalize_recording(scope.uow, scope.services, meeting)
    if manifest is not None:
        scope.emit("ended", Ended(meeting_id=meeting.id, reason="recording_sealed",
                                  manifest_sha256=manifest), room=everyone_room(meeting.id))
    return {"manifest_sha256": manifest}
