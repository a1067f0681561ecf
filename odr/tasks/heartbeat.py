"""Worker and beat heartbeats: a row per process, refreshed from a background thread.

``/healthz`` (``odr.http.health``) calls the platform healthy only when some
worker's ``last_seen_at`` is recent, so health says "a worker can run work",
not merely "the broker answers".

The thread owns its own event loop and a one-connection engine, so it never
shares a connection with the process's tasks and keeps beating while a task
runs. A clean stop deletes the row; a killed process's row simply goes stale.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from odr.clock import Clock, SystemClock
from odr.db.engine import dispose_after_fork, make_engine
from odr.db.uow import Database
from odr.outbox.models import WorkerHeartbeat
from odr.services import Services

log = logging.getLogger(__name__)


def process_id() -> str:
    """``hostname:pid``: the worker id used for heartbeats and outbox leases."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def beat_once(
    db: Database, clock: Clock, worker_id: str, kind: str, info: dict[str, Any], *, first: bool
) -> None:
    now = clock.now()
    async with db.uow() as uow:
        row = await uow.session.get(WorkerHeartbeat, worker_id)
        if row is None:
            uow.session.add(
                WorkerHeartbeat(
                    worker_id=worker_id, kind=kind, started_at=now, last_seen_at=now, info=info
                )
            )
            return
        if first:  # a recycled pid: this is a new process
            row.started_at = now
        row.kind = kind
        row.last_seen_at = now
        row.info = info


async def forget(db: Database, worker_id: str) -> None:
    async with db.uow() as uow:
        await uow.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


async def prune_heartbeats(services: Services, older_than: timedelta) -> int:
    """Delete rows of processes not seen for ``older_than`` (killed ones never delete theirs)."""
    cutoff = services.clock.now() - older_than
    async with services.db.uow() as uow:
        result = await uow.session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen_at < cutoff)
        )
    return int(getattr(result, "rowcount", 0) or 0)


class HeartbeatThread:
    """Beats every ``interval`` seconds for this process until ``stop``."""

    def __init__(
        self,
        database_url: str,
        *,
        kind: str,
        interval: float,
        info: dict[str, Any] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.database_url = database_url
        self.kind = kind
        self.interval = interval
        self.info = dict(info or {})
        self.clock = clock or SystemClock()
        self.worker_id = process_id()
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._db: Database | None = None
        self._forget_on_stop = True

    def start(self) -> None:
        if self._thread is not None:
            return
        self._db = Database(self.database_url, engine=make_engine(self.database_url, pool_size=1))
        self._thread = threading.Thread(
            target=self._run, name=f"odr-heartbeat-{self.kind}", daemon=True
        )
        self._thread.start()

    def stop(self, *, forget_row: bool = True, timeout: float = 10.0) -> None:
        """Stop beating; with ``forget_row`` delete the row so health drops at once."""
        if self._thread is None or os.getpid() != self._pid:
            return
        self._forget_on_stop = forget_row
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def discard_after_fork(self) -> None:
        """In a forked child: drop the parent's pooled connections, never use them."""
        if os.getpid() != self._pid and self._db is not None:
            dispose_after_fork(self._db.engine)
            self._db = None
            self._thread = None

    def _run(self) -> None:
        assert self._db is not None
        db = self._db
        loop = asyncio.new_event_loop()
        first = True
        try:
            while True:
                try:
                    loop.run_until_complete(
                        beat_once(db, self.clock, self.worker_id, self.kind, self.info, first=first)
                    )
                    first = False
                except Exception:  # the database may be down for a moment: keep trying
                    log.exception("heartbeat %s failed", self.worker_id)
                if self._stop.wait(self.interval):
                    break
            if self._forget_on_stop:
                try:
                    loop.run_until_complete(forget(db, self.worker_id))
                except Exception:
                    log.exception("removing heartbeat %s failed", self.worker_id)
        finally:
            loop.run_until_complete(db.dispose())
            loop.close()
