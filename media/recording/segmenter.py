"""Cutting each recorded seat's media into segments that play on their own.

A :class:`SeatRecorder` is a sink of the seat's audio and video feeds (as a
subscriber's forwarding track is), so it gets the same encoded frames, never
decoded. It writes them with :class:`~media.recording.writer.SegmentWriter`:

* A segment starts at a video key frame: recording starts by asking the
  publisher for one (the feed's keyframe path, a rate-limited PLI), and
  ``keyframe_lead_seconds`` before a segment is due to end it asks again; the
  first key frame after that opens the next file. Each file therefore starts
  with a key frame and plays and seeks on its own. A seat with no video cuts
  its audio-only segments on time.
* Audio and video are aligned by **arrival time**: each source's frames keep
  their own RTP-derived spacing (``pts``), anchored to the moment its first
  frame reached the node. aiortc keeps RTCP sender reports private (it only
  stores the middle bits of the NTP time for its receiver reports), so sender
  report alignment is not used; the error is the difference between the two
  tracks' network and jitter-buffer delays (tens of milliseconds on a LAN).
* A closed file is finished, fsynced and hashed in a worker thread, moved to
  the store (``SegmentStore``) and reported, one at a time and in order, by
  the meeting's :class:`MeetingRecorder`. A crash loses only open files.
* A segment never spans a move between the main room and a caucus: when the
  routes put a recorded seat in another room, its open segment closes and the
  next one starts at the next key frame; each report names its caucus.
* A write failure (disk full, I/O error) stops the whole meeting's recording:
  the open files are abandoned unreported, files already closed are kept and
  reported, and ``on_failed`` tells the node, which tells signaling.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from media.feed import Feed
from media.passthrough import EncodedFrame
from media.recording.writer import ClosedFile, RecordingWriteError, SegmentWriter, vp8_size

log = logging.getLogger(__name__)

AUDIO_FRAME_MS = 20


class SegmentStore(Protocol):
    async def put(self, closed: ClosedFile) -> str:
        """Move a closed, hashed segment file to storage; return where it is now."""


@dataclass(frozen=True)
class RecordingConfig:
    """Where open segments are written and where closed ones go."""

    directory: Path
    segment_seconds: float = 10.0
    store: SegmentStore | None = None  # None: closed files stay in ``directory``
    keyframe_lead_seconds: float = 0.3


@dataclass(frozen=True)
class SegmentReport:
    """One closed segment, as the node reports it to signaling (``node.segment``)."""

    meeting_id: int
    seat_id: int
    track: str  # av | video | audio
    sequence: int  # this node's count for the seat (signaling numbers the stored rows)
    storage_key: str
    sha256: str
    size: int
    started_at: datetime
    ended_at: datetime
    media_start_ms: int
    duration_ms: int
    frames: dict[str, int]
    caucus_id: str | None = None


@dataclass
class _Open:
    writer: SegmentWriter
    start_ms: int
    sequence: int
    caucus_id: str | None
    keyframe_asked: bool = False


class _KindSink:
    """The feed sink of one kind; forwards to the seat's recorder."""

    def __init__(self, recorder: SeatRecorder, kind: str) -> None:
        self.recorder = recorder
        self.kind = kind

    def deliver(self, frame: EncodedFrame, source_id: int) -> None:
        self.recorder.on_frame(self.kind, frame, source_id)


