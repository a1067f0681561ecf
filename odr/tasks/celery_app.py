"""The Celery app: built from settings by ``make_celery``; Celery only wakes outbox drains.

Embedded default: kombu's SQLAlchemy transport on a SQLite file under
``var/`` (no server to run). Scaled: Redis (``ODR_REDIS_URL``). Either way a
broker message is only a nudge: the work itself is in the outbox table,
drained by ``odr.drain_outbox``, which beat also sends every
``outbox_drain_interval_seconds`` so a lost nudge (the SQLAlchemy transport
loses unacknowledged messages when a worker is killed) only delays work.

Tasks:

- ``odr.drain_outbox``: drain until no due message is left;
- ``odr.anchor_audit``: anchor the audit chain's head outside the database;
- ``odr.prune``: delete old live events and heartbeats of long-gone processes.
- ``odr.sweep_deadlines``: every minute, remind before case deadlines and apply the
  consequence of each missed one (``odr.cases.deadlines.sweep``).
- ``signaling.sweep_media_nodes``: every heartbeat period, mark silent media nodes dead and
  move their rooms to a live node (``signaling.nodes``).
- ``odr.meetings.remind``: every minute, remind seat holders 24 h and 1 h before a meeting
  (``odr.meetings.reminders``).
- ``odr.expire_dropped_seats``: every 15 s, release room seats whose connection dropped and
  did not come back within ``room_reconnect_grace_seconds`` (``signaling.connection``).
- ``agreements.performance.remind``: every minute, remind obligors
  ``performance_reminder_days`` before an agreed term falls due and both sides on the
  due date (``agreements.performance.reminders``).
- ``mediators.batch_assign``: daily, assign every case still waiting for a mediator at
  once (``mediators.batch``); reassignments after a decline run as outbox work.

Each worker process builds its own ``Services`` after fork (``WorkerRuntime``)
and the worker's main process and beat write heartbeats (``HeartbeatThread``).

``celery -A odr.tasks.celery_app worker`` finds ``app``, built from
``Settings()`` only when that attribute is first read (an entry point);
importing this module builds nothing.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import time
from datetime import timedelta
from typing import Any

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Exchange, Queue

from odr.outbox.drain import drain_until_empty
from odr.outbox.live import prune_live_events
from odr.scrub import scrub_expired_codes, scrub_sent_query_passwords, scrub_spent_invitation_links
from odr.services import Services
from odr.settings import Settings
from odr.tasks.heartbeat import HeartbeatThread, process_id, prune_heartbeats
from odr.tasks.runtime import WorkerRuntime

log = logging.getLogger(__name__)

DRAIN_TASK = "odr.drain_outbox"
ANCHOR_TASK = "odr.anchor_audit"
PRUNE_TASK = "odr.prune"
DEADLINES_TASK = "odr.sweep_deadlines"
DEADLINE_SWEEP_SECONDS = 60.0
ROOM_SEATS_TASK = "odr.expire_dropped_seats"
ROOM_SEATS_SWEEP_SECONDS = 15.0
MEETING_REMINDERS_TASK = "odr.meetings.remind"
MEDIA_NODES_TASK = "signaling.sweep_media_nodes"
MEETING_REMINDERS_SECONDS = 60.0
BATCH_ASSIGN_TASK = "mediators.batch_assign"
PERFORMANCE_TASK = "agreements.performance.remind"
PERFORMANCE_SWEEP_SECONDS = 60.0
QUEUE = "odr"

#: Modules that register outbox handlers; every worker imports them at start.
HANDLER_MODULES: tuple[str, ...] = (
    "odr.notify.service", "mediators.handlers", "odr.cases.ending.package",
    "odr.eservice.delivery",
    "agreements.signing.finish",  # issue 7: the effective agreement's signed PDF (L17)
    "odr.meetings.recordings.compose",  # issue 6: the meeting's playback file (L32)
)

HEARTBEAT_RETENTION = timedelta(days=1)
SQLITE_BROKER_BUSY_TIMEOUT_SECONDS = 30


class OdrCelery(Celery):
    """A Celery app that knows its settings and keeps its worker-process state."""

    settings: Settings
    runtime: WorkerRuntime
    is_worker: bool
    heartbeat: HeartbeatThread | None


def make_celery(settings: Settings) -> OdrCelery:
    app = OdrCelery("odr", set_as_current=False)
    app.settings = settings
    app.runtime = WorkerRuntime(settings)
    app.is_worker = False
    app.heartbeat = None
    app.conf.update(_config(settings))
    _register_tasks(app)
    _connect_signals(app)
    return app


def prepare_broker(app: Celery, attempts: int = 5) -> None:
    """Create the embedded broker's tables and queue row before processes use them.

    kombu's SQLAlchemy transport creates both lazily and does not survive two
    processes doing it at once on a fresh file (a unique-constraint error
    kills one of them), as ``serve`` starting web, worker and beat together
    would. Done here once, with a retry for the same race, nothing races
    later. Redis needs nothing.
    """
    if not app.conf.broker_url.startswith("sqla+"):
        return
    for attempt in range(1, attempts + 1):
        try:
            with app.connection_for_write() as connection:
                Queue(QUEUE, Exchange(QUEUE), routing_key=QUEUE)(connection.default_channel).declare()
            return
        except Exception:
            if attempt == attempts:
                raise
            log.info("embedded broker not ready (attempt %s), retrying", attempt, exc_info=True)
            time.sleep(0.2 * attempt)


def _config(settings: Settings) -> dict[str, Any]:
    drain_every = max(settings.outbox_drain_interval_seconds, 0.5)
    config: dict[str, Any] = {
        "broker_url": settings.celery_broker_url,
        "result_backend": settings.celery_result_backend,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,  # the outbox row is the record, not a result
        "task_default_queue": QUEUE,
        "timezone": "UTC",
        "enable_utc": True,
        "imports": (*HANDLER_MODULES, *settings.extra_task_modules),
        # Beat's schedule is a few fixed intervals: keep it in memory, no shelve file.
        "beat_scheduler": "celery.beat:Scheduler",
        "beat_schedule": {
            "drain-outbox": {
                "task": DRAIN_TASK,
                "schedule": drain_every,
                "options": {"expires": drain_every * 2},
            },
            "anchor-audit": {
                "task": ANCHOR_TASK,
                "schedule": float(settings.audit_anchor_interval_seconds),
                "options": {"expires": float(settings.audit_anchor_interval_seconds)},
            },
            "prune": {
                "task": PRUNE_TASK,
                "schedule": 60.0,
                "options": {"expires": 60.0},
            },
            "sweep-deadlines": {
                "task": DEADLINES_TASK,
                "schedule": DEADLINE_SWEEP_SECONDS,
                "options": {"expires": DEADLINE_SWEEP_SECONDS},
            },
            "sweep-media-nodes": {
                "task": MEDIA_NODES_TASK,
                "schedule": float(settings.media_node_heartbeat_seconds),
                "options": {"expires": float(settings.media_node_heartbeat_seconds)},
            },
            "remind-meetings": {
                "task": MEETING_REMINDERS_TASK,
                "schedule": MEETING_REMINDERS_SECONDS,
                "options": {"expires": MEETING_REMINDERS_SECONDS},
            },
            "expire-dropped-seats": {
                "task": ROOM_SEATS_TASK,
                "schedule": ROOM_SEATS_SWEEP_SECONDS,
                "options": {"expires": ROOM_SEATS_SWEEP_SECONDS},
            },
            "remind-performance": {
                "task": PERFORMANCE_TASK,
                "schedule": PERFORMANCE_SWEEP_SECONDS,
                "options": {"expires": PERFORMANCE_SWEEP_SECONDS},
            },
            **_batch_assign_schedule(settings),
        },
    }
    if not settings.redis_url:
        # kombu passes these to create_engine: wait for SQLite's lock instead of failing.
        config["broker_transport_options"] = {
            "connect_args": {"timeout": SQLITE_BROKER_BUSY_TIMEOUT_SECONDS}
        }
    return config


def _batch_assign_schedule(settings: Settings) -> dict[str, Any]:
    """The daily batch assignment (mediators.batch) at ``assignment_batch_hour`` Shanghai time."""
    if settings.assignment_batch_hour < 0:
        return {}
    utc_hour = (settings.assignment_batch_hour - 8) % 24  # Asia/Shanghai is UTC+8, no DST
    return {
        "batch-assign-mediators": {
            "task": BATCH_ASSIGN_TASK,
            "schedule": crontab(minute=0, hour=utc_hour),
            "options": {"expires": 3600.0},
        }
    }


def _register_tasks(app: OdrCelery) -> None:
    @app.task(name=DRAIN_TASK, shared=False)
    def drain_outbox() -> dict[str, int]:
        worker_id = process_id()

        async def work(services: Services) -> dict[str, int]:
            return dataclasses.asdict(await drain_until_empty(services, worker_id))

        stats = app.runtime.run(work)
        if stats["claimed"]:
            log.info("outbox drained: %s", stats)
        return stats

    @app.task(name=ANCHOR_TASK, shared=False)
    def anchor_audit() -> None:
        from odr.audit.anchor import anchor_head  # written by the audit part; import lazily

        async def work(services: Services) -> None:
            await anchor_head(
                services.db, services.clock, services.settings.resolved_audit_anchor_path
            )

        app.runtime.run(work)

    @app.task(name=PRUNE_TASK, shared=False)
    def prune() -> dict[str, int]:
        async def work(services: Services) -> dict[str, int]:
            retention = timedelta(seconds=services.settings.live_event_retention_seconds)
            return {
                "live_events": await prune_live_events(services, retention),
                "heartbeats": await prune_heartbeats(services, HEARTBEAT_RETENTION),
                "expired_codes": await scrub_expired_codes(services),
                "query_passwords": await scrub_sent_query_passwords(services),
                "invitation_links": await scrub_spent_invitation_links(services),
            }

        return app.runtime.run(work)

    @app.task(name=DEADLINES_TASK, shared=False)
    def sweep_deadlines() -> dict[str, int]:
        from odr.cases.deadlines.sweep import sweep_deadlines as sweep  # imports every case part

        async def work(services: Services) -> dict[str, int]:
            return dataclasses.asdict(await sweep(services))

        stats = app.runtime.run(work)
        if stats["missed"] or stats["reminded"] or stats["failed"]:
            log.info("deadlines swept: %s", stats)
        return stats

    @app.task(name=MEDIA_NODES_TASK, shared=False)
    def sweep_media_nodes() -> dict[str, int]:
        from signaling.nodes import sweep_media_nodes as sweep  # the live rooms part

        async def work(services: Services) -> dict[str, int]:
            return dataclasses.asdict(await sweep(services))

        stats = app.runtime.run(work)
        if any(stats.values()):
            log.info("media nodes swept: %s", stats)
        return stats

    @app.task(name=MEETING_REMINDERS_TASK, shared=False)
    def remind_meetings() -> int:
        from odr.meetings.reminders import remind_upcoming

        sent = app.runtime.run(remind_upcoming)
        if sent:
            log.info("meeting reminders sent: %s", sent)
        return sent

    @app.task(name=PERFORMANCE_TASK, shared=False)
    def remind_performance() -> dict[str, int]:
        from agreements.performance.reminders import sweep_performance  # issue 7

        async def work(services: Services) -> dict[str, int]:
            return dataclasses.asdict(await sweep_performance(services))

        stats = app.runtime.run(work)
        if any(stats.values()):
            log.info("performance reminders: %s", stats)
        return stats

    @app.task(name=ROOM_SEATS_TASK, shared=False)
    def expire_dropped_seats() -> int:
        from signaling.connection import expire_dropped_seats as expire  # the live rooms part

        released = app.runtime.run(expire)
        if released:
            log.info("dropped room seats released: %s", released)
        return released

    @app.task(name=BATCH_ASSIGN_TASK, shared=False)
    def batch_assign() -> dict[str, int]:
        from mediators.batch import run_batch  # the assignment part; imported where it runs
        from odr.cases.transitions import Who

        async def work(services: Services) -> dict[str, int]:
            report = await run_batch(services, institution_id=None,
                                     who=Who.system("daily batch assignment"))
            return {"cases": report.cases, "assigned": len(report.assigned),
                    "queued": len(report.queued)}

        stats = app.runtime.run(work)
        log.info("batch assignment: %s", stats)
        return stats


def _connect_signals(app: OdrCelery) -> None:
    """Worker and beat lifecycle. Receivers check the sender so other apps are unaffected."""
    settings = app.settings

    def on_worker_init(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        app.is_worker = True  # handler modules come from the ``imports`` setting

    def on_worker_ready(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        controller = getattr(sender, "controller", None)
        pool = getattr(getattr(controller, "pool_cls", None), "__module__", "").rsplit(".", 1)[-1]
        app.heartbeat = HeartbeatThread(
            settings.resolved_database_url,
            kind="worker",
            interval=settings.worker_heartbeat_seconds,
            info={
                "nodename": getattr(sender, "hostname", ""),
                "pool": pool,
                "concurrency": getattr(controller, "concurrency", None),
            },
        )
        app.heartbeat.start()
        try:  # catch up on work enqueued while no worker ran
            app.send_task(DRAIN_TASK, ignore_result=True)
        except Exception:
            log.exception("could not queue the start-up outbox drain")

    def on_worker_process_init(**_: Any) -> None:
        if not app.is_worker:
            return
        app.runtime.after_fork()
        if app.heartbeat is not None:
            app.heartbeat.discard_after_fork()

    def on_worker_process_shutdown(**_: Any) -> None:
        if app.is_worker:
            app.runtime.close()

    def on_worker_shutdown(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        if app.heartbeat is not None:
            app.heartbeat.stop()
        app.runtime.close()

    def on_beat_init(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        if app.heartbeat is not None:  # embedded beat forked from a worker
            app.heartbeat.discard_after_fork()
        app.runtime.after_fork()
        beat = HeartbeatThread(
            settings.resolved_database_url, kind="beat", interval=settings.worker_heartbeat_seconds
        )
        beat.start()
        atexit.register(beat.stop)

    signals.worker_init.connect(on_worker_init, weak=False)
    signals.worker_ready.connect(on_worker_ready, weak=False)
    signals.worker_process_init.connect(on_worker_process_init, weak=False)
    signals.worker_process_shutdown.connect(on_worker_process_shutdown, weak=False)
    signals.worker_shutdown.connect(on_worker_shutdown, weak=False)
    signals.beat_init.connect(on_beat_init, weak=False)


def __getattr__(name: str) -> Any:
    """``app`` for ``celery -A odr.tasks.celery_app``: built from the environment on first use."""
    if name == "app":
        built = make_celery(Settings())
        globals()["app"] = built
        return built
    raise AttributeError(name)
