"""One participant's subscribe connection: every feed it may receive, on bounded m-lines.

Design: two connections per participant. The client offers its publish
connection (media.publisher); the server offers this one. Each side is always
the offerer of its own connection, so there is no offer glare, and a publisher
reconnecting does not renegotiate anyone's subscriptions.

Here every m-line is a *slot*: a sendonly transceiver whose sender carries one
:class:`ForwardingTrack` for its whole life. When a feed goes away its slot is
set ``inactive`` (no media, the m-line stays: SDP never removes m-lines, and
aiortc cannot recycle a stopped one), and the next feed of the same kind takes
the first free slot, back to ``sendonly``. So the number of m-lines is the
peak number of feeds of each kind held at once, not the number of publishers
that ever came and went. ``max_slots`` caps that peak: past it
:class:`SlotLimitReached` is raised, and the caller builds a fresh subscribe
connection (which starts with only the slots it needs) and closes this one.

The client learns which feed a slot carries from :meth:`layout` (mid to
participant and kind), sent with each offer through signaling; after a slot is
reused the RTP timestamps, sequence numbers and SSRC continue (see
media.forwarding).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, RTCSessionDescription

from media.feed import Feed, FeedKey
from media.forwarding import ForwardingTrack
from media.keyframes import relay_keyframe_requests

FORWARDED_CODECS = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}


class SlotLimitReached(Exception):
    """More concurrent feeds of one kind than ``max_slots``: use a fresh connection."""


@dataclass
class Slot:
    transceiver: RTCRtpTransceiver
    track: ForwardingTrack

    @property
    def kind(self) -> str:
        return self.track.kind

    @property
    def feed(self) -> Feed | None:
        return self.track.feed


def prefer_forwarded_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Offer only the codecs the forwarder carries (VP8 + RTX, Opus)."""
    wanted = FORWARDED_CODECS[transceiver.kind]
    codecs = RTCRtpSender.getCapabilities(transceiver.kind).codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType.lower() in wanted])


class SubscriberConnection:
    def __init__(self, pc: RTCPeerConnection, *, max_slots: int = 16) -> None:
        self.pc = pc
        self.max_slots = max_slots
        self.slots: list[Slot] = []
        self._dirty = False

    def set_feeds(self, feeds: Iterable[Feed]) -> bool:
        """Carry exactly ``feeds`` from now on. Returns whether an offer is needed."""
        wanted = {feed.key: feed for feed in feeds}
        for kind in {feed.kind for feed in wanted.values()}:
            if sum(1 for feed in wanted.values() if feed.kind == kind) > self.max_slots:
                raise SlotLimitReached(f"{kind}: more than {self.max_slots} feeds")
        for slot in self.slots:
            feed = slot.feed
            if feed is not None and wanted.get(feed.key) is not feed:
                slot.track.attach(None)
                slot.transceiver.direction = "inactive"
                self._dirty = True
        carried = {slot.feed.key for slot in self.slots if slot.feed is not None}
        for key, feed in wanted.items():
            if key in carried:
                continue
            slot = self._free_slot(feed.kind)
            slot.track.attach(feed)
            slot.transceiver.direction = "sendonly"
            self._dirty = True
        return self._dirty

    def _free_slot(self, kind: str) -> Slot:
        for slot in self.slots:
            if slot.kind == kind and slot.feed is None:
                return slot
        track = ForwardingTrack(kind)
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        prefer_forwarded_codecs(transceiver)
        relay_keyframe_requests(transceiver.sender, track.request_keyframe)
        slot = Slot(transceiver, track)
        self.slots.append(slot)
        return slot

    @property
    def needs_offer(self) -> bool:
        return self._dirty

    async def create_offer(self) -> RTCSessionDescription:
        """Set and return the next local offer (send it with :meth:`layout`)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self._dirty = False
        return self.pc.localDescription

    async def apply_answer(self, answer: RTCSessionDescription) -> None:
        await self.pc.setRemoteDescription(answer)

    def layout(self) -> dict[str, FeedKey | None]:
        """mid -> (participant id, kind) carried there, or None for a free slot."""
        return {
            slot.transceiver.mid: (slot.feed.key if slot.feed is not None else None)
            for slot in self.slots
            if slot.transceiver.mid is not None
        }

    def mline_count(self) -> int:
        description = self.pc.localDescription
        return description.sdp.count("\r\nm=") if description is not None else 0

    def track_for(self, key: FeedKey) -> ForwardingTrack | None:
        for slot in self.slots:
            if slot.feed is not None and slot.feed.key == key:
                return slot.track
        return None

    async def close(self) -> None:
        for slot in self.slots:
            slot.track.stop()
        await self.pc.close()
