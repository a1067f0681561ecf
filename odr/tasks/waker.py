"""Waking a worker after a commit that enqueued outbox work.

``install_waker(app)`` registers a waker with ``odr.outbox.service``: after a
unit of work that enqueued messages commits, it sends ``odr.drain_outbox``.
Sending talks to the broker (a SQLite write or a Redis round trip), so it
happens on one background thread, never on the event loop, and wake-ups that
arrive while one is waiting to be sent are merged into it. A broker that is
down never fails the request: the failure is logged and beat's periodic
drain picks the work up.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from celery import Celery

from odr.outbox.service import register_waker
from odr.tasks.celery_app import DRAIN_TASK

log = logging.getLogger(__name__)

PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class CeleryWaker:
    def __init__(self, app: Celery) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._queued = False
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="odr-waker")
        self.sent = 0
        self.failed = 0

    def __call__(self) -> None:
        with self._lock:
            if self._queued or self._closed:
                return
            self._queued = True
        self._executor.submit(self._send)

    def _send(self) -> None:
        with self._lock:
            self._queued = False  # a wake-up from now on needs a send after this one
        try:
            self.app.send_task(
                DRAIN_TASK, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
            self.sent += 1
        except Exception as exc:
            self.failed += 1
            log.warning(
                "could not wake the outbox drain (%s: %s); the periodic drain will catch up",
                type(exc).__name__, exc,
            )

    def flush(self, timeout: float | None = None) -> None:
        """Wait until wake-ups submitted so far are sent (tests, shutdown)."""
        self._executor.submit(lambda: None).result(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=True)


def install_waker(app: Celery) -> CeleryWaker:
    """Register a waker for ``app`` (web processes, and workers whose handlers enqueue)."""
    waker = CeleryWaker(app)
    register_waker(waker)
    return waker
