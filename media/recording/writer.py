"""One segment file: encoded VP8 (video) and Opus (audio) packets muxed into WebM as they come.

PyAV can mux packets into a stream whose codec was never opened, so nothing
is decoded or encoded here: the muxer only needs the codec id, the picture
size (read from the VP8 key frame header) and the audio layout. Times are
milliseconds (Matroska's own time base) from the segment's start; a
timestamp that would step back is nudged forward, as the muxer requires.

:meth:`SegmentWriter.close` writes the trailer (cues, so the file seeks),
flushes and fsyncs the file and returns its SHA-256 and size. It blocks on
the disk: call it in a worker thread. A write or close failure raises
:class:`RecordingWriteError` (disk full, I/O error), which the segmenter
turns into a clean stop.
"""

from __future__ import annotations

import contextlib
import fractions
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import av

MS = fractions.Fraction(1, 1000)
VIDEO_CODECS = {"vp8": "libvpx"}  # WebM carries VP8/VP9/AV1 video; the forwarder carries VP8
HASH_CHUNK = 1024 * 1024


class RecordingWriteError(Exception):
    """The segment could not be written or closed (for example the disk is full)."""


@dataclass(frozen=True)
class ClosedFile:
    path: Path
    sha256: str
    size: int


def vp8_size(keyframe: bytes) -> tuple[int, int] | None:
    """(width, height) from a VP8 key frame header (RFC 6386 9.1), or None if it is not one."""
    if len(keyframe) < 10 or keyframe[0] & 0x01 or keyframe[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(keyframe[6:8], "little") & 0x3FFF
    height = int.from_bytes(keyframe[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class SegmentWriter:
    """A WebM file with an optional VP8 video stream and an optional Opus audio stream."""

    def __init__(
        self,
        path: Path,
        *,
        video_size: tuple[int, int] | None,
        audio: bool,
        video_codec: str = "vp8",
    ) -> None:
        self.path = path
        self.frames = {"audio": 0, "video": 0}
        self._last: dict[str, int] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(str(path), "w", format="webm")
            self._streams: dict[str, av.stream.Stream] = {}
            if video_size is not None:
                video = self._container.add_stream(VIDEO_CODECS[video_codec], rate=30)
                assert isinstance(video, av.video.stream.VideoStream)
                video.width, video.height = video_size
                video.time_base = MS
                self._streams["video"] = video
            if audio:
                sound = self._container.add_stream("libopus", rate=48_000)
                sound.time_base = MS
                self._streams["audio"] = sound
        except (OSError, av.FFmpegError) as exc:
            raise RecordingWriteError(f"cannot open {path.name}: {exc}") from exc

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._streams)

    def write(self, kind: str, data: bytes, time_ms: int, *, keyframe: bool = False) -> None:
        """Mux one encoded frame at ``time_ms`` (from the segment's start)."""
        stream = self._streams.get(kind)
        if stream is None:
            return
        last = self._last.get(kind)
        if last is not None and time_ms <= last:
            time_ms = last + 1
        self._last[kind] = time_ms
        packet = av.Packet(data)
        packet.stream = stream
        packet.pts = packet.dts = time_ms
        packet.time_base = MS
        packet.is_keyframe = keyframe or kind == "audio"
        try:
            self._container.mux(packet)
        except (OSError, av.FFmpegError) as exc:
            raise RecordingWriteError(f"cannot write {self.path.name}: {exc}") from exc
        self.frames[kind] += 1

    def last_ms(self) -> int:
        return max(self._last.values(), default=0)

    def close(self) -> ClosedFile:
        """Finish the file, fsync it (and its directory) and hash it. Blocking."""
        try:
            self._container.close()
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            return ClosedFile(self.path, sha256_of(self.path), self.path.stat().st_size)
        except (OSError, av.FFmpegError) as exc:
            raise RecordingWriteError(f"cannot close {self.path.name}: {exc}") from exc

    def abandon(self) -> None:
        """Give up on this file after a failure (what is on disk stays, unreported)."""
        with contextlib.suppress(Exception):  # the file is already broken; nothing to save
            self._container.close()
