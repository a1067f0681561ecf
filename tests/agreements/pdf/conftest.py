"""One development PKI for the whole session (key generation is the slow part), and
sample agreement data for the pure rendering tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from odr.settings import Settings


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def settings(settings: Settings, pki_dir: Path) -> Settings:
    return settings.model_copy(update={"agreement_pki_dir": pki_dir})
