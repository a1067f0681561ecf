"""One participant's publish connection: the client offers, the server answers recvonly.

Each received audio/video track is attached to the participant's
:class:`Feed` of that kind. A reconnect is a new publish connection attaching
new sources to the same feeds, so subscribers keep their slots (see
media.forwarding for what they see).
"""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx

from media.feed import Feed

FORWARDED = {"video": "vp8", "audio": "opus"}


class UnsupportedMedia(Exception):
    """The offer has no codec the forwarder can carry (VP8 video, Opus audio)."""


class PublisherConnection:
    def __init__(self, pc: RTCPeerConnection, feed_for: Callable[[str], Feed]) -> None:
        self.pc = pc
        self._feed_for = feed_for
        self.feeds: list[Feed] = []
        self._sources: dict[str, int] = {}

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        """Apply the client's offer and return the answer to send back."""
        await self.pc.setRemoteDescription(offer)
        for transceiver in self.pc.getTransceivers():
            if transceiver.direction != "recvonly" or transceiver.receiver.track is None:
                continue
            self._restrict_codecs(transceiver)
            feed = self._feed_for(transceiver.kind)
            if feed not in self.feeds:
                self._sources[feed.kind] = feed.attach_received_track(self.pc, transceiver)
                self.feeds.append(feed)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription

    @staticmethod
    def _restrict_codecs(transceiver: object) -> None:
        """Answer with the forwarded codec only, so the publisher sends nothing else.

        aiortc keeps the offer's common codecs in the private ``_codecs``
        (preferences set after ``setRemoteDescription`` are not applied to
        the answer).
        """
        wanted = FORWARDED[transceiver.kind]  # type: ignore[attr-defined]
        codecs = transceiver._codecs  # type: ignore[attr-defined]
        base = [c for c in codecs if not is_rtx(c) and c.name.lower() == wanted][:1]
        if not base:
            raise UnsupportedMedia(f"no {wanted} in the offer")
        pt = base[0].payloadType
        rtx = [c for c in codecs if is_rtx(c) and c.parameters.get("apt") == pt]
        transceiver._codecs = base + rtx  # type: ignore[attr-defined]

    async def close(self) -> None:
        for feed in self.feeds:
            feed.end_source(self._sources.get(feed.kind))
        await self.pc.close()
