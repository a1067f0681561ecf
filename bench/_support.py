"""Shared machinery of the HTTP benchmarks: seed data, pinned servers, wrk runs.

Everything here talks only to servers it starts itself on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from odr.accounts.models import IdentityLevel, LoginSession, Role, User
from odr.accounts.sessions import hash_token, open_session
from odr.cases.models import Case, CaseChannel, CaseParticipant, CaseRole
from odr.cases.queries import visible_case_scope
from odr.categories import DisputeCategory
from odr.clock import SystemClock
from odr.orgs.models import Court, Institution
from odr.orgs.seed import seed_orgs
from odr.policy import Actor
from odr.services import Services
from odr.settings import Settings

REPO = Path(__file__).resolve().parents[1]
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"


class BenchError(RuntimeError):
    """The benchmark could not produce an honest figure."""


# ---------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Seeded:
    token: str
    user_id: int
    visible_cases: int
    total_cases: int


async def seed(database_url: str, *, cases: int = 200, mine: int = 50, others: int = 20) -> Seeded:
    """Orgs, a verified party who takes part in ``mine`` of ``cases`` cases, and other users.

    The other users take part in every case (the bench user's too), so the
    policy scope has to filter rows out rather than match the whole table.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="odr-bench-var-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=var_dir,
        database_url=database_url,
    )
    clock = SystemClock()
    services = Services.build(settings, clock)
    try:
        async with services.db.uow() as uow:
            await seed_orgs(uow, clock)
            courts = list((await uow.session.execute(select(Court.id))).scalars())
            institutions = list((await uow.session.execute(select(Institution.id))).scalars())
            now = clock.now()
            me = User(username="bench-party", real_name="压测当事人", role=Role.PARTY,
                      identity_level=IdentityLevel.BASIC, identity_verified_at=now,
                      created_at=now, updated_at=now)
            crowd = [
                User(username=f"bench-other-{i}", real_name=f"其他用户{i}", role=Role.PARTY,
                     identity_level=IdentityLevel.BASIC, created_at=now, updated_at=now)
                for i in range(others)
            ]
            uow.session.add_all([me, *crowd])
            await uow.session.flush()
            categories = list(DisputeCategory)
            channels = list(CaseChannel)
            rows: list[Case] = []
            for i in range(cases):
                stamp = now - timedelta(hours=cases - i, microseconds=i * 1013)
                rows.append(Case(
                    number=f"（2026）沪74民调{i + 1:05d}号", title=f"金融借款合同纠纷 第{i + 1}件",
                    category=categories[i % len(categories)], channel=channels[i % len(channels)],
                    status="submitted" if i % 3 else "in_mediation",
                    claim_amount_fen=1_000_000 + i * 12_345,
                    institution_id=institutions[i % len(institutions)] if i % 4 else None,
                    court_id=courts[i % len(courts)], created_by_id=crowd[i % others].id,
                    created_at=stamp, updated_at=stamp + timedelta(minutes=i % 7),
                ))
            uow.session.add_all(rows)
            await uow.session.flush()
            step = cases // mine
            for i, case in enumerate(rows):
                uow.session.add(CaseParticipant(case_id=case.id, user_id=crowd[i % others].id,
                                                role=CaseRole.RESPONDENT, created_at=now))
                if i % step == 0 and i // step < mine:
                    role = CaseRole.APPLICANT if i % 2 == 0 else CaseRole.RESPONDENT
                    uow.session.add(CaseParticipant(case_id=case.id, user_id=me.id, role=role,
                                                    created_at=now))
            # Other people's live sessions, so the token lookup searches a real table.
            for i, other in enumerate(crowd * 5):
                uow.session.add(LoginSession(
                    token_hash=hash_token(f"other-{i}"), csrf_token=f"csrf-{i}", user_id=other.id,
                    created_at=now, expires_at=now + timedelta(hours=12), last_seen_at=now,
                    reauthenticated_at=now))
            opened = await open_session(uow, services, me, address="127.0.0.1", user_agent="wrk")
        actor = Actor(user_id=me.id, role=Role.PARTY, identity_level=IdentityLevel.BASIC)
        async with services.db.reader() as uow:
            visible = (await uow.session.execute(
                select(func.count()).select_from(Case).where(
                    visible_case_scope(actor, services.clock.now()))
            )).scalar_one()
        return Seeded(token=opened.token, user_id=me.id, visible_cases=visible, total_cases=cases)
    finally:
        await services.close()
        shutil.rmtree(var_dir, ignore_errors=True)


