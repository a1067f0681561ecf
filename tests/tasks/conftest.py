"""Worker-process fixtures: every process a test starts is killed at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tasks.procs import Proc


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.kill9()
