"""A forwarding room: the feeds of one meeting and each participant's connections.

This is what a media service that joins a signaling room drives: it hands
publish offers to :meth:`ForwardingRoom.publish`, decides who may receive
whom (routing rules come from the room state in signaling, not from here) and
calls :meth:`ForwardingRoom.route`, then ferries each returned offer and
layout to that participant and its answer back with
:meth:`ForwardingRoom.subscriber_answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from aiortc import RTCIceServer, RTCPeerConnection, RTCSessionDescription

from media import passthrough
from media.feed import Feed, FeedKey
from media.ice import rtc_configuration
from media.publisher import PublisherConnection
from media.subscriber import SubscriberConnection

KINDS = ("audio", "video")


@dataclass(frozen=True)
class MediaConfig:
    """What a media node is told by settings (host addresses go to media.ice)."""

    ice_servers: Sequence[RTCIceServer] = ()
    keyframe_min_interval: float = 0.5
    max_slots_per_kind: int = 16


@dataclass
class SubscribeOffer:
    offer: RTCSessionDescription
    layout: dict[str, FeedKey | None] = field(default_factory=dict)


class ForwardingRoom:
    def __init__(self, config: MediaConfig | None = None) -> None:
        passthrough.install()
        self.config = config or MediaConfig()
        self.feeds: dict[FeedKey, Feed] = {}
        self.publishers: dict[str, PublisherConnection] = {}
        self.subscribers: dict[str, SubscriberConnection] = {}
        # Told of every new feed object (a recorder keeps recording a re-published seat).
        self.on_feed_created: Callable[[Feed], None] | None = None

    def _new_pc(self) -> RTCPeerConnection:
        return RTCPeerConnection(rtc_configuration(self.config.ice_servers))

    def feed(self, participant_id: str, kind: str) -> Feed:
        key = (participant_id, kind)
        if key not in self.feeds:
            self.feeds[key] = Feed(
                participant_id, kind, keyframe_min_interval=self.config.keyframe_min_interval
            )
            if self.on_feed_created is not None:
                self.on_feed_created(self.feeds[key])
        return self.feeds[key]

    def feeds_of(self, participant_ids: Iterable[str]) -> list[Feed]:
        ids = set(participant_ids)
        return [
            f for f in self.feeds.values() if f.participant_id in ids and f.source_id is not None
        ]

    async def publish(
        self, participant_id: str, offer: RTCSessionDescription
    ) -> RTCSessionDescription:
        """A (re)connecting publisher's offer; returns the answer. Replaces an older connection."""
        old = self.publishers.pop(participant_id, None)
        conn = PublisherConnection(self._new_pc(), lambda kind: self.feed(participant_id, kind))
        self.publishers[participant_id] = conn
        answer = await conn.answer(offer)
        if old is not None:
            await old.close()
        return answer

    async def unpublish(self, participant_id: str) -> None:
        """The participant stopped publishing or left: its feeds end (call :meth:`route` next)."""
        conn = self.publishers.pop(participant_id, None)
        if conn is not None:
            await conn.close()
        for kind in KINDS:
            feed = self.feeds.pop((participant_id, kind), None)
            if feed is not None:
                feed.close()

    def subscriber(self, participant_id: str) -> SubscriberConnection:
        if participant_id not in self.subscribers:
            self.subscribers[participant_id] = SubscriberConnection(
                self._new_pc(), max_slots=self.config.max_slots_per_kind
            )
        return self.subscribers[participant_id]

    async def route(self, participant_id: str, feeds: Iterable[Feed]) -> SubscribeOffer | None:
        """Let ``participant_id`` receive exactly ``feeds``; an offer if one is needed.

        Calls for one participant must be serialized: apply its answer before
        routing it again.
        """
        sub = self.subscriber(participant_id)
        changed = sub.set_feeds(feeds)
        if not changed and (sub.pc.localDescription is not None or not sub.slots):
            return None
        offer = await sub.create_offer()
        return SubscribeOffer(offer, sub.layout())

    async def subscriber_answer(self, participant_id: str, answer: RTCSessionDescription) -> None:
        await self.subscriber(participant_id).apply_answer(answer)

    async def leave(self, participant_id: str) -> None:
        await self.unpublish(participant_id)
        sub = self.subscribers.pop(participant_id, None)
        if sub is not None:
            await sub.close()

    async def close(self) -> None:
        for participant_id in list(self.publishers) + list(self.subscribers):
            await self.leave(participant_id)
        for feed in self.feeds.values():
            feed.close()
        self.feeds.clear()