class SeatRecorder:
    def __init__(self, meeting: MeetingRecorder, seat_id: int) -> None:
        self.meeting = meeting
        self.seat_id = seat_id
        self.sinks = {kind: _KindSink(self, kind) for kind in ("audio", "video")}
        self.feeds: dict[str, Feed] = {}
        self._anchor: dict[str, tuple[int, int]] = {}  # kind -> (source id, ms to add to pts)
        self._open: _Open | None = None
        self._sequence = 0
        self.stopped = False
        self._asked_at = 0.0
        self.caucus_id: str | None = None

    # feeds -----------------------------------------------------------------
    def attach(self, feed: Feed) -> None:
        old = self.feeds.get(feed.kind)
        if old is feed:
            return
        if old is not None:
            old.remove_sink(self.sinks[feed.kind])
        self.feeds[feed.kind] = feed
        feed.add_sink(self.sinks[feed.kind])
        if feed.kind == "video":
            feed.request_keyframe()

    def detach(self) -> None:
        for kind, feed in self.feeds.items():
            feed.remove_sink(self.sinks[kind])
        self.feeds.clear()

    def _video_live(self) -> bool:
        feed = self.feeds.get("video")
        return feed is not None and feed.source_id is not None

    def _ask_keyframe(self) -> None:
        feed = self.feeds.get("video")
        if feed is not None:
            feed.request_keyframe()

    # frames ------------------------------------------------------------------
    def on_frame(self, kind: str, frame: EncodedFrame, source_id: int) -> None:
        if self.stopped:
            return
        now_ms = self.meeting.elapsed_ms()
        pts_ms = int(frame.pts * frame.time_base * 1000)
        anchor = self._anchor.get(kind)
        if anchor is None or anchor[0] != source_id:
            anchor = (source_id, now_ms - pts_ms)  # arrival-time alignment (see the module doc)
            self._anchor[kind] = anchor
        t = pts_ms + anchor[1]
        try:
            self._write(kind, frame, t)
        except RecordingWriteError as exc:
            self.meeting.write_failed(self, str(exc))

    def _write(self, kind: str, frame: EncodedFrame, t: int) -> None:
        current = self._open
        segment_ms = int(self.meeting.config.segment_seconds * 1000)
        lead_ms = int(self.meeting.config.keyframe_lead_seconds * 1000)
        if kind == "video":
            if current is None or "video" not in current.writer.kinds:
                size = vp8_size(frame.data) if frame.keyframe else None
                if size is None:  # a delta (or an unreadable key frame) cannot start a file
                    self._ask_keyframe_once()
                    return
                self._rotate(t, size)
            elif t >= current.start_ms + segment_ms - lead_ms:
                if frame.keyframe and vp8_size(frame.data) is not None:
                    self._rotate(t, vp8_size(frame.data))
                elif not current.keyframe_asked:
                    current.keyframe_asked = True
                    self._ask_keyframe()
        elif current is None:
            if self._video_live():
                return  # the first segment starts at a video key frame
            self._rotate(t, None)
        elif "video" not in current.writer.kinds and t >= current.start_ms + segment_ms:
            self._rotate(t, None)
        current = self._open
        if current is None or t < current.start_ms:
            return  # from before this segment's key frame
        current.writer.write(kind, frame.data, t - current.start_ms, keyframe=frame.keyframe)

    def _ask_keyframe_once(self) -> None:
        """Waiting for the first key frame: ask, at most every half second."""
        now = time.monotonic()
        if now - self._asked_at >= 0.5:
            self._asked_at = now
            self._ask_keyframe()

    def _rotate(self, t: int, video_size: tuple[int, int] | None) -> None:
        self._close_open()
        audio = "audio" in self.feeds
        path = self.meeting.segment_path(self.seat_id, self._sequence)
        writer = SegmentWriter(path, video_size=video_size, audio=audio or video_size is None)
        self._open = _Open(writer, t, self._sequence, self.caucus_id)
        self._sequence += 1

    def _close_open(self) -> None:
        current, self._open = self._open, None
        if current is not None:
            if sum(current.writer.frames.values()) == 0:
                current.writer.abandon()
                current.writer.path.unlink(missing_ok=True)
                return
            self.meeting.queue_close(self, current)

    def move(self, caucus_id: str | None) -> None:
        """The seat is now in ``caucus_id`` (None: the main room): cut here."""
        if caucus_id == self.caucus_id:
            return
        self.caucus_id = caucus_id
        self._close_open()
        self._ask_keyframe()

    def stop(self) -> None:
        """Stop recording this seat: the open segment is closed and reported."""
        if self.stopped:
            return
        self.stopped = True
        self.detach()
        self._close_open()

    def abandon(self) -> None:
        """After a failure: the open segment is given up, nothing more is written."""
        self.stopped = True
        self.detach()
        current, self._open = self._open, None
        if current is not None:
            current.writer.abandon()


