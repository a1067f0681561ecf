"""The embedded coturn: its loopback configuration, its command, and a STUN readiness probe.

``odr serve`` starts coturn (Debian's ``coturn`` package, ``turnserver``) as one
of its children when it is installed and no external TURN server is configured,
with its configuration, pid file, user database and log under ``var/turn/``.
The tests start the same configuration on a free port (tests/support/coturn.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from odr.rtc.ice import turn_secret
from odr.settings import Settings

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_MAGIC_COOKIE = 0x2112A442
_BINDING_REQUEST = 0x0001
_BINDING_SUCCESS = 0x0101


@dataclass(frozen=True)
class LocalTurn:
    """Where one loopback coturn keeps its files."""

    directory: Path
    port: int
    min_port: int
    max_port: int
    realm: str

    @property
    def config(self) -> Path:
        return self.directory / "turnserver.conf"

    @property
    def pidfile(self) -> Path:
        return self.directory / "turnserver.pid"

    @property
    def userdb(self) -> Path:
        return self.directory / "turndb.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.directory / "turnserver.log"


def local_config(turn: LocalTurn, secret: str) -> str:
    """The loopback coturn configuration (odr/rtc/turnserver-local.conf, filled in)."""
    if not turn.min_port <= turn.max_port:
        raise ValueError(f"relay port range {turn.min_port}-{turn.max_port} is empty")
    text = resources.files("odr.rtc").joinpath("turnserver-local.conf").read_text()
    return Template(text).substitute(
        port=turn.port, min_port=turn.min_port, max_port=turn.max_port, realm=turn.realm,
        secret=secret, pidfile=turn.pidfile.resolve(), userdb=turn.userdb.resolve(),
        log_file=turn.log_file.resolve(),
    )


def write_local_config(turn: LocalTurn, secret: str) -> Path:
    """Write the configuration (it holds the secret: owner-only) and return its path."""
    turn.directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(turn.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(local_config(turn, secret))
    os.chmod(turn.config, 0o600)
    return turn.config


def turnserver_argv(binary: str, config: Path) -> list[str]:
    return [binary, "-c", str(config.resolve())]


def embedded_turn(settings: Settings) -> LocalTurn:
    return LocalTurn(
        directory=settings.var_dir / "turn", port=settings.turn_port,
        min_port=settings.turn_relay_min_port, max_port=settings.turn_relay_max_port,
        realm=settings.turn_realm,
    )


def embedded_coturn_command(settings: Settings) -> list[str] | None:
    """The command ``odr serve`` runs for coturn, its configuration written; None to skip.

    Skipped when an external TURN server is configured (``turn_urls``), when
    ``turn_embedded`` is off, when ``turnserver`` is not installed, or when
    something already answers STUN on the port (another coturn).
    """
    if settings.turn_urls or not settings.turn_embedded:
        return None
    binary = shutil.which(settings.turnserver_path)
    if binary is None:
        log.warning("turnserver not found (Debian package coturn): running without TURN")
        return None
    if stun_answers(LOOPBACK, settings.turn_port):
        log.warning("a STUN/TURN server already answers on %s:%s (Debian's coturn.service? "
                    "`systemctl disable --now coturn`): not starting coturn",
                    LOOPBACK, settings.turn_port)
        return None
    turn = embedded_turn(settings)
    config = write_local_config(turn, turn_secret(settings))
    return turnserver_argv(binary, config)


def stun_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a STUN Binding request over UDP to host:port gets a success answer."""
    txn = os.urandom(12)
    request = struct.pack("!HHI", _BINDING_REQUEST, 0, _MAGIC_COOKIE) + txn
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
            sock.send(request)
            answer = sock.recv(2048)
        except OSError:  # timeout, or port unreachable
            return False
    if len(answer) < 20:
        return False
    kind, _length, cookie = struct.unpack("!HHI", answer[:8])
    return kind == _BINDING_SUCCESS and cookie == _MAGIC_COOKIE and answer[8:20] == txn


def read_pid(turn: LocalTurn) -> int | None:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int(turn.pidfile.read_text().strip())
    return None
