"""A real coturn (Debian's ``turnserver``) on loopback for TURN tests.

Started from the same loopback configuration ``odr serve`` uses
(odr/rtc/turnserver-local.conf) with its own temporary folder for the
configuration, pid file, user database and log, a free port, and a relay port
range of its own. Ready when it answers a STUN Binding request.
"""

from __future__ import annotations

import random
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from odr.rtc.coturn import LOOPBACK, LocalTurn, stun_answers, turnserver_argv, write_local_config
from tests.support.servers import free_port, stop_process

REALM = "odr.test"


@dataclass
class CoturnServer:
    turn: LocalTurn
    secret: str
    proc: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return self.turn.port

    @property
    def realm(self) -> str:
        return self.turn.realm

    @property
    def stun_url(self) -> str:
        return f"stun:{LOOPBACK}:{self.port}"

    def turn_url(self, transport: str = "udp") -> str:
        return f"turn:{LOOPBACK}:{self.port}?transport={transport}"

    def log(self) -> str:
        return self.turn.log_file.read_text(errors="replace") if self.turn.log_file.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.turn.directory, ignore_errors=True)


def relay_range(size: int = 50) -> tuple[int, int]:
    """A relay port range of its own, beside other test servers' (coturn picks free ports in it)."""
    low = random.randrange(50_000, 59_000, size)
    return low, low + size - 1


def start_coturn(secret: str | None = None, timeout: float = 30.0) -> CoturnServer:
    binary = shutil.which("turnserver")
    if not binary:
        raise RuntimeError("turnserver not found: run `make setup` (Debian package coturn)")
    directory = Path(tempfile.mkdtemp(prefix="odr-coturn-"))
    low, high = relay_range()
    turn = LocalTurn(directory=directory, port=free_port(), min_port=low, max_port=high, realm=REALM)
    secret = secret or secrets.token_urlsafe(24)
    proc = subprocess.Popen(
        turnserver_argv(binary, write_local_config(turn, secret)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = CoturnServer(turn=turn, secret=secret, proc=proc)
    try:
        wait_for_stun(turn, proc, timeout)
    except RuntimeError:
        server.stop()
        raise
    return server


def wait_for_stun(turn: LocalTurn, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Until coturn answers a STUN Binding request on its port; its log in the error if not."""
    deadline = time.monotonic() + timeout
    while not stun_answers(LOOPBACK, turn.port, timeout=0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            log = turn.log_file.read_text(errors="replace") if turn.log_file.exists() else ""
            raise RuntimeError(f"coturn did not start on port {turn.port}:\n{log[-3000:]}")
        time.sleep(0.05)
