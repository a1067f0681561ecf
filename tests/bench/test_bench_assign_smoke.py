"""The assignment benchmark runs end to end and ends with its JSON figure line.

Only the shape and the hard constraints are checked; speed is never asserted in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEYS = {"bench", "seconds", "cost_ratio_to_optimal", "violations", "max_mean_utilisation"}


@pytest.mark.timeout(300)
def test_assign_bench_smoke_prints_figures_as_last_json_line() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "assign.py"), "--smoke"],
        capture_output=True, text=True, timeout=240, cwd=REPO,
    )
    assert out.returncode == 0, f"bench failed:\n{out.stdout}\n{out.stderr}"
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(figures) == KEYS and figures["bench"] == "assign"
    assert figures["violations"] == 0
    assert figures["cost_ratio_to_optimal"] >= 1.0  # never better than the exact optimum
    assert figures["seconds"] > 0 and figures["max_mean_utilisation"] >= 1.0
