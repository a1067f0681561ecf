"""aiortc peers for TURN tests: relay-only configurations, a data-channel ping, the selected pair."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
)

TIMEOUT = 30


def relay_only(servers: list[dict[str, Any]]) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=[RTCIceServer(**s) for s in servers],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    )


def selected_pair_types(pc: RTCPeerConnection) -> tuple[str, str]:
    """(local, remote) candidate types of the nominated pair. aiortc has no public
    accessor for it (getStats omits candidate pairs), so this reads aioice's."""
    assert pc.sctp is not None
    connection = pc.sctp.transport.transport._connection
    pair = connection._nominated[1]
    return pair.local_candidate.type, pair.remote_candidate.type


async def exchange(a: RTCPeerConnection, b: RTCPeerConnection) -> str:
    """Offer/answer between a and b, then a ping over a data channel; returns b's reply."""
    channel = a.createDataChannel("ping")
    opened = asyncio.Event()
    replies: asyncio.Queue[str] = asyncio.Queue()
    channel.on("open", opened.set)
    channel.on("message", replies.put_nowait)

    @b.on("datachannel")
    def on_datachannel(remote: RTCDataChannel) -> None:
        remote.on("message", lambda message: remote.send(f"pong:{message}"))

    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.wait_for(opened.wait(), TIMEOUT)
    channel.send("ping")
    return await asyncio.wait_for(replies.get(), TIMEOUT)


async def gathered_candidates(pc: RTCPeerConnection) -> list[str]:
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    return [line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate")]
