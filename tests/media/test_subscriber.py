"""Slots of a subscribe connection: reused across feeds, capped, described by layout."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection

from media.feed import Feed
from media.ice import rtc_configuration
from media.subscriber import SlotLimitReached, SubscriberConnection


async def test_a_leaving_feed_frees_its_slot_for_the_next_feed_of_that_kind(loopback: None) -> None:
    sub = SubscriberConnection(RTCPeerConnection(rtc_configuration()), max_slots=2)
    try:
        a_video, a_audio, b_video = Feed("a", "video"), Feed("a", "audio"), Feed("b", "video")
        assert sub.set_feeds([a_video, a_audio])
        await sub.create_offer()
        layout = sub.layout()
        assert sorted(k for k in layout.values() if k) == [("a", "audio"), ("a", "video")]
        a_mid = next(mid for mid, key in layout.items() if key == ("a", "video"))
        assert not sub.set_feeds([a_video, a_audio])  # nothing changed: no offer needed

        assert sub.set_feeds([b_video])  # a left, b joined
        offer = await sub.create_offer()
        assert sub.layout() == {a_mid: ("b", "video"), **{m: None for m in layout if m != a_mid}}
        assert sub.mline_count() == 2
        assert "a=inactive" in offer.sdp and "a=sendonly" in offer.sdp

        with pytest.raises(SlotLimitReached):  # refused whole: nothing changed
            sub.set_feeds([b_video, Feed("c", "video"), Feed("d", "video")])
        assert not sub.needs_offer and len(sub.slots) == 2
    finally:
        await sub.close()
