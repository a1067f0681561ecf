"""``serve``: web, worker and beat as one command on the embedded deployment."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from odr.settings import Settings
from tests.support.servers import free_port
from tests.tasks.procs import Proc, start, wait_until

SERVE = "import sys; from odr.settings import Settings; from odr.tasks.runner import serve; " \
        "sys.exit(serve(Settings(), '127.0.0.1', int(sys.argv[1])))"


@pytest.fixture
def serve_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    database = tmp_path / "odr.sqlite3"
    shutil.copyfile(sqlite_template, database)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=tmp_path / "var",
        database_url=f"sqlite+aiosqlite:///{database}",
        frontend_dist=tmp_path / "no-frontend",
        worker_heartbeat_seconds=1,
        worker_concurrency=1,
        turn_embedded=False,  # tests/rtc/test_embedded_coturn.py covers serve with coturn
    )


def children(proc: Proc) -> dict[str, int]:
    """The supervisor's children by role (web, worker, beat, media)."""
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    found: dict[str, int] = {}
    for pid in map(int, path.read_text().split()) if path.exists() else []:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"uvicorn" in argv:
            found["web"] = pid
        elif b"odr.cli" in argv and b"media" in argv:
            found["media"] = pid
        elif b"odr.tasks.runner" in argv:  # not yet exec'd children are skipped
            found[argv[argv.index(b"odr.tasks.runner") + 1].decode()] = pid
    return found


def group_gone(pgid: int) -> bool:
    try:
        subprocess.run(["pgrep", "-g", str(pgid)], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        return True
    return False


def start_serve(settings: Settings, tmp_path: Path, port: int) -> Proc:
    return start("serve", [sys.executable, "-c", SERVE, str(port)], settings, tmp_path)


@pytest.mark.slow
async def test_serve_runs_a_healthy_platform_and_stops_everything_on_sigterm(
    serve_settings: Settings, tmp_path: Path, procs: list[Proc]
) -> None:
    port = free_port()
    serve = start_serve(serve_settings, tmp_path, port)
    procs.append(serve)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def healthy() -> dict[str, object] | None:
            try:
                response = await client.get("/healthz")
            except httpx.TransportError:
                return None
            return response.json() if response.status_code == 200 else None

        report = await wait_until(healthy, "/healthz to turn ok", watch=[serve], timeout=60)
    assert report["workers"]["detail"] == "1 worker(s) alive"

    async def media_node_joined() -> str | None:  # its connect to signaling is its first heartbeat
        database = serve_settings.database_url.removeprefix("sqlite+aiosqlite:///")
        with sqlite3.connect(database) as db:
            row = db.execute(
                "select last_heartbeat_at from media_nodes where id = ?", (serve_settings.media_node_id,)
            ).fetchone()
        return row[0] if row and row[0] else None

    await wait_until(media_node_joined, "the embedded media node to join signaling", watch=[serve], timeout=60)
    roles = children(serve)
    assert sorted(roles) == ["beat", "media", "web", "worker"]

    assert serve.terminate() == 0
    assert all(group_gone(pid) for pid in roles.values())  # worker pool children included


@pytest.mark.slow
async def test_serve_stops_the_others_when_one_process_dies(
    serve_settings: Settings, tmp_path: Path, procs: list[Proc]
) -> None:
    serve = start_serve(serve_settings, tmp_path, free_port())
    procs.append(serve)

    async def all_started() -> dict[str, int] | None:
        roles = children(serve)
        return roles if len(roles) == 4 else None

    roles = await wait_until(all_started, "web, worker, beat and media", watch=[serve])
    os.kill(roles["worker"], signal.SIGKILL)

    assert serve.popen.wait(60) != 0
    assert all(group_gone(pid) for pid in roles.values())
