"""Benchmark: the authenticated case list against a bare Starlette + asyncpg floor.

Starts a real PostgreSQL, migrates and seeds it, then serves

* the real app (``uvicorn --factory odr.app:asgi``, production settings), and
* ``bench/baseline_app.py`` (the same SQL through raw asyncpg, the same JSON),

each as one uvicorn process pinned to the first CPU, while ``wrk`` with 50
connections, pinned to the second CPU, asks ``GET /api/v1/cases?limit=20``
with a signed-in party's session cookie. PostgreSQL is pinned to the second
CPU too, so the first belongs to the Python process under test alone. The two
servers are measured in alternating slices of the same run. Responses are
never cached; every answer must be 200 or the bench fails (exit status 1).

    .venv/bin/python bench/api.py          # 10 s warm-up, then 3 x 5 s measured, per server
    .venv/bin/python bench/api.py --smoke  # 2 s warm-up, then 2 x 2 s measured (CI)

The last line printed is one JSON object:
``{"bench": "api", "rps", "p50_ms", "p99_ms", "baseline_rps", "ratio"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._support import (  # noqa: E402
    BenchError,
    CpuSampler,
    LoadResult,
    WrkRun,
    merge,
    pin,
    pinned_uvicorn,
    process_cpu_seconds,
    run_wrk,
    seed,
    wait_for_json,
)
from odr.db import migrations  # noqa: E402
from tests.support.servers import free_port, start_postgres  # noqa: E402

PATH = "/api/v1/cases?limit=20"


@dataclass
class Target:
    """A server under load: its URL, process and what its measured runs gave."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    runs: list[WrkRun] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def result(self) -> LoadResult:
        return merge(self.runs)

    def show(self) -> None:
        r = self.result()
        print(f"{self.name:>9}: {r.rps:8.1f} req/s  p50 {r.p50_ms:7.2f} ms  p90 {r.p90_ms:7.2f} ms  "
              f"p99 {r.p99_ms:7.2f} ms  max {r.max_ms:8.2f} ms  server CPU "
              f"{self.cpu_seconds * 1e6 / r.requests:5.0f} us/req  ({r.requests} requests in "
              f"{r.seconds:.1f} s)", flush=True)


def load(target: Target, *, token: str, seconds: int, connections: int, cpu: int) -> WrkRun:
    before = process_cpu_seconds(target.proc.pid)
    run = run_wrk(target.url, token, seconds=seconds, connections=connections, cpu=cpu)
    target.cpu_seconds += process_cpu_seconds(target.proc.pid) - before
    if target.proc.poll() is not None:
        raise BenchError(f"{target.name} server exited during the run ({target.proc.returncode})")
    return run


