"""kill -9 of the media node process mid-recording: every closed segment stays whole.

The node runs as its own process (``python -m odr.cli media``), as in
production; the signaling server and the bots run here. After the kill, each
segment the database knows is in the blob store with the reported hash,
starts with a key frame and decodes to the end; only the open segments (on
the node's spool, never reported) are lost.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from odr.meetings.models import MediaNode, RecordingSegment
from odr.services import Services
from signaling.nodes import register_node
from tests.conftest import LiveServer
from tests.media.bots import Bot
from tests.media.recording_support import decode_errors, probe, sha256_file, starts_with_keyframe
from tests.media.test_recording_through_signaling import _start_recording
from tests.media.test_room_through_signaling import _room_of_three
from tests.tasks.procs import start, wait_until

pytestmark = pytest.mark.usefixtures("loopback")


async def test_kill_9_of_the_media_node_keeps_every_closed_segment_intact(
    live_server: LiveServer, services: Services, make_bot: Callable[..., Bot], tmp_path: Path,
) -> None:
    credential = await register_node(services, "media-crash")
    node_settings = services.settings.model_copy(update={
        "media_signaling_url": live_server.url, "media_node_id": "media-crash",
        "media_node_credential": SecretStr(credential), "media_host_addresses": ["127.0.0.1"],
        "recording_segment_seconds": 1.0, "media_node_heartbeat_seconds": 1,
    })
    proc = start("media", [sys.executable, "-m", "odr.cli", "media"], node_settings, tmp_path)
    try:
        async def connected() -> bool:
            async with services.db.reader() as uow:
                row = await uow.session.get(MediaNode, "media-crash")
                return row is not None and row.last_heartbeat_at is not None

        await wait_until(connected, "the media node process", watch=[proc])
        people = await _room_of_three(live_server, services, make_bot)
        meeting_id = await _start_recording(people)

        async def closed_segments() -> list[RecordingSegment]:
            async with services.db.reader() as uow:
                rows = list((await uow.session.execute(
                    select(RecordingSegment).where(RecordingSegment.meeting_id == meeting_id)
                )).scalars().all())
            return rows if len({r.seat_id for r in rows}) == 3 and len(rows) >= 6 else []

        await wait_until(closed_segments, "closed segments of every seat", timeout=60, watch=[proc])
        proc.kill9()  # mid-recording: every seat has an open segment now
        segments = await closed_segments()
        for s in segments:
            path = tmp_path / f"{s.id}.webm"
            path.write_bytes(await services.storage.get_bytes(s.sha256))
            assert sha256_file(path) == s.sha256 and path.stat().st_size == s.size
            assert probe(path).codecs == {"video": "vp8", "audio": "opus"}
            assert starts_with_keyframe(path)
            assert decode_errors(path) == ""
        spool = node_settings.var_dir / "recordings" / f"m{meeting_id}"
        lost = list(spool.glob("*.webm"))  # the open segments, never reported
        assert lost and not {sha256_file(p) for p in lost} & {s.sha256 for s in segments}
        for p in people:
            await p.client.close()
    finally:
        proc.kill9()
