"""Live events raised outside the web process, relayed to socket.io rooms through the database.

A Celery worker cannot emit to browsers through the embedded broker (kombu's
SQLAlchemy transport has no fan-out), so it writes a ``LiveEvent`` row in its
unit of work (``publish_live_event``) and every web process runs a
``LiveEventRelay`` that polls for rows newer than its cursor and emits them
to its own connected clients. The row commits with the change it announces,
so an event is never shown for a change that rolled back.

With Redis (``odr.realtime``), a web process or worker that has a socket.io
manager installs it with ``emit_live_events_directly``: its events then skip
the table and go straight into the Redis pub/sub every web process listens on
(a worker through a write-only ``AsyncRedisManager``), once the transaction
commits. Any other process (a CLI command) still writes rows; each web
process's relay emits those to its own clients only, so every event reaches
each client once on either deployment.

Ids are the relay's cursor. On SQLite writers are serialized, so ids commit
in order. On PostgreSQL a transaction can commit a lower id after a higher
one is already visible; the relay keeps such a gap open for
``gap_grace_seconds`` and emits the late row when it appears (a gap that
never fills is a rolled-back insert or a sequence value never used).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select

from odr.clock import Clock
from odr.db.uow import UnitOfWork
from odr.outbox.models import LiveEvent
from odr.services import Services

log = logging.getLogger(__name__)

MAX_OPEN_GAPS = 10_000

Emit = Callable[[str, str, dict[str, Any]], Awaitable[None]]

_direct_emit: Emit | None = None


def emit_live_events_directly(emit: Emit | None) -> Emit | None:
    """Send this process's live events with ``emit`` after commit, instead of as rows.

    Installed by ``odr.realtime`` when Redis is configured (``None`` puts the
    table back); returns the emitter it replaces.
    """
    global _direct_emit
    previous, _direct_emit = _direct_emit, emit
    return previous


async def publish_live_event(
    uow: UnitOfWork, clock: Clock, room: str, event: str, payload: dict[str, Any]
) -> LiveEvent | None:
    """Announce an event for ``room``, delivered only if the transaction commits.

    Returns the row web processes relay, or ``None`` when this process emits
    directly (``emit_live_events_directly``).
    """
    emit = _direct_emit
    if emit is not None:
        uow.after_commit(functools.partial(emit, room, event, payload))
        return None
    row = LiveEvent(room=room, event=event, payload=payload, created_at=clock.now())
    uow.session.add(row)
    await uow.session.flush()
    return row


async def prune_live_events(services: Services, older_than: timedelta) -> int:
    """Delete events older than ``older_than`` (a beat task; relays only need recent rows)."""
    cutoff = services.clock.now() - older_than
    async with services.db.uow() as uow:
        result = await uow.session.execute(delete(LiveEvent).where(LiveEvent.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


class LiveEventRelay:
    """A web-process background task emitting new ``LiveEvent`` rows.

    ``await relay.start()`` sets the cursor to the newest existing row (older
    events are not replayed to clients that connect now) and starts polling;
    ``await relay.stop()`` cancels the task and waits for it.
    """

    def __init__(
        self,
        services: Services,
        emit: Emit,
        *,
        interval: float = 0.5,
        batch: int = 500,
        gap_grace_seconds: float = 10.0,
    ) -> None:
        self.services = services
        self.emit = emit
        self.interval = interval
        self.batch = batch
        self.gap_grace_seconds = gap_grace_seconds
        self.cursor = 0  # the highest id emitted
        self._gaps: dict[int, float] = {}  # missing id -> monotonic time first noticed
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Skip existing events, then poll every ``interval`` seconds until ``stop``."""
        if self._task is not None:
            return
        await self.prime()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="live-event-relay")

    async def prime(self) -> None:
        """Set the cursor to the newest existing event: only later ones will be emitted."""
        async with self.services.db.reader() as uow:
            newest = (await uow.session.execute(select(func.max(LiveEvent.id)))).scalar()
        self.cursor = int(newest or 0)
        self._gaps.clear()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def __aenter__(self) -> LiveEventRelay:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unavailable: keep relaying
                log.exception("live event relay poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def poll_once(self) -> int:
        """Emit rows above the cursor, and late rows filling a gap; returns how many."""
        self._expire_gaps()
        condition = LiveEvent.id > self.cursor
        if self._gaps:
            condition = or_(condition, LiveEvent.id.in_(list(self._gaps)))
        async with self.services.db.reader() as uow:
            rows = (
                await uow.session.execute(
                    select(LiveEvent.id, LiveEvent.room, LiveEvent.event, LiveEvent.payload)
                    .where(condition)
                    .order_by(LiveEvent.id)
                    .limit(self.batch)
                )
            ).all()
        now = time.monotonic()
        for event_id, room, event, payload in rows:
            if self._gaps.pop(event_id, None) is None:
                for missing in range(self.cursor + 1, event_id):
                    if len(self._gaps) < MAX_OPEN_GAPS:
                        self._gaps[missing] = now
                self.cursor = event_id
            try:
                await self.emit(room, event, payload)
            except Exception:  # one bad emit must not stop the others
                log.exception("emitting live event %s (%s to %s) failed", event_id, event, room)
        return len(rows)

    def _expire_gaps(self) -> None:
        now = time.monotonic()
        for missing, noticed in list(self._gaps.items()):
            if now - noticed >= self.gap_grace_seconds:
                del self._gaps[missing]