class MeetingRecorder:
    """The recorders of one meeting on this node, and the in-order close-and-report queue."""

    def __init__(
        self,
        meeting_id: int,
        config: RecordingConfig,
        *,
        report: Callable[[SegmentReport], Awaitable[None]],
        on_failed: Callable[[str], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.meeting_id = meeting_id
        self.config = config
        self._report = report
        self._on_failed = on_failed
        self._clock = clock
        self._origin = clock()
        self._origin_wall = wall()
        self._run = uuid.uuid4().hex[:8]  # file names never collide with an earlier run's
        self.recorders: dict[int, SeatRecorder] = {}
        self._queue: asyncio.Queue[tuple[SeatRecorder, _Open] | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.failed: str | None = None
        self.reported = 0
        self.queued = 0
        self.unannounced = False  # segments reported since the last "closed" announcement

    def elapsed_ms(self) -> int:
        return int((self._clock() - self._origin) * 1000)

    def segment_path(self, seat_id: int, sequence: int) -> Path:
        return self.config.directory / f"m{self.meeting_id}" / f"s{seat_id}-{self._run}-{sequence:05d}.webm"

    @property
    def active(self) -> set[int]:
        return {seat for seat, rec in self.recorders.items() if not rec.stopped}

    def sync(
        self, seats: set[int], feed_for: Callable[[int, str], Feed],
        caucus: Mapping[int, str] | None = None,
    ) -> None:
        """Record exactly ``seats`` from now on (signaling's ``recording`` list and caucuses)."""
        caucus = caucus or {}
        if self.failed is not None:
            seats = set()
        for seat, recorder in list(self.recorders.items()):
            if seat not in seats:
                recorder.stop()
                del self.recorders[seat]
        for seat in seats:
            found = self.recorders.get(seat)
            if found is None:
                found = self.recorders[seat] = SeatRecorder(self, seat)
                found.caucus_id = caucus.get(seat)
            found.move(caucus.get(seat))
            for kind in ("video", "audio"):
                found.attach(feed_for(seat, kind))

    def feed_created(self, feed: Feed) -> None:
        """A recorded seat published again (a new feed object): keep recording it."""
        recorder = self.recorders.get(int(feed.participant_id))
        if recorder is not None and not recorder.stopped:
            recorder.attach(feed)

    def stop_all(self) -> None:
        for recorder in self.recorders.values():
            recorder.stop()
        self.recorders.clear()

    def queue_close(self, recorder: SeatRecorder, segment: _Open) -> None:
        self.queued += 1
        self.unannounced = True
        self._queue.put_nowait((recorder, segment))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())

    def write_failed(self, recorder: SeatRecorder, detail: str) -> None:
        log.error("recording of meeting %s failed: %s", self.meeting_id, detail)
        recorder.abandon()
        if self.failed is not None:
            return
        self.failed = detail
        for other in self.recorders.values():
            if other is not recorder:
                other.abandon()
        self.recorders.clear()
        self._queue.put_nowait(None)  # the failure is told after what was already closed
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())

    async def drain(self) -> None:
        """Wait until every queued segment is closed, stored and reported.

        Call it once the recorders are stopped: while seats are still recorded,
        new segments keep the queue busy.
        """
        while self._worker is not None and not self._worker.done():
            await asyncio.shield(self._worker)

    async def _work(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                await self._tell_failure()
                continue
            recorder, segment = item
            try:
                await self._close_and_report(recorder, segment)
            except RecordingWriteError as exc:
                if self.failed is None:
                    self.failed = str(exc)
                    self.stop_all()
                    await self._tell_failure()

    async def _tell_failure(self) -> None:
        try:
            await self._on_failed(self.failed or "recording failed")
        except Exception:
            log.exception("could not report the recording failure of meeting %s", self.meeting_id)

    async def _close_and_report(self, recorder: SeatRecorder, segment: _Open) -> None:
        writer, start_ms = segment.writer, segment.start_ms
        last_ms = writer.last_ms()
        frames = dict(writer.frames)
        kinds = writer.kinds
        closed = await asyncio.to_thread(writer.close)
        try:
            key = await self.config.store.put(closed) if self.config.store else str(closed.path)
        except Exception as exc:
            raise RecordingWriteError(f"cannot store {closed.path.name}: {exc}") from exc
        track = "av" if kinds == {"audio", "video"} else next(iter(kinds))
        duration = last_ms + AUDIO_FRAME_MS
        started = self._origin_wall + timedelta(milliseconds=start_ms)
        report = SegmentReport(
            meeting_id=self.meeting_id, seat_id=recorder.seat_id, track=track,
            sequence=segment.sequence, caucus_id=segment.caucus_id,
            storage_key=key, sha256=closed.sha256, size=closed.size, started_at=started,
            ended_at=started + timedelta(milliseconds=duration), media_start_ms=start_ms,
            duration_ms=duration, frames=frames,
        )
        try:
            await self._report(report)
        except Exception:  # the file is stored; signaling missed the report
            log.exception("could not report segment %s", closed.path.name)
        self.reported += 1
