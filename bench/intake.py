"""Benchmark: online applications filed end to end, and the timeline of a busy case.

Starts a real PostgreSQL, migrates and seeds it (the courts and institutions,
and one verified party per concurrent client), and serves the real app
(``uvicorn --factory odr.app:asgi``, production settings) as one process
pinned to the first CPU; PostgreSQL and this script's clients share the second.

1. Applications per second. Each client, in a loop, makes one 1 MB PDF of
   fresh content and files an application with it, exactly as the web page
   does: if the case-documents endpoint is served it files the application,
   then uploads the file to ``POST /api/v1/cases/{id}/documents`` as
   evidence; otherwise it uploads it with ``POST /api/v1/files`` and names its
   SHA-256 in the application's ``evidence_sha256s``. Each application carries
   its own ``Idempotency-Key``, confirms the notice, names the client's user
   as applicant and a bank as respondent, and prefers one institution, so
   every filing draws from the same case-number sequence (the worst case for
   the sequence row's lock). Any answer other than 201 fails the bench.
2. Timeline p99. One filed case gets 500 timeline events; ``wrk`` (pinned to
   the second CPU) asks for the whole timeline,
   ``GET /api/v1/cases/{id}/timeline?limit=500``, as the case's applicant. If
   the timeline route is not served, the case detail ``GET /api/v1/cases/{id}``
   is measured instead and the script says so.

    .venv/bin/python bench/intake.py          # 3 s warm-up, 20 s filing; 10 s of timeline reads
    .venv/bin/python bench/intake.py --smoke  # 1 s warm-up, 3 s filing; 2 s of timeline reads (CI)

The last line printed is one JSON object:
``{"bench": "intake", "applications_per_s", "timeline_p99_ms"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._support import BenchError, merge, pin, pinned_uvicorn, run_wrk, wait_for_json  # noqa: E402
from odr.accounts.identity import uscc_check_char  # noqa: E402
from odr.accounts.service import DOC_CONTEXT  # noqa: E402
from odr.accounts.sessions import open_session  # noqa: E402
from odr.app import api_routes  # noqa: E402
from odr.cases.intake.notice import current_notice  # noqa: E402
from odr.cases.models import CaseEvent, EventVisibility  # noqa: E402
from odr.clock import SystemClock  # noqa: E402
from odr.db import migrations  # noqa: E402
from odr.orgs.models import Institution  # noqa: E402
from odr.orgs.seed import seed_orgs  # noqa: E402
from odr.services import Services  # noqa: E402
from odr.settings import Settings  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.support.servers import free_port, start_postgres  # noqa: E402

MB = 1024 * 1024
TIMELINE_EVENTS = 500
INSTITUTION = "SFCDMC"
DOCUMENTS_ROUTE = "/api/v1/cases/{case_id:int}/documents"
TIMELINE_ROUTE = "/api/v1/cases/{case_id:int}/timeline"


@dataclass(frozen=True)
class Filer:
    user_id: int
    token: str
    csrf: str
    applicant: dict[str, Any]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    cases: list[tuple[int, Filer]] = field(default_factory=list)  # (case id, its applicant)


def _served(path: str) -> bool:
    return any(getattr(r, "path", None) == path for r in api_routes())


def _settings(database_url: str, secret: str, var_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test", var_dir=var_dir, database_url=database_url,
        secret_key=secret,  # the server's: identity look-up hashes must match
    )


async def seed(database_url: str, secret: str, filers: int) -> tuple[list[Filer], int]:
    """Courts, institutions, and one verified party with an open session per client."""
    var_dir = Path(tempfile.mkdtemp(prefix="odr-bench-var-"))
    services = Services.build(_settings(database_url, secret, var_dir), SystemClock())
    try:
        async with services.db.uow() as uow:
            await seed_orgs(uow, services.clock)
        out = []
        for _ in range(filers):
            user = await make_user(services, "party", password=None)
            assert user.id_doc_number_enc is not None and user.mobile is not None
            async with services.db.uow() as uow:
                opened = await open_session(uow, services, user, address="127.0.0.1",
                                            user_agent="bench")
            out.append(Filer(user.id, opened.token, opened.csrf_token, {
                "kind": "person", "name": user.real_name, "id_doc_type": "resident_id",
                "id_doc_number": services.crypto.decrypt(user.id_doc_number_enc,
                                                         context=DOC_CONTEXT),
                "mobile": user.mobile, "address": "上海市黄浦区中山东一路1号",
            }))
        async with services.db.reader() as uow:
            inst = (await uow.session.execute(
                select(Institution.id).where(Institution.code == INSTITUTION))).scalar_one()
        return out, inst
    finally:
        await services.close()
        shutil.rmtree(var_dir, ignore_errors=True)


async def add_events(database_url: str, secret: str, case_id: int, count: int) -> None:
    """Grow one case's timeline to ``count`` events (a few staff-only, as in life)."""
    var_dir = Path(tempfile.mkdtemp(prefix="odr-bench-var-"))
    services = Services.build(_settings(database_url, secret, var_dir), SystemClock())
    kinds = ["message_posted", "document_uploaded", "session_scheduled", "deadline_opened",
             "consent_recorded"]
    try:
        async with services.db.uow() as uow:
            now = services.clock.now()
            uow.session.add_all([
                CaseEvent(
                    case_id=case_id, at=now + timedelta(seconds=i), kind=kinds[i % len(kinds)],
                    actor_id=None, actor_label="system",
                    visibility=EventVisibility.STAFF if i % 10 == 0 else EventVisibility.ALL,
                    data={"n": i, "note": "调解员已安排视频调解会议"},
                )
                for i in range(count)
            ])
    finally:
        await services.close()
        shutil.rmtree(var_dir, ignore_errors=True)