# ---------------------------------------------------------------- processes


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (read from /proc)."""
    found = [pid]
    i = 0
    while i < len(found):
        for task in Path(f"/proc/{found[i]}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            found.extend(int(c) for c in children if int(c) not in found)
        i += 1
    return found


def pin(pid: int, cpu: int) -> None:
    """Pin a running process tree (every thread) to one CPU; later forks inherit it."""
    for p in descendants(pid):
        subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(p)],
                       check=False, capture_output=True)


def wait_for_json(url: str, token: str, proc: subprocess.Popen[bytes],
                  timeout: float = 60.0) -> bytes:
    """Poll until the endpoint answers 200 with JSON (its body); fail early if the server died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with code {proc.returncode} before answering")
        try:
            r = httpx.get(url, cookies={"odr_session": token}, timeout=5)
            if r.status_code == 200 and r.headers.get("content-type") == "application/json":
                return r.content
            last = f"HTTP {r.status_code}: {r.text[:300]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise BenchError(f"server at {url} did not answer 200 in {timeout:.0f}s ({last})")


@contextmanager
def pinned_uvicorn(app: str, *, port: int, cpu: int, env: dict[str, str],
                   factory: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    """One uvicorn worker process for ``app``, pinned to ``cpu``, quiet logs."""
    cmd = ["taskset", "-c", str(cpu), sys.executable, "-m", "uvicorn", app,
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--no-access-log", "--loop", "uvloop", "--http", "httptools",
           "--app-dir", str(REPO)]
    if factory:
        cmd.append("--factory")
    workdir = tempfile.mkdtemp(prefix="odr-bench-srv-")
    log_path = Path(workdir) / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env={**os.environ, **env},
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    except BaseException:
        tail = log_path.read_text(errors="replace")[-3000:]
        if tail.strip():
            print(f"--- {app} server log (tail) ---\n{tail}", file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- load


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: counts, and latency quantiles at ranks 0.05 %, 0.15 %, ..., 99.95 %."""

    requests: int
    seconds: float
    non200: int
    socket_errors: int
    max_us: int
    quantiles_us: list[int]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


def run_wrk(url: str, token: str, *, seconds: float, connections: int, cpu: int,
            threads: int = 1) -> WrkRun:
    """One wrk run pinned to ``cpu``; fails unless every answer was 200 without socket errors."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk not found: apt-get install -y wrk")
    cmd = ["taskset", "-c", str(cpu), wrk, "-t", str(threads), "-c", str(connections),
           "-d", f"{seconds}s", "--timeout", "10s", "--latency", "-s", str(WRK_SCRIPT),
           "-H", f"Cookie: odr_session={token}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr.strip()}")
    report_lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not report_lines:
        raise BenchError(f"wrk printed no report:\n{out.stdout}\n{out.stderr}")
    data = json.loads(report_lines[-1])
    run = WrkRun(requests=data["requests"], seconds=data["duration_us"] / 1e6,
                 non200=data["non200"], socket_errors=data["socket_errors"],
                 max_us=data["max_us"], quantiles_us=data["quantiles_us"])
    if run.requests <= 0:
        raise BenchError(f"{url}: no request completed")
    if run.non200:
        raise BenchError(f"{url}: {run.non200} of {run.requests} responses were not 200")
    if run.socket_errors:
        raise BenchError(f"{url}: {run.socket_errors} socket errors (connect/read/write/timeout)")
    return run


def merge(runs: list[WrkRun]) -> LoadResult:
    """Throughput over all runs; percentiles of the runs' latency distributions pooled."""
    requests = sum(r.requests for r in runs)
    seconds = sum(r.seconds for r in runs)
    points = sorted(
        (q, r.requests / len(r.quantiles_us)) for r in runs for q in r.quantiles_us
    )

    def percentile(p: float) -> float:
        target, seen = p / 100 * requests, 0.0
        for value, weight in points:
            seen += weight
            if seen >= target:
                return value / 1000
        return points[-1][0] / 1000

    return LoadResult(requests=requests, seconds=seconds, rps=requests / seconds,
                      p50_ms=percentile(50), p90_ms=percentile(90), p99_ms=percentile(99),
                      max_ms=max(r.max_us for r in runs) / 1000)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """Per-CPU busy percentage between construction and ``busy()`` (from /proc/stat)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> list[tuple[int, int]]:
        out = []
        for line in Path("/proc/stat").read_text().splitlines():
            name, *fields = line.split()
            if name.startswith("cpu") and name != "cpu":
                values = [int(v) for v in fields]
                idle = values[3] + values[4]  # idle + iowait
                out.append((sum(values[:8]), idle))
        return out

    def busy(self) -> list[float]:
        end = self._read()
        result = []
        for (t0, i0), (t1, i1) in zip(self._start, end, strict=False):
            total = t1 - t0
            result.append(100.0 * (total - (i1 - i0)) / total if total else 0.0)
        return result
