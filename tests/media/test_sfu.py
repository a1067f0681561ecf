"""Point 0 of issue 6, proved with real aiortc peers on 127.0.0.1 through the forwarder."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

from media import passthrough
from media.room import ForwardingRoom, MediaConfig
from tests.media.bots import Bot, encode_clip, wait_for
from tests.media.harness import join, mid_of, route, route_everyone

SMALL = {"width": 160, "height": 120}


def _forward_steps(timestamps: list[tuple[int, int]]) -> list[int]:
    """RTP timestamp steps of the main SSRC (modulo 2^32; RTX has its own SSRC)."""
    main = Counter(ssrc for ssrc, _ in timestamps).most_common(1)[0][0]
    values = [ts for ssrc, ts in timestamps if ssrc == main]
    return [(b - a) % (1 << 32) for a, b in itertools.pairwise(values)]


async def test_a_subscribers_pli_reaches_the_publisher(
    room: ForwardingRoom, make_bot: Callable[..., Bot]
) -> None:
    alice = make_bot("alice", 1, audio=False, **SMALL)
    bob = make_bot("bob", 2, audio=False, **SMALL)
    await join(room, alice)
    await join(room, bob)
    await route(room, bob, ["alice"])
    await wait_for(lambda: bob.frames_from(1) >= 5, 15, "bob decodes alice")
    mid = mid_of(room, "bob", "alice", "video")
    before, keyframes = alice.keyframe_requests, bob.mids[mid].keyframes

    assert await bob.request_keyframe(mid)

    await wait_for(lambda: alice.keyframe_requests > before, 5, "the PLI at alice's sender")
    await wait_for(lambda: bob.mids[mid].keyframes > keyframes, 5, "the keyframe back at bob")
    assert bob.mids[mid].decode_errors == 0


async def test_a_new_subscriber_receives_nothing_before_a_keyframe(
    loopback: None, make_bot: Callable[..., Bot]
) -> None:
    # A long rate-limit window: carol's keyframe request waits behind bob's PLI,
    # so deltas reach the forwarder first and must be held back from her.
    room = ForwardingRoom(MediaConfig(keyframe_min_interval=1.0))
    try:
        alice = make_bot("alice", 1, audio=False, **SMALL)
        bob = make_bot("bob", 2, audio=False, **SMALL)
        carol = make_bot("carol", 3, audio=False, **SMALL)
        for bot in (alice, bob, carol):
            await join(room, bot)
        await route(room, bob, ["alice"])
        await wait_for(lambda: bob.frames_from(1) >= 5, 15, "bob decodes alice")
        mid = mid_of(room, "bob", "alice", "video")
        requester = room.feed("alice", "video").keyframe_requester
        assert requester is not None
        await bob.request_keyframe(mid)
        await wait_for(lambda: requester.sent >= 2, 5, "bob's PLI relayed")
        keyframes = bob.mids[mid].keyframes
        await wait_for(lambda: bob.mids[mid].keyframes > keyframes, 5, "its keyframe delivered")

        await route(room, carol, ["alice"])
        await wait_for(lambda: carol.frames_from(1) >= 5, 15, "carol decodes alice")

        (stats,) = carol.mids.values()
        assert stats.first_keyframe is True
        assert stats.decode_errors == 0
        # ...and that was not luck: deltas did arrive for her first and were held back
        track = room.subscriber("carol").track_for(("alice", "video"))
        assert track is not None and track.dropped_before_keyframe > 0
        counters = carol.video[1].counters
        assert counters == sorted(counters) and len(set(counters)) == len(counters)
    finally:
        await room.close()


async def test_timestamps_stay_monotonic_when_the_publisher_reconnects(
    room: ForwardingRoom, make_bot: Callable[..., Bot]
) -> None:
    alice = make_bot("alice", 1, **SMALL)
    bob = make_bot("bob", 2, audio=False, tap_rtp=True, **SMALL)
    await join(room, alice)
    await join(room, bob)
    await route(room, bob, ["alice"])
    await wait_for(lambda: bob.frames_from(1) >= 10, 15, "bob decodes alice")
    old_source = room.feed("alice", "video").source_id
    offer_before = room.subscriber("bob").pc.localDescription.sdp

    await join(room, alice)  # a new publish connection: new receiver, pts from 0 again
    reconnect_at = alice.video_track.counter
    await wait_for(
        lambda: max(bob.video[1].counters) >= reconnect_at + 10, 15, "frames after the reconnect"
    )

    assert room.feed("alice", "video").source_id != old_source
    assert room.subscriber("bob").pc.localDescription.sdp == offer_before  # no renegotiation
    for mid in (mid_of(room, "bob", "alice", "video"), mid_of(room, "bob", "alice", "audio")):
        stats = bob.mids[mid]
        steps = _forward_steps(stats.rtp_timestamps)
        assert steps and all(step < 1 << 31 for step in steps), "RTP timestamp went backwards"
        assert max(steps) < 5 * 90_000  # the reconnect gap is wall time, not a jump
        assert stats.decode_errors == 0
    counters = bob.video[1].counters
    assert counters == sorted(counters)


async def test_mlines_stay_bounded_over_50_join_leave_cycles(
    room: ForwardingRoom, make_bot: Callable[..., Bot]
) -> None:
    viewer = make_bot("viewer", 9, audio=False, **SMALL)
    await join(room, viewer)
    clip = encode_clip(source=42, count=20)
    counts = []
    previous: str | None = None
    for n in range(50):
        name = f"p{n}"
        for kind in ("audio", "video"):
            room.feed(name, kind).start_source()
        await route(room, viewer, [p for p in (previous, name) if p])  # two at once
        counts.append(room.subscriber("viewer").mline_count())
        if previous is not None:
            await room.unpublish(previous)
            await route(room, viewer, [name])
            counts.append(room.subscriber("viewer").mline_count())
        previous = name

    assert max(counts) == 4  # peak: two publishers x (audio, video)
    assert len(room.subscriber("viewer").pc.getTransceivers()) == 4
    assert len(viewer.subscribe_pc.getTransceivers()) == 4  # type: ignore[union-attr]

    # after all that reuse the last publisher's video still reaches the viewer
    feed = room.feed(previous, "video")  # type: ignore[arg-type]
    source = feed.source_id
    assert source is not None
    for frame in clip:
        feed.push(frame, source)
    await wait_for(lambda: viewer.frames_from(42) >= 15, 10, "the replayed clip")
    assert viewer.video[42].counters[:3] == [0, 1, 2]


async def test_three_bots_each_decode_the_others_through_the_forwarder(
    room: ForwardingRoom, make_bot: Callable[..., Bot]
) -> None:
    bots = [make_bot(name, n + 1) for n, name in enumerate(("alice", "bob", "carol"))]  # 320x240
    for bot in bots:
        await join(room, bot)
    await route_everyone(room, bots)

    def everyone_decoded() -> bool:
        return all(
            bot.frames_from(other.source) >= 20
            and bot.mids[mid_of(room, bot.name, other.name, "audio")].frames >= 25
            for bot in bots
            for other in bots
            if other is not bot
        )

    await wait_for(everyone_decoded, 30, "every bot decoding every other bot")
    for bot in bots:
        assert set(bot.video) == {o.source for o in bots if o is not bot}
        for stats in bot.mids.values():
            assert stats.decode_errors == 0
            assert stats.encoded > 0  # received as encoded frames, decoded by the bot
        for seen in bot.video.values():
            assert seen.counters == sorted(seen.counters)
    # the server path never decoded: every feed saw only encoded frames
    assert all(feed.decoded_frames_seen == 0 and feed.frames_in > 0 for feed in room.feeds.values())
    assert passthrough.is_installed() and passthrough.decoders_created() > 0


async def test_a_replaying_publisher_is_forwarded_without_any_encoder(
    room: ForwardingRoom, make_bot: Callable[..., Bot]
) -> None:
    """The cheap bot the benchmark needs: pre-encoded VP8 straight through both ends."""
    clip = encode_clip(source=42, count=30)
    player = make_bot("player", 42, audio=False, replay=clip)
    viewer = make_bot("viewer", 9, audio=False, **SMALL)
    await join(room, player)
    await join(room, viewer)
    await route(room, viewer, ["player"])
    await wait_for(lambda: viewer.frames_from(42) >= 10, 15, "the viewer decodes the replay")
    (stats,) = viewer.mids.values()
    assert stats.first_keyframe is True and stats.decode_errors == 0