def compare(app: Target, base: Target, *, token: str, cpus: tuple[int, int], warmup: int,
            slice_seconds: int, rounds: int, connections: int) -> list[float]:
    """Warm both servers, then measure them in alternating slices (A B B A A B ...).

    Alternating spreads any drift of the machine (other processes, frequency)
    evenly over both servers, so the ratio compares like with like.
    Returns the busy percentage of each CPU over the measured slices.
    """
    for target in (app, base):
        run_wrk(target.url, token, seconds=warmup, connections=connections, cpu=cpus[1])
    sampler = CpuSampler()
    for i in range(rounds):
        order = (app, base) if i % 2 == 0 else (base, app)
        for target in order:
            target.runs.append(load(target, token=token, seconds=slice_seconds,
                                    connections=connections, cpu=cpus[1]))
    return sampler.busy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds per phase (CI)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds per server")
    parser.add_argument("--slice", type=int, help="seconds of one measured slice")
    parser.add_argument("--rounds", type=int, help="measured slices per server")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--pg-anywhere", action="store_true",
                        help="leave PostgreSQL unpinned instead of on the load generator's CPU")
    args = parser.parse_args(argv)
    warmup = args.warmup or (2 if args.smoke else 10)
    slice_seconds = args.slice or (2 if args.smoke else 5)
    rounds = args.rounds or (2 if args.smoke else 3)

    allowed = sorted(os.sched_getaffinity(0))
    cpus = (allowed[0], allowed[1] if len(allowed) > 1 else allowed[0])
    if len(allowed) < 2:
        print("warning: one CPU only; server and load generator share it", file=sys.stderr)

    pg = start_postgres()
    stack_dirs = contextlib.ExitStack()
    try:
        if not args.pg_anywhere:
            pin(pg.proc.pid, cpus[1])
        pg.psql("CREATE DATABASE odr_bench")
        db_url = pg.url("odr_bench")
        migrations.upgrade(db_url)
        seeded = asyncio.run(seed(db_url))
        pg.psql("ANALYZE", database="odr_bench")
        print(f"seeded {seeded.total_cases} cases, the party takes part in "
              f"{seeded.visible_cases}; {args.connections} connections; per server "
              f"{warmup} s warm-up, then {rounds} x {slice_seconds} s measured, alternating; "
              f"servers on cpu{cpus[0]}, wrk on cpu{cpus[1]}, PostgreSQL "
              f"{'on any CPU' if args.pg_anywhere else f'on cpu{cpus[1]}'}", flush=True)
        var_dir = stack_dirs.enter_context(tempfile.TemporaryDirectory(prefix="odr-bench-app-"))
        app_env = {
            "ODR_ENVIRONMENT": "production",
            "ODR_DATABASE_URL": db_url,
            "ODR_SECRET_KEY": secrets.token_urlsafe(32),
            "ODR_COOKIE_SECURE": "true",  # production insists; wrk sends the cookie itself
            "ODR_NOTIFY_CHANNELS": '["database"]',
            "ODR_LOG_LEVEL": "WARNING",  # no access line per request: the bench measures serving
            "ODR_VAR_DIR": var_dir,
            "ODR_FRONTEND_DIST": str(Path(var_dir) / "no-frontend"),
        }
        base_env = {"BENCH_PG_DSN": db_url.replace("postgresql+asyncpg://", "postgresql://")}
        with contextlib.ExitStack() as stack:
            targets = []
            for name, spec, env, factory in (
                ("odr app", "odr.app:asgi", app_env, True),
                ("baseline", "bench.baseline_app:app", base_env, False),
            ):
                port = free_port()
                proc = stack.enter_context(
                    pinned_uvicorn(spec, port=port, cpu=cpus[0], env=env, factory=factory))
                targets.append(Target(name, f"http://127.0.0.1:{port}{PATH}", proc))
            app, base = targets
            bodies = [wait_for_json(t.url, seeded.token, t.proc) for t in targets]
            if bodies[0] != bodies[1]:
                raise BenchError("the baseline's JSON differs from the app's: unfair comparison")
            if json.loads(bodies[0])["total"] != seeded.visible_cases:
                raise BenchError("the case list does not match the policy's scope")
            busy = compare(app, base, token=seeded.token, cpus=cpus, warmup=warmup,
                           slice_seconds=slice_seconds, rounds=rounds,
                           connections=args.connections)
        app.show()
        base.show()
        print("busy over the measured slices: "
              + " ".join(f"cpu{i} {b:.0f}%" for i, b in enumerate(busy))
              + f"; load average {os.getloadavg()[0]:.2f}")
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        pg.stop()
        stack_dirs.close()
    a, b = app.result(), base.result()
    ratio = a.rps / b.rps
    print(f"ratio app/baseline: {ratio:.3f} (goal >= 0.5, responses not cached)")
    print(json.dumps({
        "bench": "api",
        "rps": round(a.rps, 1),
        "p50_ms": round(a.p50_ms, 3),
        "p99_ms": round(a.p99_ms, 3),
        "baseline_rps": round(b.rps, 1),
        "ratio": round(ratio, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
