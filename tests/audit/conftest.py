"""Fixtures for the audit chain tests: a Database on each backend, an anchor path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from odr.db.uow import Database


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
def anchor_path(tmp_path: Path) -> Path:
    return tmp_path / "anchors" / "audit-anchor.log"
