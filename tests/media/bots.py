"""Reusable aiortc test bots: real WebRTC peers with synthetic, checkable media.

A :class:`Bot` publishes synthetic VP8 video whose pictures carry its
``source`` number and a frame counter drawn as black/white blocks (readable
after lossy coding, see :func:`read_counter`), plus an Opus tone, on a
*publish* connection it offers; it receives on a *subscribe* connection the
server offers, decodes every frame itself and counts, per source read from
the pixels, the frames it decoded (:attr:`Bot.video`), and per mid the Opus
frames it decoded (:attr:`Bot.audio`).

SDP travels through the caller (a test harness today, the signaling client
later): ``offer = await bot.publish_offer()`` / ``await
bot.accept_publish_answer(answer)`` and ``answer = await
bot.answer_subscribe(offer)``.

Decoding: with media.passthrough installed (it is, process-wide, once a
ForwardingRoom exists) received tracks yield encoded frames and the bot
decodes them with PyAV; without it aiortc hands decoded frames, which the bot
reads the same way. Either way a bot can prove what arrived.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.ice import rtc_configuration
from media.keyframes import send_pli
from media.passthrough import EncodedFrame

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48_000)
COLS, ROWS = 8, 4  # row 0: source (8 bits), rows 1-2: counter (16 bits), row 3: motion
DARK, LIGHT = 32, 224


def draw_counter(source: int, counter: int, width: int, height: int) -> av.VideoFrame:
    """A yuv420p picture with ``source`` and ``counter`` drawn as bit blocks."""
    bw, bh = width // COLS, height // ROWS
    image = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
    luma = image[:height]
    luma[:] = DARK
    bits = [(source >> (7 - i)) & 1 for i in range(8)] + [
        (counter >> (15 - i)) & 1 for i in range(16)
    ]
    for i, bit in enumerate(bits):
        if bit:
            row, col = divmod(i, COLS)
            luma[row * bh : (row + 1) * bh, col * bw : (col + 1) * bw] = LIGHT
    x = (counter * 4) % max(1, width - bw)  # a moving bar so deltas are not empty
    luma[3 * bh :, x : x + bw // 2] = LIGHT
    return av.VideoFrame.from_ndarray(image, format="yuv420p")


def read_counter(frame: av.VideoFrame) -> tuple[int, int]:
    """(source, counter) read back from a picture made by :func:`draw_counter`."""
    luma = frame.to_ndarray(format="gray")
    height, width = luma.shape
    bw, bh = width // COLS, height // ROWS
    value = 0
    for i in range(24):
        row, col = divmod(i, COLS)
        centre = luma[
            row * bh + bh // 4 : row * bh + 3 * bh // 4, col * bw + bw // 4 : col * bw + 3 * bw // 4
        ]
        value = (value << 1) | int(centre.mean() > (DARK + LIGHT) / 2)
    return value >> 16, value & 0xFFFF


class CounterVideoTrack(MediaStreamTrack):
    """Paced synthetic video: frame n shows (source, n)."""

    kind = "video"

    def __init__(self, source: int, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.source, self.width, self.height, self.fps = source, width, height, fps
        self.counter = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self.counter / self.fps
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing a live source, not waiting for a result
        frame = draw_counter(self.source, self.counter & 0xFFFF, self.width, self.height)
        frame.pts = int(self.counter * 90_000 / self.fps)
        frame.time_base = VIDEO_TIME_BASE
        self.counter += 1
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """Paced 20 ms frames of a 440 Hz tone, mono s16 at 48 kHz."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self._start: float | None = None
        t = np.arange(960) / 48_000
        self._samples = (np.sin(2 * np.pi * 440 * t) * 3000).astype(np.int16).reshape(1, -1)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.sent * 0.02 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = av.AudioFrame.from_ndarray(self._samples, format="s16", layout="mono")
        frame.sample_rate = 48_000
        frame.pts = self.sent * 960
        frame.time_base = AUDIO_TIME_BASE
        self.sent += 1
        return frame


