"""A feed: one participant's published audio or video as subscribers see it.

A feed outlives the publisher's connection: when the publisher reconnects or
is replaced, a new *source* (a new received track, with a new source id) is
attached to the same feed, and every subscriber's :class:`ForwardingTrack`
notices the source id change, waits for a keyframe and rewrites timestamps.
Frames reach subscribers through :meth:`Feed.push`, called by the reader task
of the attached received track, or directly by a producer that replays
encoded frames (benchmarks, tests).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Protocol

from aiortc import RTCPeerConnection, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.keyframes import KeyframeRequester, remote_media_ssrc, send_pli
from media.passthrough import EncodedFrame

log = logging.getLogger(__name__)

FeedKey = tuple[str, str]
"""(participant id, kind): how rooms and subscribers name a feed."""

_source_ids = itertools.count(1)


class FrameSink(Protocol):
    def deliver(self, frame: EncodedFrame, source_id: int) -> None: ...


class Feed:
    """Fans one publisher stream out to its sinks, and keyframe requests back."""

    def __init__(
        self, participant_id: str, kind: str, *, keyframe_min_interval: float = 0.5
    ) -> None:
        self.participant_id = participant_id
        self.kind = kind
        self.keyframe_min_interval = keyframe_min_interval
        self._sinks: list[FrameSink] = []
        self._source_id: int | None = None
        self._request: Callable[[], None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._requester: KeyframeRequester | None = None
        self.frames_in = 0
        self.decoded_frames_seen = 0  # must stay 0: the passthrough hook is missing otherwise

    @property
    def key(self) -> FeedKey:
        return (self.participant_id, self.kind)

    @property
    def source_id(self) -> int | None:
        return self._source_id

    @property
    def keyframe_requester(self) -> KeyframeRequester | None:
        return self._requester

    def add_sink(self, sink: FrameSink) -> None:
        if sink not in self._sinks:
            self._sinks.append(sink)

    def remove_sink(self, sink: FrameSink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)

    @property
    def sink_count(self) -> int:
        return len(self._sinks)

    # sources -------------------------------------------------------------

    def start_source(self, request_keyframe: Callable[[], None] | None = None) -> int:
        """Begin a new source (replacing any previous one); returns its id for :meth:`push`.

        A keyframe is requested at once: every subscriber now waits for one.
        """
        self._stop_reader()
        self._source_id = next(_source_ids)
        self._request = request_keyframe
        self.request_keyframe()
        return self._source_id

    def push(self, frame: EncodedFrame, source_id: int) -> None:
        """Forward one encoded frame of source ``source_id`` to every sink."""
        if source_id != self._source_id:
            return  # a replaced source still draining
        self.frames_in += 1
        for sink in self._sinks:
            sink.deliver(frame, source_id)

    def request_keyframe(self) -> None:
        if self._request is not None:
            self._request()

    def attach_received_track(self, pc: RTCPeerConnection, transceiver: RTCRtpTransceiver) -> int:
        """Feed from a track the server receives (the publisher's connection).

        Keyframe requests become rate-limited RTCP PLIs from that receiver.
        """
        receiver = transceiver.receiver
        ssrc: list[int] = []

        async def pli() -> None:
            if not ssrc:
                found = remote_media_ssrc(pc, transceiver)
                if found is None:
                    return
                ssrc.append(found)
            await send_pli(receiver, ssrc[0])

        requester = KeyframeRequester(pli, self.keyframe_min_interval)
        source_id = self.start_source(requester.request)
        self._requester = requester
        self._reader = asyncio.ensure_future(self._read(receiver.track, source_id))
        return source_id

    async def _read(self, track: MediaStreamTrack, source_id: int) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, EncodedFrame):
                    self.push(frame, source_id)
                else:
                    self.decoded_frames_seen += 1
        except MediaStreamError:
            pass

    def _stop_reader(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self._requester is not None:
            self._requester.close()
            self._requester = None

    def end_source(self, source_id: int | None = None) -> None:
        """The publisher is gone; subscribers keep their slot and wait.

        With ``source_id``, only if that source is still the current one (a
        late close of a replaced connection must not end its successor).
        """
        if source_id is not None and source_id != self._source_id:
            return
        self._stop_reader()
        self._source_id = None
        self._request = None

    def close(self) -> None:
        self.end_source()
        self._sinks.clear()

    def __repr__(self) -> str:
        return f"Feed({self.participant_id}/{self.kind} source={self._source_id} sinks={len(self._sinks)})"
