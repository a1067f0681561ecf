"""The forwarding track and keyframe requests, driven directly (no network)."""

from __future__ import annotations

import asyncio
import itertools

from media.feed import Feed
from media.forwarding import ForwardingTrack
from media.keyframes import KeyframeRequester
from media.passthrough import EncodedFrame
from tests.media.bots import encode_clip, wait_for


def _audio(pts: int) -> EncodedFrame:
    from fractions import Fraction

    return EncodedFrame(
        data=b"\xfc",
        pts=pts,
        time_base=Fraction(1, 48_000),
        keyframe=True,
        kind="audio",
        codec="opus",
    )


async def _drain(track: ForwardingTrack) -> list[EncodedFrame]:
    out = []
    while track._queue:
        out.append(await track.recv())
    return out


async def test_a_new_subscriber_gets_nothing_until_a_keyframe() -> None:
    clip = encode_clip(source=1, count=6)  # key, 5 deltas
    requests: list[int] = []
    feed = Feed("p", "video")
    source = feed.start_source(lambda: requests.append(1))
    feed.push(clip[0], source)
    track = ForwardingTrack("video")
    track.attach(feed)
    assert requests == [1, 1]  # one at source start, one for the new subscriber
    for delta in clip[1:4]:
        feed.push(delta, source)
    assert track.dropped_before_keyframe == 3 and not track._queue
    feed.push(clip[0].with_pts(clip[4].pts), source)  # the requested keyframe
    feed.push(clip[5], source)
    sent = await _drain(track)
    assert [f.keyframe for f in sent] == [True, False]


async def test_timestamps_stay_monotonic_across_a_new_source() -> None:
    clip = encode_clip(source=1, count=3)
    feed = Feed("p", "video")
    track = ForwardingTrack("video")
    track.attach(feed)
    first = feed.start_source()
    for frame in clip:
        feed.push(frame, first)
    before = await _drain(track)
    second = feed.start_source()  # the publisher reconnected: its pts start at 0 again
    feed.push(clip[1], second)  # a delta first: the gate closed again for the new source
    for frame in clip:
        feed.push(frame, second)
    after = await _drain(track)
    pts = [f.pts for f in before + after]
    assert after[0].keyframe and len(after) == 3
    assert all(b > a for a, b in itertools.pairwise(pts)), pts
    assert after[0].pts - before[-1].pts >= 3000  # at least a frame interval


async def test_a_slot_reused_for_another_feed_keeps_timestamps_monotonic() -> None:
    a, b = Feed("a", "audio"), Feed("b", "audio")
    track = ForwardingTrack("audio")
    track.attach(a)
    src_a = a.start_source()
    for n in range(5):
        a.push(_audio(10_000 + n * 960), src_a)
    first = await _drain(track)
    track.attach(b)
    src_b = b.start_source()
    a.push(_audio(99_999), src_a)  # no longer carried
    for n in range(3):
        b.push(_audio(n * 960), src_b)
    second = await _drain(track)
    pts = [f.pts for f in first + second]
    assert len(second) == 3 and all(y > x for x, y in itertools.pairwise(pts))


async def test_overflow_drops_video_until_the_next_keyframe() -> None:
    clip = encode_clip(source=1, count=4)
    requests: list[int] = []
    feed = Feed("p", "video")
    source = feed.start_source(lambda: requests.append(1))
    track = ForwardingTrack("video", queue_limit=2)
    track.attach(feed)
    for frame in clip[:4]:  # key, d, d(overflow -> dropped, keyframe asked), d
        feed.push(frame, source)
    assert track.overflows == 1 and len(requests) == 3
    feed.push(clip[0], source)
    assert [f.keyframe for f in await _drain(track)] == [True]


async def test_keyframe_requests_are_rate_limited_but_never_lost() -> None:
    sent: list[float] = []
    loop = asyncio.get_running_loop()

    async def send() -> None:
        sent.append(loop.time())

    requester = KeyframeRequester(send, min_interval=0.15)
    requester.request()
    for _ in range(5):
        requester.request()  # inside the window: coalesced into one deferred request
    await wait_for(lambda: len(sent) == 2, 2, "the deferred request")
    assert sent[1] - sent[0] >= 0.14
    assert requester.requested == 6 and requester.sent == 2
    requester.close()


async def test_a_late_subscriber_gets_live_video_not_a_backlog() -> None:
    now = [100.0]
    clip = encode_clip(source=1, count=4)
    requests: list[int] = []
    feed = Feed("p", "video")
    source = feed.start_source(lambda: requests.append(1))
    track = ForwardingTrack("video", max_delay=0.5, clock=lambda: now[0])
    track.attach(feed)
    for frame in clip[:3]:  # queued while the subscriber's connection comes up
        feed.push(frame, source)
    now[0] += 2.0
    asked = len(requests)
    feed.push(clip[3], source)  # a fresh delta: undecodable without the dropped frames
    feed.push(clip[0].with_pts(clip[3].pts + 6000), source)  # a fresh keyframe
    feed.push(clip[1].with_pts(clip[3].pts + 12000), source)
    sent = [await track.recv(), await track.recv()]
    assert [f.keyframe for f in sent] == [True, False] and track.stale_dropped == 4
    assert len(requests) == asked  # a keyframe was already queued: no request needed

    now[0] += 2.0  # stale again, and nothing decodable left: gate closes, keyframe asked
    feed.push(clip[2], source)
    now[0] += 2.0
    feed.push(clip[3].with_pts(clip[3].pts + 30000), source)
    recv = asyncio.ensure_future(track.recv())
    await wait_for(lambda: len(requests) == asked + 1, 2, "a keyframe request")
    feed.push(clip[1].with_pts(clip[3].pts + 36000), source)  # gated: dropped
    feed.push(clip[0].with_pts(clip[3].pts + 42000), source)
    assert (await asyncio.wait_for(recv, 2)).keyframe
