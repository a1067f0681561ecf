"""The segmenter alone, fed encoded frames on a moved clock: no network, no database.

What a participant would notice: every segment plays on its own from a key
frame, the pieces add up to the time recorded, the hash reported is the
file's, and a full disk stops recording without losing what was closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from media.feed import Feed
from media.recording import segmenter as segmenter_module
from media.recording.segmenter import MeetingRecorder, RecordingConfig, SegmentReport
from media.recording.writer import RecordingWriteError, SegmentWriter, vp8_size
from tests.media.recording_support import (
    SyntheticSource,
    decode_errors,
    probe,
    sha256_file,
    starts_with_keyframe,
)

SEAT = 7


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _recorder(tmp_path: Path, clock: Clock, reports: list[SegmentReport], failures: list[str],
              segment_seconds: float = 1.0) -> MeetingRecorder:
    async def report(r: SegmentReport) -> None:
        reports.append(r)

    async def failed(detail: str) -> None:
        failures.append(detail)

    return MeetingRecorder(5, RecordingConfig(tmp_path, segment_seconds=segment_seconds),
                           report=report, on_failed=failed, clock=clock)


def _feeds(source: SyntheticSource) -> tuple[Feed, Feed, int, int]:
    video, audio = Feed(str(SEAT), "video"), Feed(str(SEAT), "audio")
    return video, audio, video.start_source(source.request_keyframe), audio.start_source()


def _play(seconds: float, clock: Clock, source: SyntheticSource, video: Feed, audio: Feed,
          vid: int, aid: int, start: float = 0.0) -> None:
    """Push ``seconds`` of 15 fps video and 20 ms audio frames in arrival order."""
    base = clock.now
    events = [(n / 15, "video", n) for n in range(int(start * 15), int((start + seconds) * 15))]
    events += [(n * 0.02, "audio", n) for n in range(int(start * 50), int((start + seconds) * 50))]
    for at, kind, n in sorted(events):
        clock.now = base + at - start
        if kind == "video":
            frame = source.video_frame(n)
            if frame is not None:
                video.push(frame, vid)
        else:
            frame = source.audio_frame(n)
            if frame is not None:
                audio.push(frame, aid)


async def test_segments_start_at_keyframes_and_add_up_to_the_recorded_time(tmp_path: Path) -> None:
    clock, reports, failures = Clock(), [], []  # type: ignore[var-annotated]
    source = SyntheticSource()
    video, audio, vid, aid = _feeds(source)
    recorder = _recorder(tmp_path, clock, reports, failures)
    recorder.sync({SEAT}, lambda seat, kind: video if kind == "video" else audio)
    _play(3.6, clock, source, video, audio, vid, aid)
    recorder.stop_all()
    await recorder.drain()

    assert failures == []
    assert len(reports) >= 3
    assert source.keyframe_requests >= len(reports)  # one asked for at every segment start
    total = sum(r.duration_ms for r in reports) / 1000
    assert abs(total - 3.6) <= 0.05 * 3.6
    for r in reports:
        path = Path(r.storage_key)
        assert sha256_file(path) == r.sha256 and path.stat().st_size == r.size
        assert starts_with_keyframe(path)  # plays and seeks on its own
        found = probe(path)
        assert found.codecs == {"video": "vp8", "audio": "opus"}
        assert decode_errors(path) == ""
        assert r.track == "av"
    for r in reports[:-1]:  # cut at the key frame asked for keyframe_lead_seconds early
        assert 0.6 <= r.duration_ms / 1000 <= 1.5
    starts = [r.media_start_ms for r in reports]
    assert starts == sorted(starts)
    assert [r.sequence for r in reports] == list(range(len(reports)))


async def test_a_full_disk_stops_recording_and_keeps_the_closed_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, reports, failures = Clock(), [], []  # type: ignore[var-annotated]
    source = SyntheticSource()
    video, audio, vid, aid = _feeds(source)
    recorder = _recorder(tmp_path, clock, reports, failures)
    recorder.sync({SEAT}, lambda seat, kind: video if kind == "video" else audio)
    _play(2.5, clock, source, video, audio, vid, aid)
    await recorder.drain()
    closed_before = list(reports)
    assert closed_before

    def full(self: SegmentWriter, *args: object, **kwargs: object) -> None:
        raise RecordingWriteError("No space left on device")

    monkeypatch.setattr(SegmentWriter, "write", full)
    _play(1.0, clock, source, video, audio, vid, aid, start=2.5)
    await recorder.drain()

    assert failures == ["No space left on device"]  # told once
    assert recorder.failed and not recorder.active
    assert video.sink_count == 0 and audio.sink_count == 0  # nothing more is written
    assert reports == closed_before
    for r in reports:
        assert sha256_file(Path(r.storage_key)) == r.sha256
        assert decode_errors(Path(r.storage_key)) == ""
    recorder.sync({SEAT}, lambda seat, kind: video if kind == "video" else audio)
    assert not recorder.active  # a failed meeting is not restarted by later routes


def test_vp8_size_reads_the_keyframe_header() -> None:
    source = SyntheticSource()
    key = source.video_frame(0)
    delta = source.video_frame(1)
    assert key is not None and delta is not None
    assert vp8_size(key.data) == (160, 120)
    assert vp8_size(delta.data) is None


def test_the_segmenter_never_decodes() -> None:
    """Recording imports no decoder: encoded frames in, encoded frames out."""
    text = Path(segmenter_module.__file__).read_text() + Path(
        segmenter_module.__file__).with_name("writer.py").read_text()
    assert "decode(" not in text and ".encode(" not in text