def pdf_of_1mb(base: bytes, n: int) -> bytes:
    """A 1 MiB PDF whose content differs per ``n`` (the store keeps each once)."""
    head = b"%PDF-1.7\n%" + f"{n:012d}-{uuid.uuid4().hex}".encode() + b"\n"
    tail = b"\n%%EOF\n"
    return head + base[: MB - len(head) - len(tail)] + tail


def company(n: int) -> dict[str, Any]:
    first17 = f"913101{n:011d}"
    return {
        "kind": "organisation", "name": f"上海某某银行股份有限公司{n}", "id_doc_type": "uscc",
        "id_doc_number": first17 + uscc_check_char(first17), "mobile": f"136{n:08d}",
        "address": "上海市浦东新区银城中路8号", "legal_representative": "李四",
    }


def _expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()  # type: ignore[no-any-return]


async def file_one(client: httpx.AsyncClient, filer: Filer, institution_id: int, base: bytes,
                   n: int, via_documents: bool) -> int:
    """Upload one 1 MB evidence file and file one application with it; the new case's id."""
    pdf = pdf_of_1mb(base, n)
    body: dict[str, Any] = {
        "title": f"信用卡透支利息纠纷 {n}", "category": "financial_consumer",
        "claim_amount": f"{10000 + n}.50", "claims": "请求减免违约金并分期还款",
        "facts": "申请人使用信用卡透支后因失业无力按期还款，与银行协商未果。",
        "applicants": [filer.applicant], "respondents": [company(n)],
        "preferred_institution_id": institution_id,
        "notice_version": current_notice().version, "consent_to_online_mediation": True,
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    if via_documents:
        case = _expect(await client.post("/api/v1/cases/applications", json=body, headers=key),
                       201, "file")
        _expect(await client.post(
            f"/api/v1/cases/{case['id']}/documents", data={"title": "证据1", "kind": "evidence"},
            files={"file": (f"evidence-{n}.pdf", pdf, "application/pdf")}), 201, "evidence")
        return int(case["id"])
    blob = _expect(await client.post(
        "/api/v1/files", content=pdf,
        headers={"Content-Type": "application/pdf", "X-Filename": f"evidence-{n}.pdf"}),
        201, "upload")
    body["evidence_sha256s"] = [blob["sha256"]]
    case = _expect(await client.post("/api/v1/cases/applications", json=body, headers=key),
                   201, "file")
    return int(case["id"])


async def filing_load(base_url: str, filers: list[Filer], institution_id: int, *,
                      warmup: float, seconds: float, via_documents: bool) -> tuple[Tally, float]:
    """Every filer files back to back; returns the measured tally and its wall time."""
    base = os.urandom(MB)
    counter = iter(range(1, 10**9))
    tally = Tally()
    measuring = asyncio.Event()
    stop = asyncio.Event()

    async def worker(filer: Filer) -> None:
        headers = {"Cookie": f"odr_session={filer.token}", "X-CSRF-Token": filer.csrf}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                case_id = await file_one(client, filer, institution_id, base, next(counter),
                                         via_documents)
                if measuring.is_set() and not stop.is_set():
                    tally.latencies.append(time.perf_counter() - started)
                    tally.cases.append((case_id, filer))

    tasks = [asyncio.create_task(worker(f)) for f in filers]
    try:
        await asyncio.sleep(warmup)
        measuring.set()
        t0 = time.perf_counter()
        done, _ = await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_EXCEPTION)
        elapsed = time.perf_counter() - t0
        stop.set()
        for task in done:
            task.result()  # a failed filing fails the bench
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
    return tally, elapsed


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds per phase (CI)")
    parser.add_argument("--clients", type=int, help="concurrent filing clients")
    parser.add_argument("--seconds", type=float, help="measured filing seconds")
    parser.add_argument("--timeline-seconds", type=int, help="seconds of timeline reads")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections (timeline)")
    args = parser.parse_args(argv)
    clients = args.clients or (4 if args.smoke else 8)
    warmup = 1.0 if args.smoke else 3.0
    seconds = args.seconds or (3.0 if args.smoke else 20.0)
    timeline_seconds = args.timeline_seconds or (2 if args.smoke else 10)

    allowed = sorted(os.sched_getaffinity(0))
    cpus = (allowed[0], allowed[1] if len(allowed) > 1 else allowed[0])
    if len(allowed) < 2:
        print("warning: one CPU only; server, clients and PostgreSQL share it", file=sys.stderr)
    via_documents = _served(DOCUMENTS_ROUTE)
    timeline_served = _served(TIMELINE_ROUTE)

    pg = start_postgres()
    var_dir = Path(tempfile.mkdtemp(prefix="odr-bench-app-"))
    secret = secrets.token_urlsafe(32)
    try:
        pin(pg.proc.pid, cpus[1])
        os.sched_setaffinity(0, {cpus[1]})  # the filing clients
        pg.psql("CREATE DATABASE odr_bench")
        db_url = pg.url("odr_bench")
        migrations.upgrade(db_url)
        filers, institution_id = asyncio.run(seed(db_url, secret, clients))
        app_env = {
            "ODR_ENVIRONMENT": "production",
            "ODR_DATABASE_URL": db_url,
            "ODR_SECRET_KEY": secret,
            "ODR_COOKIE_SECURE": "true",  # production insists; the clients send the cookie
            "ODR_NOTIFY_CHANNELS": '["database"]',
            "ODR_LOG_LEVEL": "WARNING",
            "ODR_VAR_DIR": str(var_dir),
            "ODR_FRONTEND_DIST": str(var_dir / "no-frontend"),
        }
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        evidence_path = ("application, then POST /api/v1/cases/{id}/documents" if via_documents
                         else "POST /api/v1/files, then the application naming its sha256")
        print(f"{clients} filing clients, {warmup:.0f} s warm-up then {seconds:.0f} s measured; "
              f"evidence via {evidence_path}; server on cpu{cpus[0]}, PostgreSQL and clients "
              f"on cpu{cpus[1]}", flush=True)
        with pinned_uvicorn("odr.app:asgi", port=port, cpu=cpus[0], env=app_env,
                            factory=True) as proc:
            wait_for_json(f"{base_url}/api/v1/cases", filers[0].token, proc)
            tally, elapsed = asyncio.run(filing_load(
                base_url, filers, institution_id, warmup=warmup, seconds=seconds,
                via_documents=via_documents))
            if not tally.latencies:
                raise BenchError("no application completed in the measured time")
            rate = len(tally.latencies) / elapsed
            ms = [x * 1000 for x in tally.latencies]
            print(f"applications: {len(ms)} in {elapsed:.1f} s = {rate:.1f}/s (1 MB evidence "
                  f"each); per application p50 {statistics.median(ms):.1f} ms, "
                  f"p99 {_quantile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms", flush=True)

            case_id, owner = tally.cases[0]
            asyncio.run(add_events(db_url, secret, case_id, TIMELINE_EVENTS))
            pg.psql("ANALYZE", database="odr_bench")
            if timeline_served:
                path = f"/api/v1/cases/{case_id}/timeline?limit={TIMELINE_EVENTS}"
            else:
                path = f"/api/v1/cases/{case_id}"
                print("note: no timeline route is served; measuring the case detail instead",
                      flush=True)
            body = json.loads(wait_for_json(base_url + path, owner.token, proc))
            if timeline_served and len(body["items"]) < TIMELINE_EVENTS * 0.8:
                raise BenchError(f"the timeline shows {len(body['items'])} events, expected ~500")
            run_wrk(base_url + path, owner.token, seconds=1, connections=args.connections,
                    cpu=cpus[1])  # warm-up
            result = merge([run_wrk(base_url + path, owner.token, seconds=timeline_seconds,
                                    connections=args.connections, cpu=cpus[1])])
            print(f"timeline of {TIMELINE_EVENTS} events ({path}): {result.rps:.1f} req/s with "
                  f"{args.connections} connections; p50 {result.p50_ms:.2f} ms, "
                  f"p99 {result.p99_ms:.2f} ms, max {result.max_ms:.2f} ms", flush=True)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        pg.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    print(json.dumps({
        "bench": "intake",
        "applications_per_s": round(rate, 2),
        "timeline_p99_ms": round(result.p99_ms, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