class ReplayVideoTrack(MediaStreamTrack):
    """Paced pre-encoded VP8 (see :func:`encode_clip`), looped: costs no encoder.

    aiortc sends the frames as they are. Keyframe requests cannot be honoured
    before the clip loops back to its first (key) frame; counters repeat per loop.
    """

    kind = "video"

    def __init__(self, clip: list[EncodedFrame], fps: int = 15) -> None:
        super().__init__()
        assert clip and clip[0].keyframe
        self.clip, self.fps = clip, fps
        self.counter = 0
        self._start: float | None = None

    async def recv(self) -> EncodedFrame:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self.counter / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = self.clip[self.counter % len(self.clip)].with_pts(self.counter * 90_000 // self.fps)
        self.counter += 1
        return frame


@dataclass
class SourceStats:
    """What one bot decoded of one source's video."""

    frames: int = 0
    counters: list[int] = field(default_factory=list)


@dataclass
class MidStats:
    """What arrived on one received m-line (audio or video)."""

    kind: str
    frames: int = 0  # decoded pictures / audio frames
    encoded: int = 0  # encoded frames received (passthrough installed)
    first_keyframe: bool | None = None  # was the first video frame received a keyframe?
    keyframes: int = 0
    decode_errors: int = 0
    rtp_timestamps: list[tuple[int, int]] = field(default_factory=list)  # (ssrc, timestamp)


def _decoder(kind: str) -> av.CodecContext:
    if kind == "video":
        return av.CodecContext.create("libvpx", "r")
    ctx = av.CodecContext.create("libopus", "r")
    ctx.format = "s16"
    ctx.layout = "stereo"
    ctx.sample_rate = 48_000
    return ctx


class Bot:
    """A participant: publishes counter video + tone audio, counts what it decodes."""

    def __init__(
        self,
        name: str,
        source: int,
        *,
        width: int = 320,
        height: int = 240,
        fps: int = 15,
        audio: bool = True,
        tap_rtp: bool = False,
        replay: list[EncodedFrame] | None = None,
    ) -> None:
        """``replay``: send this pre-encoded clip (:func:`encode_clip`) instead of encoding."""
        self.name = name
        self.source = source
        self.video_track: CounterVideoTrack | ReplayVideoTrack = (
            ReplayVideoTrack(replay, fps)
            if replay
            else CounterVideoTrack(source, width, height, fps)
        )
        self.audio_track = ToneAudioTrack() if audio else None
        self.tap_rtp = tap_rtp
        self.publish_pc: RTCPeerConnection | None = None
        self.subscribe_pc: RTCPeerConnection | None = None
        self.keyframe_requests = 0  # PLI/FIR that reached this bot's video sender
        self.video: dict[int, SourceStats] = {}
        self.mids: dict[str, MidStats] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribe_lock = asyncio.Lock()  # offers may arrive on concurrent handlers

    # publishing ----------------------------------------------------------

    async def publish_offer(self) -> RTCSessionDescription:
        """Open a (new) publish connection and return its offer.

        Called again, it replaces the connection: a reconnect, with the
        counter continuing.
        """
        old, self.publish_pc = self.publish_pc, RTCPeerConnection(rtc_configuration())
        if old is not None:
            await old.close()
            self.video_track = self._continue(self.video_track)
            if self.audio_track is not None:
                self.audio_track = ToneAudioTrack()
        pc = self.publish_pc
        video = pc.addTransceiver(self.video_track, direction="sendonly")
        self._count_keyframe_requests(video)
        if self.audio_track is not None:
            pc.addTransceiver(self.audio_track, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription

    @staticmethod
    def _continue(
        track: CounterVideoTrack | ReplayVideoTrack,
    ) -> CounterVideoTrack | ReplayVideoTrack:
        new: CounterVideoTrack | ReplayVideoTrack
        if isinstance(track, ReplayVideoTrack):
            new = ReplayVideoTrack(track.clip, track.fps)
        else:
            new = CounterVideoTrack(track.source, track.width, track.height, track.fps)
        new.counter = track.counter
        new._start = time.monotonic() - track.counter / track.fps  # keep the pace, no burst
        return new

    async def accept_publish_answer(self, answer: RTCSessionDescription) -> None:
        assert self.publish_pc is not None
        await self.publish_pc.setRemoteDescription(answer)

    def _count_keyframe_requests(self, transceiver: RTCRtpTransceiver) -> None:
        sender = transceiver.sender
        original = sender._send_keyframe

        def counted() -> None:
            self.keyframe_requests += 1
            original()

        sender._send_keyframe = counted  # type: ignore[method-assign]

    # subscribing ---------------------------------------------------------

    async def answer_subscribe(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        """Answer the server's (re)offer on the subscribe connection (one at a time)."""
        async with self._subscribe_lock:
            if self.subscribe_pc is None:
                self.subscribe_pc = RTCPeerConnection(rtc_configuration())
                self.subscribe_pc.on("track", self._on_track)
            pc = self.subscribe_pc
            await pc.setRemoteDescription(offer)
            await pc.setLocalDescription(await pc.createAnswer())
            return pc.localDescription

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.subscribe_pc is not None
        transceiver = next(
            t for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track
        )
        mid = transceiver.mid or "?"
        stats = self.mids.setdefault(mid, MidStats(track.kind))
        if self.tap_rtp:
            self._tap(transceiver, stats.rtp_timestamps.append)
        task = asyncio.ensure_future(self._consume(track, stats))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _tap(transceiver: RTCRtpTransceiver, record: Callable[[tuple[int, int]], None]) -> None:
        receiver = transceiver.receiver
        handle = receiver._handle_rtp_packet

        async def tapped(packet, arrival_time_ms):  # type: ignore[no-untyped-def]
            record((packet.ssrc, packet.timestamp))
            await handle(packet, arrival_time_ms)

        receiver._handle_rtp_packet = tapped  # type: ignore[method-assign]

    async def _consume(self, track: MediaStreamTrack, stats: MidStats) -> None:
        decoder = _decoder(track.kind)
        try:
            while True:
                item = await track.recv()
                if isinstance(item, EncodedFrame):
                    stats.encoded += 1
                    if track.kind == "video":
                        stats.keyframes += item.keyframe
                        if stats.first_keyframe is None:
                            stats.first_keyframe = item.keyframe
                    packet = av.Packet(item.data)
                    packet.pts = item.pts
                    packet.time_base = item.time_base
                    try:
                        frames = decoder.decode(packet)
                    except av.FFmpegError:
                        stats.decode_errors += 1
                        continue
                else:
                    frames = [item]
                for frame in frames:
                    stats.frames += 1
                    if track.kind == "video":
                        source, counter = read_counter(frame)
                        seen = self.video.setdefault(source, SourceStats())
                        seen.frames += 1
                        seen.counters.append(counter)
        except MediaStreamError:
            pass

    async def request_keyframe(self, mid: str) -> bool:
        """Send a PLI for the video received on ``mid`` (as a browser would on loss)."""
        assert self.subscribe_pc is not None
        for t in self.subscribe_pc.getTransceivers():
            if t.mid == mid:
                sources = t.receiver.getSynchronizationSources()
                if sources:
                    await send_pli(t.receiver, sources[0].source)
                    return True
        return False

    def frames_from(self, source: int) -> int:
        stats = self.video.get(source)
        return stats.frames if stats else 0

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                await pc.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` until true or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(0.02)


def encode_clip(
    source: int, count: int, width: int = 160, height: int = 120, fps: int = 15, *, first: int = 0
) -> list[EncodedFrame]:
    """``count`` pre-encoded VP8 counter pictures: one keyframe, then deltas.

    For producers that replay encoded frames into a feed (no network, no
    encoder on the hot path), as benchmarks do.
    """
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = fractions.Fraction(1, fps)
    ctx.gop_size = 10_000
    ctx.bit_rate = 300_000
    ctx.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}
    out: list[EncodedFrame] = []
    for n in range(first, first + count):
        picture = draw_counter(source, n & 0xFFFF, width, height)
        picture.pts = n - first
        picture.time_base = ctx.time_base
        for packet in ctx.encode(picture):
            out.append(_as_encoded(packet, fps))
    for packet in ctx.encode(None):
        out.append(_as_encoded(packet, fps))
    return out


def _as_encoded(packet: av.Packet, fps: int) -> EncodedFrame:
    return EncodedFrame(
        data=bytes(packet),
        pts=int(packet.pts * 90_000 / fps),
        time_base=VIDEO_TIME_BASE,
        keyframe=packet.is_keyframe,
        kind="video",
        codec="vp8",
    )
