"""Per-process state of a worker: one event loop and one ``Services``, built after fork.

Celery tasks are synchronous functions; odr's services are async. Each
worker process keeps one event loop and runs each task's coroutine on it, so
pooled connections (asyncpg) stay bound to the loop that opened them. A
forked child never uses what it inherited: ``after_fork`` drops the parent's
pooled connections without closing them (they belong to the parent) and the
child builds its own on first use.

With Redis, the process also gets a write-only socket.io manager
(``odr.realtime.WorkerLiveEmitter``): a task's live events go straight to the
rooms after its commit instead of through the database relay.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from odr.db.engine import dispose_after_fork
from odr.realtime import WorkerLiveEmitter
from odr.services import Services
from odr.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid = os.getpid()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._services: Services | None = None
        self._live: WorkerLiveEmitter | None = None

    def run(self, work: Callable[[Services], Awaitable[T]]) -> T:
        """Run ``work(services)`` to completion on this process's loop."""
        if os.getpid() != self._pid:
            self.after_fork()
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        if self._services is None:
            self._services = Services.build(self.settings)
            self._live = WorkerLiveEmitter(self.settings)
            self._live.install()
        services = self._services
        return self._loop.run_until_complete(_call(work, services))

    def after_fork(self) -> None:
        """Forget the parent's loop and connections (``worker_process_init``)."""
        if self._services is not None:
            dispose_after_fork(self._services.db.engine)
        if self._live is not None:
            self._live.forget()
        self._services = None
        self._live = None
        self._loop = None
        self._pid = os.getpid()

    def close(self) -> None:
        """Close this process's services and loop (``worker_process_shutdown``)."""
        if os.getpid() != self._pid:
            self.after_fork()
            return
        loop, services, live = self._loop, self._services, self._live
        self._loop, self._services, self._live = None, None, None
        if loop is None:
            if live is not None:
                live.forget()
            return
        try:
            if live is not None:
                loop.run_until_complete(live.close())
            if services is not None:
                loop.run_until_complete(services.close())
        except Exception:
            log.exception("closing worker services failed")
        finally:
            loop.close()


async def _call(work: Callable[[Services], Awaitable[T]], services: Services) -> T:
    return await work(services)
