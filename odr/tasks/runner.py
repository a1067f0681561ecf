"""Running the processes: a Celery worker, beat, and ``serve`` (web + worker + beat).

``run_worker`` and ``run_beat`` run in the calling process (they return when
Celery stops). ``serve`` supervises three child processes — uvicorn with the
``odr.app:asgi`` factory, a worker and beat — each reading the same settings
from ``ODR_*`` variables written by ``settings_env``. It forwards SIGINT and
SIGTERM to them (a second signal kills), stops all when any one stops, and
asks Linux to kill the children if the supervisor itself is killed.
Optional children (the embedded coturn, see ``odr.rtc.coturn``) are started
and stopped with the others, but the platform runs on when one of them ends.

The pool is prefork with ``worker_concurrency`` (1–2 on small machines)
processes on either broker: the kombu SQLAlchemy transport only polls, so it
needs no event loop, and each child builds its own engines after fork.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pydantic import SecretStr

from odr.rtc.coturn import embedded_coturn_command
from odr.settings import Settings
from odr.tasks.celery_app import QUEUE, make_celery, prepare_broker

log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 20.0
POLL_SECONDS = 0.2


def worker_argv(
    settings: Settings, *, beat: bool = False, concurrency: int | None = None,
    pool: str = "prefork", loglevel: str = "INFO",
) -> list[str]:
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--pool={pool}",
        f"--concurrency={concurrency or settings.worker_concurrency}",
        f"--queues={QUEUE}",
        f"--hostname=odr-{os.getpid()}@%h",
        # No broadcast on the embedded broker, and health comes from our own heartbeats.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]
    if beat:
        argv.append("--beat")
    return argv


def run_worker(
    settings: Settings, *, beat: bool = False, concurrency: int | None = None,
    pool: str = "prefork", loglevel: str = "INFO",
) -> int:
    """Run a Celery worker in this process until it stops (``beat`` embeds beat); exit code."""
    settings.ensure_dirs()
    app = make_celery(settings)
    prepare_broker(app)
    argv = worker_argv(settings, beat=beat, concurrency=concurrency, pool=pool, loglevel=loglevel)
    return int(app.start(argv) or 0)


def run_beat(settings: Settings, *, loglevel: str = "INFO") -> int:
    """Run Celery beat in this process until it stops (one beat per deployment); exit code."""
    settings.ensure_dirs()
    app = make_celery(settings)
    prepare_broker(app)
    return int(app.start(["beat", f"--loglevel={loglevel}"]) or 0)


def settings_env(settings: Settings) -> dict[str, str]:
    """``ODR_*`` variables that make a child process build exactly these settings."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict):
            text = json.dumps(value)
        elif isinstance(value, Path):
            text = str(value.resolve())
        else:
            text = str(value)
        env[f"ODR_{name.upper()}"] = text
    return env


def child_commands(settings: Settings, host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "-m", "uvicorn", "--factory", "odr.app:asgi",
                "--host", host, "--port", str(port), "--no-access-log"],  # odr.access logs JSON
        "worker": [python, "-m", "odr.tasks.runner", "worker"],
        "beat": [python, "-m", "odr.tasks.runner", "beat"],
    }


def optional_commands(settings: Settings) -> dict[str, list[str]]:
    """Children the platform runs on without: coturn for TURN, and a media node.

    The media node registers itself with a fresh credential (``--register``)
    and joins signaling on this machine (ODR_MEDIA_SIGNALING_URL, set by
    ``serve``); without it rooms still meet, with no audio or video.
    """
    commands: dict[str, list[str]] = {}
    turn = embedded_coturn_command(settings)
    if turn:
        commands["turn"] = turn
    if settings.media_embedded:
        commands["media"] = [sys.executable, "-m", "odr.cli", "media", "--register"]
    return commands


def serve(settings: Settings, host: str, port: int) -> int:
    """Run web, worker and beat until a signal or until one of them stops; returns an exit code."""
    settings.ensure_dirs()
    prepare_broker(make_celery(settings))  # before three processes race to create it
    env = {**os.environ, **settings_env(settings)}
    if not settings.media_signaling_url:  # the embedded media node joins this very server
        env["ODR_MEDIA_SIGNALING_URL"] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    children: dict[str, subprocess.Popen[bytes]] = {}
    signals_received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        signals_received.append(signum)

    optional = optional_commands(settings)
    lost: set[str] = set()
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name, argv in {**child_commands(settings, host, port), **optional}.items():
            children[name] = subprocess.Popen(
                argv, env=env, start_new_session=True, preexec_fn=_die_with_parent
            )
            log.info("started %s (pid %s)", name, children[name].pid)
        exit_code = 0
        while not signals_received:
            for name in optional.keys() - lost:
                if children[name].poll() is not None:
                    lost.add(name)
                    log.error("%s stopped (exit code %s): running on without it",
                              name, children[name].returncode)
            ended = [n for n, p in children.items() if n not in optional and p.poll() is not None]
            if ended:
                code = children[ended[0]].returncode
                log.error("%s stopped (exit code %s): stopping the others", ended[0], code)
                exit_code = code or 1
                break
            time.sleep(POLL_SECONDS)
        _stop_all(children, signals_received)
        return exit_code
    finally:
        for p in children.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stop_all(children: dict[str, subprocess.Popen[bytes]], signals_received: list[int]) -> None:
    """SIGTERM every child, wait; SIGKILL on timeout or on another signal to us."""
    seen = len(signals_received)
    for p in children.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while any(p.poll() is None for p in children.values()):
        if time.monotonic() > deadline or len(signals_received) > max(seen, 1):
            for p in children.values():
                if p.poll() is None:
                    p.kill()
        time.sleep(POLL_SECONDS / 2)
    for p in children.values():  # what a killed child left behind (its pool processes)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the supervisor dies (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m odr.tasks.runner worker|beat`` (serve's children), settings from ``ODR_*``."""
    parser = argparse.ArgumentParser(prog="python -m odr.tasks.runner")
    parser.add_argument("process", choices=["worker", "beat"])
    parser.add_argument("--beat", action="store_true", help="embed beat in the worker")
    parser.add_argument("--pool", default="prefork")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--loglevel", default="INFO")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.process == "worker":
        return run_worker(
            settings, beat=args.beat, concurrency=args.concurrency, pool=args.pool,
            loglevel=args.loglevel,
        )
    return run_beat(settings, loglevel=args.loglevel)


if __name__ == "__main__":
    sys.exit(main())
