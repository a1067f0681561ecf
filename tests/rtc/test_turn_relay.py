"""Two aiortc peers through a real coturn, relay only, with credentials from ``ice_servers_for``.

Network rule: every address here is loopback (coturn listens and relays on
127.0.0.1); the ICE servers are always passed explicitly, so aiortc never asks
a public STUN server.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aioice.stun import TransactionFailed
from aioice.turn import create_turn_endpoint
from aiortc import RTCPeerConnection
from pydantic import SecretStr

from odr.clock import ManualClock, SystemClock
from odr.rtc.ice import ice_servers_for
from odr.settings import Settings
from tests.rtc.peers import exchange, gathered_candidates, relay_only, selected_pair_types
from tests.support.coturn import CoturnServer


def turn_settings(tmp_path: Path, coturn: CoturnServer, transport: str = "udp",
                  secret: str | None = None) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", var_dir=tmp_path / "var",
        stun_urls=[coturn.stun_url], turn_urls=[coturn.turn_url(transport)],
        turn_secret=SecretStr(secret or coturn.secret), turn_realm=coturn.realm,
    )


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_two_peers_talk_relay_only_through_coturn(
    tmp_path: Path, coturn_server: CoturnServer, peers: list[RTCPeerConnection], transport: str
) -> None:
    settings = turn_settings(tmp_path, coturn_server, transport)
    clock = SystemClock()  # coturn checks the expiry against its own clock
    a = RTCPeerConnection(relay_only(ice_servers_for(settings, clock, "101")))
    b = RTCPeerConnection(relay_only(ice_servers_for(settings, clock, "102")))
    peers += [a, b]

    assert await exchange(a, b) == "pong:ping"

    for pc in (a, b):
        assert selected_pair_types(pc) == ("relay", "relay")
        local = pc.sctp.transport.transport.iceGatherer.getLocalCandidates()  # type: ignore[union-attr]
        assert local and all(c.type == "relay" and c.ip == "127.0.0.1" for c in local)
        assert all(coturn_server.turn.min_port <= c.port <= coturn_server.turn.max_port for c in local)


@pytest.mark.slow
async def test_a_wrong_secret_gets_no_relay_candidate(
    tmp_path: Path, coturn_server: CoturnServer, peers: list[RTCPeerConnection]
) -> None:
    wrong = turn_settings(tmp_path, coturn_server, secret="not-the-servers-secret")
    servers = ice_servers_for(wrong, SystemClock(), "101")
    pc = RTCPeerConnection(relay_only(servers))
    peers.append(pc)
    assert await gathered_candidates(pc) == []

    turn = servers[-1]
    with pytest.raises(TransactionFailed) as refused:
        await create_turn_endpoint(asyncio.DatagramProtocol, ("127.0.0.1", coturn_server.port),
                                   username=turn["username"], password=turn["credential"])
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401


@pytest.mark.slow
async def test_an_expired_credential_is_refused_by_coturn(
    tmp_path: Path, coturn_server: CoturnServer, peers: list[RTCPeerConnection]
) -> None:
    settings = turn_settings(tmp_path, coturn_server)
    long_ago = ManualClock(datetime.fromtimestamp(0, UTC))  # its credential expired in 1970
    servers = ice_servers_for(settings, long_ago, "101")
    pc = RTCPeerConnection(relay_only(servers))
    peers.append(pc)
    assert await gathered_candidates(pc) == []

    fresh = ice_servers_for(settings, SystemClock(), "101")[-1]
    transport, _ = await create_turn_endpoint(
        asyncio.DatagramProtocol, ("127.0.0.1", coturn_server.port),
        username=fresh["username"], password=fresh["credential"],
    )
    transport.close()

