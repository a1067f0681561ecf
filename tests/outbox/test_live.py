"""Live events written in a unit of work reach the web process's emit callback."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from odr.clock import ManualClock
from odr.outbox.live import LiveEventRelay, prune_live_events, publish_live_event
from odr.outbox.models import LiveEvent
from odr.services import Services

Emitted = tuple[str, str, dict[str, Any]]


class Sink:
    def __init__(self) -> None:
        self.items: list[Emitted] = []
        self.changed = asyncio.Event()

    async def __call__(self, room: str, event: str, payload: dict[str, Any]) -> None:
        self.items.append((room, event, payload))
        self.changed.set()

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self.changed.clear()
                await self.changed.wait()


async def publish(services: Services, room: str, event: str, **payload: Any) -> int:
    async with services.db.uow() as uow:
        row = await publish_live_event(uow, services.clock, room, event, payload)
    return row.id


async def test_relay_emits_events_committed_after_start_and_not_earlier_ones(
    services: Services,
) -> None:
    await publish(services, "meeting:1", "recording.started", segment=1)  # before start
    sink = Sink()
    relay = LiveEventRelay(services, sink, interval=0.05)
    await relay.start()
    try:
        with pytest.raises(RuntimeError):  # rolled back: never shown
            async with services.db.uow() as uow:
                await publish_live_event(uow, services.clock, "meeting:1", "phantom", {})
                raise RuntimeError("the change failed")
        await publish(services, "meeting:1", "recording.segment_closed", segment=2)
        await publish(services, "case:9", "case.updated", state="accepted")

        await sink.wait_for(2)

        assert sink.items == [
            ("meeting:1", "recording.segment_closed", {"segment": 2}),
            ("case:9", "case.updated", {"state": "accepted"}),
        ]
    finally:
        await relay.stop()
    assert not relay.running


async def test_event_committed_late_with_a_lower_id_is_still_emitted(services: Services) -> None:
    """On PostgreSQL a transaction can commit id n after id n+1 is visible."""
    sink = Sink()
    relay = LiveEventRelay(services, sink, gap_grace_seconds=60)
    await relay.prime()
    base = relay.cursor

    async def insert(event_id: int, event: str) -> None:
        async with services.db.uow() as uow:
            uow.session.add(LiveEvent(id=event_id, room="r", event=event, payload={},
                                      created_at=services.clock.now()))

    await insert(base + 2, "second")
    assert await relay.poll_once() == 1
    await insert(base + 1, "first, committed late")
    assert await relay.poll_once() == 1
    assert await relay.poll_once() == 0

    assert [e for _, e, _ in sink.items] == ["second", "first, committed late"]


async def test_a_gap_is_given_up_after_its_grace_period(services: Services) -> None:
    """A gap that does not fill in time is a rolled-back insert: the relay stops waiting."""
    sink = Sink()
    relay = LiveEventRelay(services, sink, gap_grace_seconds=0)
    await relay.prime()
    base = relay.cursor
    for event_id, event in ((base + 3, "third"), (base + 1, "too late")):
        async with services.db.uow() as uow:
            uow.session.add(LiveEvent(id=event_id, room="r", event=event, payload={},
                                      created_at=services.clock.now()))
        await relay.poll_once()

    assert [e for _, e, _ in sink.items] == ["third"]


async def test_prune_deletes_only_old_events(services: Services, clock: ManualClock) -> None:
    await publish(services, "r", "old")
    clock.advance(minutes=20)
    await publish(services, "r", "new")

    deleted = await prune_live_events(services, timedelta(minutes=10))

    async with services.db.reader() as uow:
        left = (await uow.session.execute(select(LiveEvent.event))).scalars().all()
        total = (await uow.session.execute(select(func.count(LiveEvent.id)))).scalar()
    assert deleted == 1
    assert (left, total) == (["new"], 1)
