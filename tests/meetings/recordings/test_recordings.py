"""A meeting's recording after the room: manifest, composed playback, who may see and download it.

Segments are made by the real segmenter from encoded frames (no network),
stored as the node stores them, and reported through the same function the
``node.segment`` handler calls.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from sqlalchemy import select

from media.feed import Feed
from media.recording.segmenter import MeetingRecorder, RecordingConfig, SegmentReport
from odr.audit.models import AuditEntry
from odr.media_node import BlobSegmentStore
from odr.meetings.models import Meeting, MeetingSeat, PlaybackStatus, RecordingPlayback
from odr.meetings.recordings import compose  # noqa: F401  (registers the outbox handler)
from odr.meetings.recordings.segments import (
    SegmentIn,
    finalize_recording,
    manifest_sha256,
    segments_of,
    store_segment,
)
from odr.outbox.drain import drain_until_empty
from odr.services import Services
from tests.factories import make_user, sign_in
from tests.media.recording_support import SyntheticSource, decode_errors, probe
from tests.signaling.support import Room, make_room


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def _record(services: Services, tmp_path: Path, seats: list[int], seconds: float) -> list[SegmentReport]:
    """``seconds`` of synthetic audio+video per seat, cut into 1 s segments and stored."""
    reports: list[SegmentReport] = []

    async def report(r: SegmentReport) -> None:
        reports.append(r)

    async def failed(detail: str) -> None:
        raise AssertionError(detail)

    clock = Clock()
    recorder = MeetingRecorder(1, RecordingConfig(tmp_path / "spool", segment_seconds=1.0,
                                                  store=BlobSegmentStore(services.storage)),
                               report=report, on_failed=failed, clock=clock)
    sources = {seat: SyntheticSource(source=seat % 250) for seat in seats}
    feeds = {(seat, kind): Feed(str(seat), kind) for seat in seats for kind in ("audio", "video")}
    ids = {key: feed.start_source(sources[key[0]].request_keyframe if key[1] == "video" else None)
           for key, feed in feeds.items()}
    recorder.sync(set(seats), lambda seat, kind: feeds[(seat, kind)])
    events = sorted([(n / 15, "video", n) for n in range(int(seconds * 15))]
                    + [(n * 0.02, "audio", n) for n in range(int(seconds * 50))])
    base = clock.now
    for at, kind, n in events:
        clock.now = base + at
        for seat in seats:
            src = sources[seat]
            frame = src.video_frame(n) if kind == "video" else src.audio_frame(n)
            if frame is not None:
                feeds[(seat, kind)].push(frame, ids[(seat, kind)])
    recorder.stop_all()
    await recorder.drain()
    return reports


async def _stored(services: Services, room: Room, reports: list[SegmentReport],
                  seat_ids: dict[int, int]) -> Meeting:
    """Store the reports as signaling does, end the meeting and seal the manifest."""
    async with services.db.uow() as uow:
        meeting = await uow.session.get(Meeting, room.meeting_id)
        assert meeting is not None
        for r in reports:
            seat = await uow.session.get(MeetingSeat, seat_ids[r.seat_id])
            assert seat is not None
            await store_segment(uow, services, meeting, seat, "media-test", SegmentIn(
                seat_id=seat.id, track=r.track, storage_key=r.storage_key, sha256=r.sha256,
                size=r.size, started_at=r.started_at, ended_at=r.ended_at,
                media_start_ms=r.media_start_ms, duration_ms=r.duration_ms))
        meeting.status, meeting.ended_at = "ended", services.clock.now()
        assert await finalize_recording(uow, services, meeting) is not None
        return meeting


async def test_a_hearing_playback_is_one_grid_with_a_time_overlay_and_matches_the_manifest_L32(
    services: Services, tmp_path: Path
) -> None:
    room = await make_room(services, kind="hearing", roles=("party", "party"))
    seats = [room.host.seat_id, room.seats[0].seat_id]
    reports = await _record(services, tmp_path, seats, 3.0)
    meeting = await _stored(services, room, reports, {s: s for s in seats})
    async with services.db.reader() as uow:
        segments = await segments_of(uow, room.meeting_id)
        playback = (await uow.session.execute(select(RecordingPlayback))).scalar_one()
        manifests = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "recording.manifest"))).scalars().all()
    assert meeting.manifest_sha256 == manifest_sha256(segments)
    assert [m.data["manifest_sha256"] for m in manifests] == [meeting.manifest_sha256]
    assert playback.status == PlaybackStatus.PENDING and playback.time_overlay  # L32

    await drain_until_empty(services, "compose-test")
    async with services.db.reader() as uow:
        playback = (await uow.session.execute(select(RecordingPlayback))).scalar_one()
    assert playback.status == PlaybackStatus.DONE, playback.error
    assert playback.blob_sha256 is not None
    out = tmp_path / "playback.webm"
    out.write_bytes(await services.storage.get_bytes(playback.blob_sha256))
    found = probe(out)
    assert found.codecs == {"video": "vp8", "audio": "opus"}
    recorded = (max(s.ended_at for s in segments) - min(s.started_at for s in segments)).total_seconds()
    assert abs(found.duration - recorded) <= 0.05 * recorded
    assert decode_errors(out) == ""
    # Two tiles side by side; the overlay draws light text into the top-left corner.
    frame = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-frames:v", "1", "-f", "rawvideo",
                            "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    width = 640
    corner = [frame[y * width + x] for y in range(10, 30) for x in range(10, 150)]
    assert max(corner) > 200  # the time is drawn


async def test_only_the_office_lists_and_downloads_recordings_and_participants_see_the_hashes(
    services: Services, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    room = await make_room(services, roles=("party", "party"))
    seats = [room.seats[0].seat_id]
    reports = await _record(services, tmp_path, seats, 2.0)
    meeting = await _stored(services, room, reports, {s: s for s in seats})
    base = f"/api/v1/meetings/{room.meeting_id}/recordings"

    party = room.seats[0].user
    assert party is not None
    await sign_in(client, services, party)
    assert (await client.get(base)).status_code == 403
    assert (await client.get(f"{base}/playback")).status_code == 403
    seen = (await client.get(f"{base}/manifest")).json()
    assert seen["manifest_sha256"] == meeting.manifest_sha256
    assert seen["segment_sha256"] == [r.sha256 for r in sorted(reports, key=lambda r: r.sequence)]
    stranger = await make_user(services, role="party", password=None)
    await sign_in(client, services, stranger)
    assert (await client.get(f"{base}/manifest")).status_code == 403

    host = room.host.user
    assert host is not None
    await sign_in(client, services, host)
    listed = (await client.get(base)).json()
    assert listed["manifest_sha256"] == meeting.manifest_sha256
    assert [s["sha256"] for s in listed["segments"]] == seen["segment_sha256"]
    assert listed["playback"]["status"] == "pending"
    response = await client.get(f"{base}/playback")
    assert response.status_code == 404 and response.json()["error"]["code"] == "playback_not_ready"

    await drain_until_empty(services, "compose-test")
    response = await client.get(f"{base}/playback")
    assert response.status_code == 200 and response.headers["content-type"] == "video/webm"
    listed = (await client.get(base)).json()
    assert listed["playback"]["status"] == "done"
    assert response.headers["x-content-sha256"] == listed["playback"]["sha256"]
    async with services.db.reader() as uow:
        downloads = (await uow.session.execute(select(AuditEntry).where(
            AuditEntry.action == "recording.playback_downloaded"))).scalars().all()
    assert [d.actor_id for d in downloads] == [host.id]
