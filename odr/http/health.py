"""``/healthz``: database, broker and worker status (workers by heartbeat)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from odr.http.api import endpoint, services_of
from odr.outbox.models import WorkerHeartbeat
from odr.policy import Actor, Permission
from odr.services import Services


class ComponentHealth(BaseModel):
    ok: bool
    detail: str = ""


class HealthOut(BaseModel):
    ok: bool
    database: ComponentHealth
    broker: ComponentHealth
    workers: ComponentHealth


async def check_database(services: Services) -> ComponentHealth:
    try:
        async with services.db.reader() as uow:
            await uow.session.execute(text("select 1"))
        return ComponentHealth(ok=True, detail="sqlite" if services.db.is_sqlite else "postgresql")
    except Exception as exc:  # health reports, it does not raise
        return ComponentHealth(ok=False, detail=f"{type(exc).__name__}: {exc}")


def _check_broker_sync(services: Services) -> ComponentHealth:
    settings = services.settings
    try:
        if settings.redis_url:
            import redis

            client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
            return ComponentHealth(ok=True, detail="redis")
        import sqlite3

        path = settings.celery_broker_url.split("sqlite:///", 1)[1]
        conn = sqlite3.connect(path, timeout=2)
        try:
            conn.execute("select 1")
        finally:
            conn.close()
        return ComponentHealth(ok=True, detail="embedded (sqlite)")
    except Exception as exc:
        return ComponentHealth(ok=False, detail=f"{type(exc).__name__}: {exc}")


async def check_workers(services: Services) -> ComponentHealth:
    cutoff = services.clock.now() - timedelta(seconds=services.settings.worker_stale_after_seconds)
    try:
        async with services.db.reader() as uow:
            rows = (await uow.session.execute(select(WorkerHeartbeat))).scalars().all()
    except Exception as exc:
        return ComponentHealth(ok=False, detail=f"{type(exc).__name__}: {exc}")
    live = [r for r in rows if r.kind == "worker" and r.last_seen_at >= cutoff]
    if not live:
        return ComponentHealth(ok=False, detail="no worker heartbeat in the last "
                               f"{services.settings.worker_stale_after_seconds}s")
    return ComponentHealth(ok=True, detail=f"{len(live)} worker(s) alive")


async def health_report(services: Services) -> HealthOut:
    database, workers = await asyncio.gather(check_database(services), check_workers(services))
    broker = await asyncio.to_thread(_check_broker_sync, services)
    return HealthOut(
        ok=database.ok and broker.ok and workers.ok, database=database, broker=broker,
        workers=workers,
    )


@endpoint(permission=Permission.PUBLIC_READ, resp=HealthOut, tags=("health",))
async def healthz(request: Request, actor: Actor) -> Response:
    """Database, broker and worker status; 503 when any is down."""
    report = await health_report(services_of(request))
    body: dict[str, Any] = report.model_dump()
    return JSONResponse(body, status_code=200 if report.ok else 503)
