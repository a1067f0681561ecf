"""The ``odr`` command as an operator runs it: migrate, seed, create a user, verify the audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.factories import resident_id


def odr(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODR_VAR_DIR": str(tmp_path / "var"), "ODR_DATABASE_URL": "",
           "ODR_ENVIRONMENT": "development", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "odr.cli", *args], cwd=tmp_path, env=env, input=stdin,
        capture_output=True, text=True, timeout=120,
    )


def test_migrate_seed_create_user_and_verify(tmp_path: Path) -> None:
    upgraded = odr(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "var" / "odr.sqlite3").exists()

    seeded = odr(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo2026!" in seeded.stdout and "mediator" in seeded.stdout
    again = odr(tmp_path, "seed-demo")  # idempotent: nothing new the second time
    assert again.returncode == 0 and "(0 new)" in again.stdout

    created = odr(
        tmp_path, "create-user", "--username", "judge.chen", "--real-name", "陈法官",
        "--role", "judge", "--mobile", "13911112222", "--id-doc-number", resident_id(4242),
        "--court", "SHJRFY", "--password", "Judge2026!",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "judge.chen" in created.stdout

    duplicate = odr(
        tmp_path, "create-user", "--username", "judge.chen", "--real-name", "陈法官",
        "--role", "judge", "--mobile", "13911113333", "--id-doc-number", resident_id(4243),
        "--court", "SHJRFY", "--password", "Judge2026!",
    )
    assert duplicate.returncode == 2 and "username is taken" in duplicate.stdout

    bad_role = odr(
        tmp_path, "create-user", "--username", "x.y.z", "--real-name", "某人",
        "--role", "mediator", "--mobile", "13911114444", "--id-doc-number", resident_id(4244),
        "--password", "Whatever1!",
    )
    assert bad_role.returncode == 2 and "institution" in bad_role.stdout

    verified = odr(tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
