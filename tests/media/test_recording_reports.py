"""What signaling accepts from a node about recordings (``node.segment``, ``node.recording_closed``).

A protocol client with a node credential stands in for the media node: the
point here is signaling's side — a node speaks only for meetings it hosts and
seats of those meetings, a report names a file really in storage, a repeated
report is the same row, and the manifest is sealed only once the meeting ended.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.meetings.models import Meeting, RecordingSegment
from odr.meetings.recordings.segments import manifest_sha256
from odr.services import Services
from odr.storage.base import blob_key
from tests.conftest import LiveServer
from tests.signaling.node_client import latest_routes, start_node
from tests.signaling.support import RoomClient, join, let_in, make_room


def _report(meeting_id: int, seat_id: int, sha256: str, size: int, **changes: Any) -> dict[str, Any]:
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    return {"meeting_id": meeting_id, "seat_id": seat_id, "track": "av", "sequence": 0,
            "storage_key": blob_key(sha256), "sha256": sha256, "size": size,
            "started_at": start.isoformat(), "ended_at": (start + timedelta(seconds=1)).isoformat(),
            "media_start_ms": 0, "duration_ms": 1000, **changes}


async def test_a_node_reports_segments_only_for_its_meetings_and_real_files(
    live_server: LiveServer, services: Services
) -> None:
    node = await start_node(live_server.url, services)
    room = await make_room(services, roles=["party", "party"])
    other = await make_room(services, roles=["party", "party"])
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, room.seats[0])
    clients: list[RoomClient] = [node, host, a]
    try:
        await let_in(services, host, a, room.seats[0])
        await latest_routes(node, room.meeting_id, lambda r: len(r["receive"]) == 2)
        ref = await services.storage.put_bytes(b"\x1a\x45\xdf\xa3 a webm file")
        seat = room.seats[0].seat_id

        ack = await node.call("node.segment", _report(room.meeting_id, other.seats[0].seat_id,
                                                        ref.sha256, ref.size))
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # not this meeting's seat
        ack = await node.call("node.segment", _report(other.meeting_id, other.seats[0].seat_id,
                                                        ref.sha256, ref.size))
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # not its meeting
        missing = "0" * 64
        ack = await node.call("node.segment", _report(room.meeting_id, seat, missing, 10))
        assert ack["ok"] is False and ack["error"]["code"] == "not_found"
        ack = await node.call("node.segment", _report(room.meeting_id, seat, ref.sha256, ref.size,
                                                        storage_key="../../etc/passwd"))
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_message"

        first = await node.call("node.segment", _report(room.meeting_id, seat, ref.sha256, ref.size))
        again = await node.call("node.segment", _report(room.meeting_id, seat, ref.sha256, ref.size))
        assert first["ok"] and again == first  # a retried report is the same row
        ack = await node.call("node.recording_closed", {"meeting_id": room.meeting_id, "segments": 1})
        assert ack == {"ok": True, "manifest_sha256": None}  # the meeting has not ended

        assert (await host.call("meeting.end"))["ok"]
        ack = await node.call("node.recording_closed", {"meeting_id": room.meeting_id, "segments": 1})
        async with services.db.reader() as uow:
            rows = list((await uow.session.execute(select(RecordingSegment))).scalars().all())
            meeting = await uow.session.get(Meeting, room.meeting_id)
            audited = list((await uow.session.execute(select(AuditEntry).where(
                AuditEntry.action.in_(["recording.segment", "recording.manifest"]))
                .order_by(AuditEntry.seq))).scalars().all())
        assert meeting is not None and len(rows) == 1
        assert ack["manifest_sha256"] == meeting.manifest_sha256 == manifest_sha256(rows)
        assert [(e.action, e.data.get("sha256") or e.data.get("manifest_sha256")) for e in audited] == [
            ("recording.segment", ref.sha256), ("recording.manifest", meeting.manifest_sha256)]
    finally:
        for client in clients:
            await client.close()
