"""Host candidates come from the media node's allow-list; no STUN unless configured."""

from __future__ import annotations

import aioice.ice
from aiortc import RTCPeerConnection

from media import ice


def test_allow_list_takes_addresses_and_interface_names() -> None:
    assert ice.resolve_host_addresses(["127.0.0.1", "::1"], True, False) == ["127.0.0.1"]
    assert "127.0.0.1" in ice.resolve_host_addresses(["lo"], True, True)
    assert ice.resolve_host_addresses(["no-such-interface0"], True, True) == []


def test_use_host_addresses_patches_aioice_in_one_place_and_restores_it() -> None:
    original = aioice.ice.get_host_addresses
    ice.use_host_addresses(ice.LOOPBACK_ONLY)
    try:
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
        assert ice.host_addresses_in_use() == ("127.0.0.1",)
    finally:
        ice.use_host_addresses(None)
    assert aioice.ice.get_host_addresses is original
    assert ice.host_addresses_in_use() is None


async def test_a_loopback_media_node_offers_only_loopback_host_candidates(loopback: None) -> None:
    pc = RTCPeerConnection(ice.rtc_configuration())
    try:
        pc.addTransceiver("video")
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        candidates = [
            line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate:")
        ]
        assert candidates
        assert all(" 127.0.0.1 " in c and " typ host" in c for c in candidates), candidates
        ufrags = {
            line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=ice-ufrag:")
        }
        assert len(ufrags) == 1  # max-bundle: one transport for every m-line
    finally:
        await pc.close()
