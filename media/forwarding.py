"""The sender side: a track that sends one feed's encoded frames to one subscriber.

Given to an ``RTCRtpSender``, a :class:`ForwardingTrack` returns
:class:`EncodedFrame` objects, which aiortc packetizes without encoding. It
does three things a plain relay would not:

- Keyframe gating (video): after it is attached to a feed, and whenever the
  feed's source changes (publisher reconnected or replaced), nothing is sent
  until a keyframe: a subscriber never gets deltas it cannot decode.
- Timestamp rewriting: each source's pts start from 0 (aiortc maps RTP
  timestamps to an origin per receiver); the track adds an offset so the
  subscriber sees monotonic pts, hence monotonic RTP timestamps on one SSRC,
  across source changes, with a gap equal to the wall time that passed.
- Keyframe-request relay: the subscriber's PLI/FIR reaches the feed (see
  media.keyframes.relay_keyframe_requests) and from there the publisher.
- Bounded delay: frames that waited longer than ``max_delay`` (a subscriber
  connection still coming up, a stalled sender) are dropped, video back to
  the next keyframe, so a subscriber gets live media rather than a backlog.

One track lives as long as its sender: aiortc's sender loop ends for good
when ``recv`` raises, so a detached track waits instead, and a subscriber's
slot is re-used for another feed by :meth:`ForwardingTrack.attach`.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.feed import Feed
from media.passthrough import EncodedFrame

# Smallest pts step when a source changes: one video frame at 30 fps, one 20 ms Opus frame.
MIN_STEP = {"video": 3000, "audio": 960}
QUEUE_LIMIT = {"video": 90, "audio": 150}
# Frames older than this are not sent: a subscriber whose connection came up
# late, or whose sender stalled, gets live media (from a keyframe), not a backlog.
MAX_DELAY = 0.5


class ForwardingTrack(MediaStreamTrack):
    def __init__(
        self,
        kind: str,
        *,
        queue_limit: int | None = None,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.kind = kind
        self._feed: Feed | None = None
        self._queue: collections.deque[tuple[EncodedFrame, int, float]] = collections.deque()
        self._queue_limit = queue_limit or QUEUE_LIMIT[kind]
        self._max_delay = max_delay
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._gated = kind == "video"
        self._gate_source: int | None = None  # source whose keyframe opened the gate
        self._ts_source: int | None = None
        self._offset = 0
        self._last_pts: int | None = None
        self._last_time = 0.0
        self.forwarded = 0
        self.dropped_before_keyframe = 0
        self.overflows = 0
        self.stale_dropped = 0

    @property
    def feed(self) -> Feed | None:
        return self._feed

    def attach(self, feed: Feed | None) -> None:
        """Carry ``feed`` from now on (``None``: carry nothing, keep the slot)."""
        if feed is self._feed:
            return
        if self._feed is not None:
            self._feed.remove_sink(self)
        self._feed = feed
        self._queue.clear()
        self._gate_source = None
        if feed is not None:
            feed.add_sink(self)
            if self.kind == "video":
                feed.request_keyframe()

    def request_keyframe(self) -> None:
        """The subscriber asked for a keyframe (PLI/FIR): ask the publisher."""
        if self._feed is not None:
            self._feed.request_keyframe()

    def deliver(self, frame: EncodedFrame, source_id: int) -> None:
        if self.readyState != "live":
            return
        if self._gated and source_id != self._gate_source:
            if not frame.keyframe:
                self.dropped_before_keyframe += 1
                return
            self._gate_source = source_id
        if len(self._queue) >= self._queue_limit:
            self.overflows += 1
            if self.kind == "video":
                # a lost delta breaks every frame up to the next keyframe
                self._queue.clear()
                self._gate_source = None
                if self._feed is not None:
                    self._feed.request_keyframe()
                if not frame.keyframe:
                    return
                self._gate_source = source_id
            else:
                self._queue.popleft()
        self._queue.append((frame, source_id, self._clock()))
        self._wakeup.set()

    def _drop_stale(self, now: float) -> None:
        queue = self._queue
        while queue and now - queue[0][2] > self._max_delay:
            queue.popleft()
            self.stale_dropped += 1
        if self.kind != "video":
            return
        # deltas after a dropped frame would not decode: skip to the next keyframe
        while queue and not queue[0][0].keyframe:
            queue.popleft()
            self.stale_dropped += 1
        if not queue:
            self._gate_source = None
            if self._feed is not None:
                self._feed.request_keyframe()

    async def recv(self) -> EncodedFrame:  # type: ignore[override]
        while True:
            while not self._queue:
                if self.readyState != "live":
                    raise MediaStreamError
                self._wakeup.clear()
                await self._wakeup.wait()
            if self.readyState != "live":
                raise MediaStreamError
            now = self._clock()
            if now - self._queue[0][2] <= self._max_delay:
                break
            self._drop_stale(now)
        frame, source_id, _ = self._queue.popleft()
        if source_id != self._ts_source:
            self._ts_source = source_id
            if self._last_pts is None:
                self._offset = -frame.pts
            else:
                tb = frame.time_base
                elapsed = int((now - self._last_time) * tb.denominator / tb.numerator)
                self._offset = self._last_pts + max(MIN_STEP[self.kind], elapsed) - frame.pts
        pts = frame.pts + self._offset
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # never step back, even on a misbehaving source
        self._last_pts = pts
        self._last_time = now
        self.forwarded += 1
        return frame.with_pts(pts)

    def stop(self) -> None:
        self.attach(None)
        super().stop()
        self._wakeup.set()
