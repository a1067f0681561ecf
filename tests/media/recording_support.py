"""Checks on recorded files with the real tools (ffprobe, ffmpeg), and a synthetic encoded source."""

from __future__ import annotations

import fractions
import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from media.passthrough import EncodedFrame
from tests.media.bots import AUDIO_TIME_BASE, VIDEO_TIME_BASE, draw_counter


@dataclass
class Probe:
    codecs: dict[str, str]  # codec_type -> codec_name
    duration: float
    video_frames: int


def probe(path: Path) -> Probe:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-show_format",
         "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout
    data = json.loads(out)
    codecs = {s["codec_type"]: s["codec_name"] for s in data["streams"]}
    video = [int(s.get("nb_read_packets", 0)) for s in data["streams"] if s["codec_type"] == "video"]
    return Probe(codecs, float(data["format"]["duration"]), sum(video))


def decode_errors(path: Path) -> str:
    """What ``ffmpeg -v error -i FILE -f null -`` prints: nothing for a file whose every frame decodes."""
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).strip() + ("" if done.returncode == 0 else f" rc={done.returncode}")


def starts_with_keyframe(path: Path) -> bool:
    with av.open(str(path)) as container:
        for packet in container.demux(video=0):
            return bool(packet.is_keyframe)
    return False


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SyntheticSource:
    """Encodes counter pictures (VP8) and silence (Opus) on demand, honouring keyframe requests."""

    def __init__(self, source: int = 1, fps: int = 15, width: int = 160, height: int = 120) -> None:
        self.fps, self.source = fps, source
        self.video = av.CodecContext.create("libvpx", "w")
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        self.video.time_base = fractions.Fraction(1, fps)
        self.video.gop_size = 10_000
        self.video.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}
        self.audio = av.CodecContext.create("libopus", "w")
        self.audio.sample_rate, self.audio.layout, self.audio.format = 48_000, "stereo", "s16"
        self.audio.time_base = fractions.Fraction(1, 48_000)
        self.keyframe_requests = 0
        self._key_due = True
        self.frames_made = 0

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._key_due = True

    def video_frame(self, n: int) -> EncodedFrame | None:
        picture = draw_counter(self.source, n & 0xFFFF, self.video.width, self.video.height)
        picture.pts, picture.time_base = n, self.video.time_base
        if self._key_due:
            picture.pict_type = av.video.frame.PictureType.I
            self._key_due = False
        for packet in self.video.encode(picture):
            self.frames_made += 1
            return EncodedFrame(data=bytes(packet), pts=n * 90_000 // self.fps,
                                time_base=VIDEO_TIME_BASE, keyframe=packet.is_keyframe,
                                kind="video", codec="vp8")
        return None

    def audio_frame(self, n: int) -> EncodedFrame | None:
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1920), dtype=np.int16), format="s16",
                                           layout="stereo")
        frame.sample_rate, frame.pts = 48_000, n * 960
        for packet in self.audio.encode(frame):
            return EncodedFrame(data=bytes(packet), pts=n * 960, time_base=AUDIO_TIME_BASE,
                                keyframe=True, kind="audio", codec="opus")
        return None
