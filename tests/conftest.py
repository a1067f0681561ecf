"""Fixtures every part shares: real servers, migrated databases, services, HTTP clients.

Database-facing tests take the ``db_url`` fixture (directly or through
``services``/``client``) and so run twice: on SQLite and on a real PostgreSQL
server started here. Each test gets a fresh database copied from a template
migrated once per run with Alembic, so tests never share rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import socketio
from starlette.applications import Starlette

from odr.app import create_app
from odr.clock import ManualClock
from odr.db import migrations
from odr.services import Services
from odr.settings import Settings
from tests.support.coturn import CoturnServer, start_coturn
from tests.support.live import serve_in_loop
from tests.support.s3 import S3Server, start_s3
from tests.support.servers import PostgresServer, RedisServer, start_postgres, start_redis

DB_BACKENDS = [b for b in os.environ.get("ODR_TEST_DATABASES", "sqlite,postgresql").split(",") if b]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def coturn_server() -> Iterator[CoturnServer]:
    """A real coturn on a loopback port (TURN REST secret ``.secret``, realm ``.realm``)."""
    server = start_coturn()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3 API (moto server mode) on a loopback port; buckets via ``new_bucket()``."""
    server = start_s3()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    pg_server.psql("CREATE DATABASE odr_template")
    migrations.upgrade(pg_server.url("odr_template"))
    return "odr_template"


@pytest.fixture(params=DB_BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for this test, on each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "odr.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=tmp_path / "var",
        database_url=db_url,
        frontend_dist=tmp_path / "no-frontend",
    )


@pytest.fixture
async def services(settings: Settings, clock: ManualClock) -> AsyncIterator[Services]:
    built = Services.build(settings, clock)
    yield built
    await built.close()


@dataclass
class LiveServer:
    url: str
    app: Starlette
    sio: socketio.AsyncServer


@pytest.fixture
async def live_server(services: Services) -> AsyncIterator[LiveServer]:
    """The whole ASGI app (HTTP + socket.io) served by uvicorn on a loopback port."""
    app = create_app(services)
    asgi = socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")
    async with serve_in_loop(asgi) as url:
        yield LiveServer(url=url, app=app, sio=app.state.sio)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
