"""The agreements benchmark runs end to end and ends with its JSON figure line.

Only the shape of the output is checked: speed is never asserted in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEYS = {"bench", "p50_ms", "p99_ms", "bytes", "unsigned_p50_ms"}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_agreements_bench_smoke_prints_figures_as_last_json_line() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "agreements.py"), "--runs", "5"],
        capture_output=True, text=True, timeout=540, cwd=REPO,
    )
    assert out.returncode == 0, f"bench failed:\n{out.stdout}\n{out.stderr}"
    assert "3 pages" in out.stdout
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(figures) == KEYS
    assert figures["bench"] == "agreements"
    for key in KEYS - {"bench"}:
        assert isinstance(figures[key], int | float) and figures[key] > 0, (key, figures)
    assert figures["p50_ms"] <= figures["p99_ms"]
