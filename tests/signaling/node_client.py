"""A media node for signaling tests: a real protocol client with a node credential.

It is not a fake of the server: it connects to the live ``/room`` namespace
with ``{"node", "credential"}`` as ``odr media`` does, receives ``node.routes``
and relayed SDP, and answers with the node events.
"""

from __future__ import annotations

from typing import Any

from odr.services import Services
from signaling.nodes import register_node
from tests.signaling.support import RoomClient, connect

OFFER = "\r\n".join([
    "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendonly",
    "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:1", "a=sendonly",
    "a=rtpmap:96 VP8/90000", "",
])
ANSWER = OFFER.replace("a=sendonly", "a=recvonly")
CANDIDATE = "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host"


async def start_node(url: str, services: Services, name: str = "media-a") -> RoomClient:
    """Register ``name`` and connect it (its connect counts as its first heartbeat)."""
    credential = await register_node(services, name)
    return await connect(url, {"node": name, "credential": credential})


async def routes_for(node: RoomClient, meeting_id: int, after: int = 0, timeout: float = 5.0) -> dict[str, Any]:
    """The next ``node.routes`` of the meeting with a version above ``after``."""
    return await node.wait(
        "node.routes", where=lambda r: r["meeting_id"] == meeting_id and r["version"] > after,
        timeout=timeout,
    )


async def latest_routes(node: RoomClient, meeting_id: int, check: Any, timeout: float = 5.0) -> dict[str, Any]:
    """Wait until the newest routes of the meeting satisfy ``check``; acknowledge them."""
    routes = await node.latest(
        "node.routes", lambda r: r["meeting_id"] == meeting_id and check(r), timeout=timeout
    )
    ack = await node.call("node.routes_ack", {"meeting_id": meeting_id, "version": routes["version"]})
    assert ack == {"ok": True}, ack
    return routes


def hears(routes: dict[str, Any], subscriber: int) -> set[int]:
    """Whose audio ``subscriber`` gets (nothing when not admitted: not in the routes at all)."""
    return set(routes["receive"].get(str(subscriber), {}).get("audio", []))


def sees(routes: dict[str, Any], subscriber: int) -> set[int]:
    return set(routes["receive"].get(str(subscriber), {}).get("video", []))
