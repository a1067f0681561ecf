"""The shipped production coturn configuration, run on loopback: TLS works, loopback peers are refused.

deploy/coturn/turnserver.conf is started as shipped except for what only a real
host has (its addresses, ports, certificate, secret, log): so a typo in it, or a
missing peer restriction, fails here rather than in production.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aioice.stun import TransactionFailed
from aioice.turn import TurnClientUdpProtocol
from aiortc import RTCPeerConnection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from odr.clock import SystemClock
from odr.rtc.coturn import LocalTurn
from odr.rtc.ice import ice_servers_for
from odr.settings import Settings
from tests.rtc.peers import gathered_candidates, relay_only
from tests.support.coturn import CoturnServer, relay_range, wait_for_stun
from tests.support.servers import free_port, stop_process

SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "coturn" / "turnserver.conf"
SECRET = "production-like-secret"


@dataclass
class ProductionTurn:
    turn: LocalTurn
    tls_port: int
    ca_file: Path


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "turn.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def loopback_version(shipped: str, turn: LocalTurn, tls_port: int, cert: Path, key: Path) -> str:
    """The shipped file with only the host-specific values replaced."""
    host_values = {
        "listening-ip": "127.0.0.1", "relay-ip": "127.0.0.1", "listening-port": str(turn.port),
        "tls-listening-port": str(tls_port), "min-port": str(turn.min_port),
        "max-port": str(turn.max_port), "static-auth-secret": SECRET, "realm": turn.realm,
        "cert": str(cert), "pkey": str(key),
    }
    lines = []
    for line in shipped.splitlines():
        option = line.split("=", 1)[0]
        if option == "external-ip" or line == "syslog":
            continue
        lines.append(f"{option}={host_values[option]}" if option in host_values else line)
    lines += [f"pidfile={turn.pidfile}", f"userdb={turn.userdb}", f"log-file={turn.log_file}",
              "simple-log", "no-stdout-log"]
    text = "\n".join(lines) + "\n"
    assert not re.search(r"^[^#]*<", text, re.MULTILINE), "a placeholder was left unfilled"
    return text


@pytest.fixture(scope="module")
def production_turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionTurn]:
    directory = tmp_path_factory.mktemp("coturn-production")
    low, high = relay_range()
    turn = LocalTurn(directory=directory, port=free_port(), min_port=low, max_port=high,
                     realm="turn.test")
    tls_port = free_port()
    cert, key = self_signed(directory)
    turn.config.write_text(loopback_version(SHIPPED.read_text(), turn, tls_port, cert, key))
    proc = subprocess.Popen([shutil.which("turnserver") or "turnserver", "-c", str(turn.config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_stun(turn, proc)
        started = turn.log_file.read_text()
        assert "ERROR" not in started, started  # coturn names unknown or bad options so
        assert "TLS cipher suite: ECDHE+AESGCM:ECDHE+CHACHA20" in started
        yield ProductionTurn(turn, tls_port, cert)
    finally:
        stop_process(proc)


def test_shipped_configuration_denies_private_and_loopback_peers() -> None:
    text = SHIPPED.read_text()
    active = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert "allow-loopback-peers" not in active
    assert {"use-auth-secret", "no-tcp-relay", "no-multicast-peers", "no-cli"} <= set(active)
    for denied in ("10.0.0.0-10.255.255.255", "127.0.0.0-127.255.255.255",
                   "172.16.0.0-172.31.255.255", "192.168.0.0-192.168.255.255", "::1"):
        assert f"denied-peer-ip={denied}" in active
    assert "tls-listening-port=443" in active and "listening-port=3478" in active


@pytest.mark.slow
async def test_turn_over_tls_allocates_a_relay(
    production_turn: ProductionTurn, tmp_path: Path, peers: list[RTCPeerConnection],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(production_turn.ca_file))  # trust the test certificate
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", var_dir=tmp_path / "var", turn_secret=SecretStr(SECRET),
        turn_urls=[f"turns:127.0.0.1:{production_turn.tls_port}?transport=tcp"],
    )
    pc = RTCPeerConnection(relay_only(ice_servers_for(settings, SystemClock(), "101")))
    peers.append(pc)
    candidates = await gathered_candidates(pc)
    assert len(candidates) == 1 and "typ relay" in candidates[0] and " 127.0.0.1 " in candidates[0]


async def bind_channel(server: tuple[str, int], username: str, password: str,
                       peer: tuple[str, int]) -> None:
    """Allocate over UDP, then ask to bind a channel to ``peer`` (no data is sent to it)."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(server, username=username, password=password,
                                      lifetime=600, channel_refresh_time=300),
        remote_addr=server,
    )
    try:
        await protocol.connect()
        try:
            await protocol.channel_bind(0x4000, peer)
        finally:
            await protocol.delete()
    finally:
        transport.close()


@pytest.mark.slow
async def test_loopback_peers_are_refused_in_production_but_not_in_the_test_config(
    production_turn: ProductionTurn, coturn_server: CoturnServer, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", var_dir=tmp_path / "var", turn_secret=SecretStr(SECRET),
        turn_urls=["turn:127.0.0.1:1?transport=udp"],
    )
    turn = ice_servers_for(settings, SystemClock(), "101")[-1]
    peer = ("127.0.0.1", production_turn.turn.port)
    with pytest.raises(TransactionFailed) as refused:
        await bind_channel(("127.0.0.1", production_turn.turn.port), turn["username"],
                           turn["credential"], peer)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 403

    loopback = settings.model_copy(update={"turn_secret": SecretStr(coturn_server.secret)})
    turn = ice_servers_for(loopback, SystemClock(), "101")[-1]
    await bind_channel(("127.0.0.1", coturn_server.port), turn["username"], turn["credential"], peer)
