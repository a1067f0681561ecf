"""Recording through the real signaling server and media node, checked with ffprobe and ffmpeg.

Bots join a mediation, consent, the host starts recording: the node writes
each seat's encoded audio and video into segments without decoding, moves
them to the blob store and reports them; signaling stores each one with its
hash in the audit chain. At the end the manifest is sealed and a worker
composes the playback file.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from media.node import MediaNode
from media.recording.segmenter import RecordingConfig
from media.recording.writer import RecordingWriteError, SegmentWriter
from media.room import MediaConfig
from odr.audit.models import AuditEntry
from odr.media_node import BlobSegmentStore
from odr.meetings.models import Meeting, PlaybackStatus, RecordingPlayback, RecordingSegment
from odr.meetings.recordings import compose  # noqa: F401  (registers the outbox handler)
from odr.meetings.recordings.segments import manifest_sha256
from odr.outbox.drain import drain_until_empty
from odr.services import Services
from signaling.nodes import register_node
from signaling.protocol import NAMESPACE
from tests.conftest import LiveServer
from tests.media.bots import Bot, wait_for
from tests.media.recording_support import decode_errors, probe, sha256_file, starts_with_keyframe
from tests.media.test_room_through_signaling import Participant, _room_of_three, _wire
from tests.signaling.support import RoomClient, join, let_in, make_room, room_token

pytestmark = pytest.mark.usefixtures("loopback")
SEGMENT_SECONDS = 1.0


@pytest.fixture
async def node(live_server: LiveServer, services: Services, tmp_path: Path) -> AsyncIterator[MediaNode]:
    credential = await register_node(services, "media-rec")
    recording = RecordingConfig(tmp_path / "spool", segment_seconds=SEGMENT_SECONDS,
                                store=BlobSegmentStore(services.storage))
    media = MediaNode(live_server.url, "media-rec", credential,
                      MediaConfig(keyframe_min_interval=0.2), recording=recording)
    await media.start()
    yield media
    await media.stop()


async def _segments(services: Services, meeting_id: int) -> list[RecordingSegment]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(
            select(RecordingSegment).where(RecordingSegment.meeting_id == meeting_id)
            .order_by(RecordingSegment.seat_id, RecordingSegment.sequence)
        )).scalars().all())


async def _meeting(services: Services, meeting_id: int) -> Meeting:
    async with services.db.reader() as uow:
        row = await uow.session.get(Meeting, meeting_id)
        assert row is not None
        return row


async def _poll(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[misc]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _start_recording(people: list[Participant]) -> int:
    host, a, b = people
    for p in (a, b):
        assert (await p.client.call("recording.consent", {"consent": True}, timeout=20))["ok"]
    ack = await host.client.call("recording.control", {"action": "start"}, timeout=20)
    assert ack["ok"] and ack["state"] == "on", ack
    return host.client.joined["meeting_id"]


async def _publish(p: Participant) -> None:
    offer = await p.bot.publish_offer()
    ack = await p.client.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": offer.sdp},
                              timeout=20)
    assert ack == {"ok": True}, ack


async def _blob_file(services: Services, sha256: str, dest: Path) -> Path:
    dest.write_bytes(await services.storage.get_bytes(sha256))
    return dest


async def test_recorded_segments_are_stored_hashed_audited_and_compose_into_a_playback(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot],
    tmp_path: Path,
) -> None:
    people = await _room_of_three(live_server, services, make_bot)
    host = people[0]
    for p in people:
        await wait_for(lambda p=p: sum(p.bot.frames_from(o.seat.seat_id) for o in people) >= 10,
                       timeout=30, what="media flowing")
    meeting_id = await _start_recording(people)
    started = time.monotonic()
    await _poll(lambda: _has(services, meeting_id, 3), 60, "segments of every seat")
    await asyncio.sleep(max(0.0, 4.0 - (time.monotonic() - started)))  # about 4 s recorded
    assert (await host.client.call("meeting.end", timeout=20))["ok"]
    ended = time.monotonic()

    async def sealed() -> bool:
        return (await _meeting(services, meeting_id)).manifest_sha256 is not None

    await _poll(sealed, 30, "the manifest")
    meeting = await _meeting(services, meeting_id)
    segments = await _segments(services, meeting_id)
    assert {s.seat_id for s in segments} == {p.seat.seat_id for p in people}
    assert meeting.manifest_sha256 == manifest_sha256(segments)  # recomputes from the hashes

    async with services.db.reader() as uow:
        audit = list((await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action.in_(["recording.segment", "recording.manifest"]))
        )).scalars().all())
    audited = {e.data["sha256"] for e in audit if e.action == "recording.segment"}
    assert audited == {s.sha256 for s in segments}
    assert [e.data["manifest_sha256"] for e in audit if e.action == "recording.manifest"][-1] == (
        meeting.manifest_sha256
    )

    for s in segments:
        path = await _blob_file(services, s.sha256, tmp_path / f"{s.id}.webm")
        assert sha256_file(path) == s.sha256 and path.stat().st_size == s.size
        found = probe(path)
        assert found.codecs == {"video": "vp8", "audio": "opus"}, found
        assert decode_errors(path) == ""
        assert starts_with_keyframe(path)  # each segment plays on its own
    for p in people:  # per seat, the segments follow on from each other
        mine = [s for s in segments if s.seat_id == p.seat.seat_id]
        span = (mine[-1].ended_at - mine[0].started_at).total_seconds()
        assert abs(sum(s.duration_ms for s in mine) / 1000 - span) <= 0.05 * span
        assert span <= ended - started + 1.0

    stats = await drain_until_empty(services, "compose-test")
    assert stats.claimed >= 1
    async with services.db.reader() as uow:
        playback = (await uow.session.execute(
            select(RecordingPlayback).where(RecordingPlayback.meeting_id == meeting_id)
        )).scalar_one()
    assert playback.status == PlaybackStatus.DONE, playback.error
    assert playback.manifest_sha256 == meeting.manifest_sha256 and not playback.time_overlay
    assert playback.blob_sha256 is not None
    out = await _blob_file(services, playback.blob_sha256, tmp_path / "playback.webm")
    found = probe(out)
    assert found.codecs == {"video": "vp8", "audio": "opus"}
    recorded = (max(s.ended_at for s in segments) - min(s.started_at for s in segments)).total_seconds()
    assert abs(found.duration - recorded) <= 0.05 * recorded
    assert abs(playback.duration_ms / 1000 - recorded) <= 0.05 * recorded
    assert decode_errors(out) == ""
    for p in people:
        await p.client.close()


async def _has(services: Services, meeting_id: int, seats: int) -> bool:
    return len({s.seat_id for s in await _segments(services, meeting_id)}) >= seats


async def test_a_write_failure_stops_recording_cleanly_and_tells_the_room(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = await _room_of_three(live_server, services, make_bot)
    meeting_id = await _start_recording(people)
    await _poll(lambda: _has(services, meeting_id, 3), 60, "segments of every seat")

    def full(self: SegmentWriter, *args: object, **kwargs: object) -> None:
        raise RecordingWriteError("No space left on device")

    monkeypatch.setattr(SegmentWriter, "write", full)
    for p in people:  # everyone sees the indicator go off, with the reason
        told = await p.client.wait("recording", where=lambda r: r["state"] == "off" and r["detail"],
                                   timeout=20)
        assert "No space left on device" in told["detail"]
    assert (await _meeting(services, meeting_id)).recording_state == "off"
    kept = await _segments(services, meeting_id)
    assert kept
    for s in kept:  # what was closed before stays whole
        path = await _blob_file(services, s.sha256, tmp_path / f"{s.id}.webm")
        assert sha256_file(path) == s.sha256
        assert decode_errors(path) == ""
    await asyncio.sleep(2 * SEGMENT_SECONDS)
    assert len(await _segments(services, meeting_id)) == len(kept)  # and nothing more is written
    for p in people:
        await p.client.close()


async def test_a_caucus_without_its_members_consent_produces_no_segment_L11_L12(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot],
) -> None:
    room = await make_room(services, roles=("party", "party", "agent"))
    a_seat, b_seat, w_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    small = {"width": 160, "height": 120, "fps": 10}  # light bots: four share this process
    people = [Participant(room.host, host, make_bot("host", room.host.seat_id, **small))]
    for seat in (a_seat, b_seat):
        client = await join(live_server.url, services, room, seat)
        people.append(Participant(seat, client, make_bot(seat.name, seat.seat_id, **small)))
    for p in people:
        await _wire(p)
    for p in people[1:]:
        await let_in(services, host, p.client, p.seat)
    for p in people:
        await _publish(p)
    meeting_id = await _start_recording(people)
    await _poll(lambda: _has(services, meeting_id, 3), 60, "segments of every seat")

    # An agent arrives after recording started and never consents: never recorded (L12).
    w_client = RoomClient()
    await w_client.sio.connect(live_server.url, namespaces=[NAMESPACE], transports=["websocket"],
                               auth={"token": room_token(services, room, w_seat),
                                     "meeting_id": room.meeting_id}, wait_timeout=20)
    await w_client.wait("joined", timeout=20)
    witness = Participant(w_seat, w_client, make_bot("agent", w_seat.seat_id, **small))
    await _wire(witness)
    await let_in(services, host, w_client, w_seat)
    await _publish(witness)
    # A caucus of a and the agent: not every member consented, so it is not recorded.
    ack = await host.call("caucus.open", {"seat_ids": [a_seat.seat_id, w_seat.seat_id]},
                          timeout=20)
    assert ack["ok"], ack
    routes_version = ack["routing_version"]
    recorder = node.meetings[meeting_id].recorder
    assert recorder is not None
    await wait_for(lambda: node.meetings[meeting_id].version >= routes_version, timeout=10,
                   what="the caucus routes")
    await wait_for(lambda: not {a_seat.seat_id, w_seat.seat_id} & recorder.active, timeout=10,
                   what="the node applying the caucus's recording rule")
    await asyncio.sleep(3 * SEGMENT_SECONDS)  # the host and b are still recorded meanwhile
    assert (await host.call("caucus.close", {"caucus_id": ack["caucus_id"]}, timeout=20))["ok"]
    back_at = datetime.now(UTC)
    await wait_for(lambda: a_seat.seat_id in recorder.active, timeout=10, what="a back on record")
    assert (await host.call("meeting.end", timeout=20))["ok"]

    async def sealed() -> bool:
        return (await _meeting(services, meeting_id)).manifest_sha256 is not None

    await _poll(sealed, 30, "the manifest")
    segments = await _segments(services, meeting_id)
    assert not [s for s in segments if s.caucus_id == ack["caucus_id"]]
    assert not [s for s in segments if s.seat_id == w_seat.seat_id]
    a_segments = [s for s in segments if s.seat_id == a_seat.seat_id]
    b_segments = [s for s in segments if s.seat_id == b_seat.seat_id]
    gap = max((later.started_at - earlier.ended_at).total_seconds()
              for earlier, later in itertools.pairwise(a_segments))
    assert gap >= 2.5 * SEGMENT_SECONDS  # nothing of a while it was in the caucus
    assert a_segments[-1].ended_at > back_at  # recorded again once back in the main room
    assert len(b_segments) >= len(a_segments)
    for p in [*people, witness]:
        await p.client.close()
