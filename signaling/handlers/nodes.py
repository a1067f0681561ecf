"""Events only media nodes send: heartbeat, routes acknowledgement, statistics, recording trouble.

A node speaks only about meetings it hosts (``Meeting.media_node_id``); any
other meeting id is refused.
"""

from __future__ import annotations

from sqlalchemy import select

from odr.audit.chain import record as audit
from odr.meetings.models import MediaNode, Meeting, RecordingState
from odr.policy import Permission
from signaling import nodes
from signaling.handlers.recording import meeting_seats, queue_indicator
from signaling.protocol import (
    NetworkStats,
    NodeHeartbeat,
    NodeRecordingEvent,
    NodeRoutesAck,
    NodeStats,
)
from signaling.registry import handles
from signaling.rooms import hosts_room
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
