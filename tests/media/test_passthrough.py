"""The receive-side hook, proved on the pinned aiortc: frames arrive encoded, never decoded."""

from __future__ import annotations

import asyncio
import queue
import threading
from importlib.metadata import version

import aiortc
import aiortc.rtcrtpreceiver as receiver_module
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import passthrough
from media.passthrough import EncodedFrame, h264_is_keyframe, vp8_is_keyframe
from tests.media.bots import encode_clip

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90_000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48_000, channels=2, payloadType=96)


def test_the_hook_is_proved_on_the_pinned_aiortc_version() -> None:
    assert version("aiortc") == "1.16.0" == aiortc.__version__
    # decoder_worker looks the factory up by its module-level name at each codec change
    assert "get_decoder" in receiver_module.decoder_worker.__code__.co_names
    assert receiver_module.decoder_worker.__globals__ is vars(receiver_module)


def test_install_swaps_the_receiver_factory_and_is_idempotent() -> None:
    passthrough.install()
    passthrough.install()
    assert passthrough.is_installed()
    assert isinstance(receiver_module.get_decoder(VP8), passthrough.PassthroughDecoder)


async def test_aiortc_decoder_thread_hands_out_encoded_frames_not_pictures() -> None:
    """Run aiortc's own decoder_worker with the hook: what reaches the track is encoded."""
    passthrough.install()
    clip = encode_clip(source=7, count=3)
    loop = asyncio.get_running_loop()
    inputs: queue.Queue[object] = queue.Queue()
    outputs: asyncio.Queue[object] = asyncio.Queue()
    worker = threading.Thread(
        target=receiver_module.decoder_worker, args=(loop, inputs, outputs, threading.Event())
    )
    worker.start()
    for n, frame in enumerate(clip):
        inputs.put((VP8, JitterFrame(frame.data, timestamp=n * 6000)))
    inputs.put((OPUS, JitterFrame(b"\xfc\xff\xfe", timestamp=960)))
    inputs.put(None)
    received = [await asyncio.wait_for(outputs.get(), 5) for _ in range(len(clip) + 2)]
    worker.join(5)
    assert received[-1] is None  # end of track
    frames = received[:-1]
    assert all(isinstance(f, EncodedFrame) for f in frames)
    video = frames[: len(clip)]
    assert [f.data for f in video] == [c.data for c in clip]  # byte-exact, not re-encoded
    assert [f.keyframe for f in video] == [True, False, False]
    assert [f.pts for f in video] == [0, 6000, 12000]
    assert video[0].time_base.denominator == 90_000 and video[0].kind == "video"
    audio = frames[-1]
    assert audio.kind == "audio" and audio.keyframe and audio.time_base.denominator == 48_000


def test_keyframe_detection_agrees_with_the_encoder() -> None:
    clip = encode_clip(source=1, count=4)
    assert (
        [vp8_is_keyframe(f.data) for f in clip]
        == [f.keyframe for f in clip]
        == [
            True,
            False,
            False,
            False,
        ]
    )
    assert not vp8_is_keyframe(b"")
    idr = b"\x00\x00\x00\x01\x67\x42" + b"\x00\x00\x01\x65\x88"
    delta = b"\x00\x00\x00\x01\x41\x9a"
    assert h264_is_keyframe(idr) and not h264_is_keyframe(delta)
