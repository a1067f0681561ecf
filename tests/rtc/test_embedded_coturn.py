"""The coturn ``odr serve`` starts on the embedded default: it accepts the web API's credentials."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiortc import RTCPeerConnection
from pydantic import SecretStr

from odr.clock import SystemClock
from odr.rtc.coturn import embedded_coturn_command, embedded_turn, read_pid, stun_answers
from odr.rtc.ice import ice_servers_for, secret_path
from odr.settings import Settings
from tests.rtc.peers import exchange, relay_only, selected_pair_types
from tests.support.coturn import CoturnServer, relay_range, wait_for_stun
from tests.support.servers import free_port, stop_process
from tests.tasks.procs import Proc, start, wait_until


def embedded_settings(tmp_path: Path, **changes: Any) -> Settings:
    low, high = relay_range()
    fields = {"environment": "test", "var_dir": tmp_path / "var", "turn_port": free_port(),
              "turn_relay_min_port": low, "turn_relay_max_port": high, **changes}
    return Settings(_env_file=None, **fields)  # type: ignore[call-arg]


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill9()


@pytest.mark.slow
async def test_embedded_coturn_relays_with_the_generated_secret(
    tmp_path: Path, peers: list[RTCPeerConnection]
) -> None:
    settings = embedded_settings(tmp_path)  # no URLs, no secret: the zero-configuration default
    argv = embedded_coturn_command(settings)
    assert argv is not None
    turn = embedded_turn(settings)
    assert stat.S_IMODE(os.stat(turn.config).st_mode) == 0o600  # it holds the secret
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_stun(turn, proc)
        assert read_pid(turn) == proc.pid  # its own pid file under var/turn
        assert secret_path(settings).exists()

        # What the web process hands out (a new Settings: another process, the same var/).
        web = embedded_settings(tmp_path, turn_port=settings.turn_port)
        a = RTCPeerConnection(relay_only(ice_servers_for(web, SystemClock(), "1")))
        b = RTCPeerConnection(relay_only(ice_servers_for(web, SystemClock(), "2")))
        peers += [a, b]
        assert await exchange(a, b) == "pong:ping"
        assert selected_pair_types(a) == ("relay", "relay")
        for pc in (a, b):  # while coturn still answers their deallocation
            await pc.close()
    finally:
        stop_process(proc)


def test_no_embedded_coturn_when_another_applies(tmp_path: Path, coturn_server: CoturnServer) -> None:
    external = embedded_settings(tmp_path, turn_urls=["turn:turn.example.org:3478"],
                                 turn_secret=SecretStr("x"))
    assert embedded_coturn_command(external) is None
    assert embedded_coturn_command(embedded_settings(tmp_path, turn_embedded=False)) is None
    missing = embedded_settings(tmp_path, turnserver_path=str(tmp_path / "no-turnserver"))
    assert embedded_coturn_command(missing) is None
    taken = embedded_settings(tmp_path, turn_port=coturn_server.port)  # already answers STUN
    assert embedded_coturn_command(taken) is None
    assert not (tmp_path / "var" / "turn").exists()


SERVE = "import sys; from odr.settings import Settings; from odr.tasks.runner import serve; " \
        "sys.exit(serve(Settings(), '127.0.0.1', int(sys.argv[1])))"


@pytest.mark.slow
async def test_serve_runs_coturn_and_runs_on_without_it(
    tmp_path: Path, sqlite_template: Path, procs: list[Proc]
) -> None:
    database = tmp_path / "odr.sqlite3"
    shutil.copyfile(sqlite_template, database)
    settings = embedded_settings(
        tmp_path, database_url=f"sqlite+aiosqlite:///{database}",
        frontend_dist=tmp_path / "no-frontend", worker_concurrency=1, worker_heartbeat_seconds=1,
    )
    port = free_port()
    serve = start("serve", [sys.executable, "-c", SERVE, str(port)], settings, tmp_path)
    procs.append(serve)
    turn = embedded_turn(settings)

    async def turn_ready() -> bool:
        return stun_answers("127.0.0.1", settings.turn_port, timeout=0.2)

    await wait_until(turn_ready, "coturn to answer STUN", watch=[serve], timeout=60)
    pid = read_pid(turn)
    assert pid is not None

    async def healthy() -> bool:
        try:
            return (await client.get("/healthz")).status_code == 200
        except httpx.TransportError:
            return False

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await wait_until(healthy, "/healthz to turn ok", watch=[serve], timeout=60)
        os.kill(pid, signal.SIGKILL)  # TURN is lost; the platform is not

        async def turn_gone() -> bool:
            return not stun_answers("127.0.0.1", settings.turn_port, timeout=0.2)

        async def noticed() -> bool:
            return "turn stopped" in serve.output()

        await wait_until(turn_gone, "coturn to stop answering", watch=[serve])
        await wait_until(noticed, "serve to log coturn's end", watch=[serve])
        await wait_until(healthy, "/healthz still ok without TURN", watch=[serve])

    assert serve.terminate() == 0
