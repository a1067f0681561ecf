"""Real worker processes for tests: started like production, killed like a crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odr.settings import Settings
from odr.tasks.runner import settings_env

REPO = Path(__file__).resolve().parents[2]
HANDLER_MODULE = "tests.tasks.worker_handlers"


def worker_settings(settings: Settings, **changes: Any) -> Settings:
    """The test's settings with short timers and the test handlers imported by workers."""
    fast = {
        "outbox_lease_seconds": 2,
        "worker_heartbeat_seconds": 1,
        "outbox_drain_interval_seconds": 0.5,
        "extra_task_modules": [HANDLER_MODULE],
    }
    return settings.model_copy(update={**fast, **changes})


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODR_")}
    env.update(settings_env(settings))
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONFAULTHANDLER"] = "1"  # a hung child prints its threads' stacks on SIGABRT
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """Kill the whole process group at once, as a machine crash would."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM the main process (a clean stop); the caller asserts on the code."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(5)
            self.kill9()
            raise AssertionError(
                f"{self.name} did not stop on SIGTERM:\n{self.output()[-3000:]}"
            ) from None


def start(name: str, argv: list[str], settings: Settings, log_dir: Path) -> Proc:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, cwd=REPO, env=child_env(settings), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Proc(name, popen, log)


def start_worker(settings: Settings, log_dir: Path, *, name: str = "worker",
                 beat: bool = False) -> Proc:
    argv = [sys.executable, "-m", "odr.tasks.runner", "worker", "--concurrency=1"]
    if beat:
        argv.append("--beat")
    return start(name, argv, settings, log_dir)


def start_beat(settings: Settings, log_dir: Path) -> Proc:
    return start("beat", [sys.executable, "-m", "odr.tasks.runner", "beat"], settings, log_dir)


async def wait_until(
    check: Callable[[], Awaitable[Any]], what: str, *, timeout: float = 30,
    watch: list[Proc] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the logs of ``watch``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        for proc in watch or []:
            if not proc.alive():
                raise AssertionError(f"{proc.name} exited while waiting for {what}:\n"
                                     f"{proc.output()[-3000:]}")
        if asyncio.get_running_loop().time() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in watch or [])
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.1)
