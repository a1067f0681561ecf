"""Receive-side passthrough: received RTP tracks yield encoded frames, never pictures.

aiortc reassembles each frame in ``RTCRtpReceiver`` and hands it to a decoder
thread that calls the module-level name ``aiortc.rtcrtpreceiver.get_decoder``
(patching ``aiortc.codecs.get_decoder`` does nothing: the receiver imported
the name). :func:`install` replaces that one name with a factory whose
decoders return the reassembled frame as an :class:`EncodedFrame`, so
``track.recv()`` on every received track in the process returns encoded
frames: the forwarding path never decodes.

This is private aiortc API (unchanged from 1.0 to 1.16, aiortc issue #984
asks for a supported way); pyproject pins aiortc and tests/media proves the
hook on that version. It applies process-wide: a peer in the same process
that wants pictures decodes the :class:`EncodedFrame` itself (see
tests/media/bots.py), and aiortc's MediaRecorder/MediaRelay do not work on
patched tracks.
"""

from __future__ import annotations

import fractions
import threading
from collections.abc import Callable
from typing import Any

import aiortc.rtcrtpreceiver as _receiver_module
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

VIDEO_CLOCK_RATE = 90_000
AUDIO_CLOCK_RATE = 48_000


class EncodedFrame:
    """One complete encoded frame (VP8/H.264 picture or Opus packet).

    Quacks like ``av.Packet`` for aiortc's sender (``bytes(frame)``, ``pts``,
    ``time_base``), so a track returning it is packetized without encoding.
    ``pts`` counts in ``time_base`` = 1/clock rate, from 0 at the first frame
    of the receiver that produced it.
    """

    __slots__ = ("codec", "data", "keyframe", "kind", "pts", "time_base")

    def __init__(
        self,
        *,
        data: bytes,
        pts: int,
        time_base: fractions.Fraction,
        keyframe: bool,
        kind: str,
        codec: str,
    ) -> None:
        self.data = data
        self.pts = pts
        self.time_base = time_base
        self.keyframe = keyframe
        self.kind = kind
        self.codec = codec

    def __bytes__(self) -> bytes:
        return self.data

    def with_pts(self, pts: int) -> EncodedFrame:
        """The same frame at another presentation time (timestamp rewriting)."""
        return EncodedFrame(
            data=self.data,
            pts=pts,
            time_base=self.time_base,
            keyframe=self.keyframe,
            kind=self.kind,
            codec=self.codec,
        )

    def __repr__(self) -> str:
        return (
            f"EncodedFrame({self.codec} pts={self.pts} key={self.keyframe} bytes={len(self.data)})"
        )


def vp8_is_keyframe(data: bytes) -> bool:
    """VP8 frame tag (RFC 6386 9.1): bit 0 of byte 0 is 0 for a key frame."""
    return bool(data) and (data[0] & 0x01) == 0


def h264_is_keyframe(data: bytes) -> bool:
    """An Annex-B access unit holding an IDR slice (NAL type 5) or an SPS (7)."""
    pos = data.find(b"\x00\x00\x01")
    while pos != -1 and pos + 3 < len(data):
        if data[pos + 3] & 0x1F in (5, 7):
            return True
        pos = data.find(b"\x00\x00\x01", pos + 3)
    return False


_KEYFRAME_TEST: dict[str, Callable[[bytes], bool]] = {
    "vp8": vp8_is_keyframe,
    "h264": h264_is_keyframe,
}


class PassthroughDecoder(Decoder):
    """A 'decoder' that wraps the reassembled frame instead of decoding it."""

    def __init__(self, codec: RTCRtpCodecParameters) -> None:
        self.kind = codec.mimeType.split("/")[0].lower()
        self.codec = codec.name.lower()
        self.time_base = fractions.Fraction(1, codec.clockRate)
        # audio (Opus, G.711, ...) has no inter-frame dependency
        self._is_keyframe = _KEYFRAME_TEST.get(self.codec, lambda _data: True)

    def decode(self, encoded_frame: JitterFrame) -> list[Any]:
        data = encoded_frame.data
        return [
            EncodedFrame(
                data=data,
                pts=encoded_frame.timestamp,
                time_base=self.time_base,
                keyframe=self._is_keyframe(data),
                kind=self.kind,
                codec=self.codec,
            )
        ]


_lock = threading.Lock()
_original: Callable[[RTCRtpCodecParameters], Decoder] | None = None
_created = 0


def _passthrough_get_decoder(codec: RTCRtpCodecParameters) -> Decoder:
    global _created
    _created += 1
    return PassthroughDecoder(codec)


def install() -> None:
    """Make every ``RTCRtpReceiver`` in this process yield :class:`EncodedFrame`.

    Idempotent. Call before the first remote track starts (decoders are made
    on a receiver's first frame).
    """
    global _original
    with _lock:
        if _original is None:
            _original = _receiver_module.get_decoder
            _receiver_module.get_decoder = _passthrough_get_decoder


def uninstall() -> None:
    """Restore aiortc's decoders (for tests that want stock behaviour)."""
    global _original
    with _lock:
        if _original is not None:
            _receiver_module.get_decoder = _original  # type: ignore[assignment]
            _original = None


def is_installed() -> bool:
    return _receiver_module.get_decoder is _passthrough_get_decoder


def decoders_created() -> int:
    """How many passthrough decoders were made (one per received codec stream)."""
    return _created
