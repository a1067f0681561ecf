"""Models and migrations agree, and there is exactly one Alembic head."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from odr.db import migrations
from odr.db.engine import make_engine
from odr.db.models import Base


def test_exactly_one_alembic_head() -> None:
    assert len(migrations.heads()) == 1, migrations.heads()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_models_match_migrations(backend: str, request: pytest.FixtureRequest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Autogenerate against a freshly migrated database finds nothing to do."""
    if backend == "postgresql":
        server = request.getfixturevalue("pg_server")
        server.psql("CREATE DATABASE migration_check")
        url = server.url("migration_check")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    migrations.upgrade(url)

    async def diff() -> list[object]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_diff)
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


def test_upgrade_is_repeatable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.sqlite3'}"
    migrations.upgrade(url)
    migrations.upgrade(url)
