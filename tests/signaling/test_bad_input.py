"""Malformed, oversized and unknown messages and floods: an ``error`` to the sender, the room unaffected."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from odr.meetings.models import ChatMessage
from odr.services import Services
from signaling.protocol import MAX_CHAT_CHARS, NAMESPACE
from tests.conftest import LiveServer
from tests.signaling.support import RoomClient, join, let_in, make_room, seat_row


async def chat_count(services: Services) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(ChatMessage))).scalar_one())


async def admitted_pair(live_server: LiveServer, services: Services) -> tuple[RoomClient, RoomClient, int]:
    room = await make_room(services, roles=["party"])
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    p = await join(live_server.url, services, room, seat)
    await let_in(services, host, p, seat)
    return host, p, seat.seat_id


async def test_malformed_oversized_and_unknown_messages_get_an_error_and_reach_nobody(
    live_server: LiveServer, services: Services
) -> None:
    host, p, seat_id = await admitted_pair(live_server, services)
    try:
        cases = [
            ("chat.send", {"text": "x", "admin": True}, "invalid_message"),
            ("chat.send", {"text": 12}, "invalid_message"),
            ("chat.send", "just a string", "invalid_message"),
            ("chat.send", {"text": "长" * (MAX_CHAT_CHARS + 1)}, "invalid_message"),
            ("chat.send", {"text": "   "}, "invalid_message"),
            ("moderation.mute", {"seat_id": "everyone", "kind": "audio", "muted": True}, "invalid_message"),
            ("lobby.deny", {"seat_id": seat_id, "reason": "r" * 600}, "invalid_message"),
            ("entry.code", {"code": "12ab56"}, "invalid_message"),
            ("no.such.event", {}, "unknown_event"),
            ("moderation.mute", {"seat_id": 999_999, "kind": "audio", "muted": True}, "not_found"),
        ]
        for event, data, code in cases:
            ack = await p.call(event, data) if event != "moderation.mute" else await host.call(event, data)
            assert ack["ok"] is False and ack["error"]["code"] == code, (event, ack)
            assert "长长长" not in ack["error"]["message"]  # the input is never echoed back
        errors = p.received("error")
        assert {e["code"] for e in errors} >= {"invalid_message", "unknown_event"}
        assert all(e["event"] for e in errors)
        assert await chat_count(services) == 0
        # the room is unaffected: the next message goes through, and it is the first the host sees
        assert (await p.call("chat.send", {"text": "still here"}))["ok"]
        assert (await host.wait("chat"))["text"] == "still here"
        assert host.received("chat") == [host.received("chat")[0]]
        assert (await seat_row(services, seat_id)).state == "admitted"
    finally:
        await p.close()
        await host.close()


async def test_an_oversized_frame_costs_only_the_sender_its_connection(
    live_server: LiveServer, services: Services
) -> None:
    host, p, _seat_id = await admitted_pair(live_server, services)
    try:
        await p.sio.emit("chat.send", {"text": "x" * 2_000_000}, namespace=NAMESPACE)
        await p.wait_disconnected(timeout=10)
        assert (await host.call("chat.send", {"text": "the room goes on"}))["ok"]
        assert (await host.wait("chat"))["text"] == "the room goes on"
        assert await chat_count(services) == 1
    finally:
        await p.close()
        await host.close()


async def test_a_flood_of_events_is_rate_limited_and_the_room_goes_on(
    live_server: LiveServer, services: Services
) -> None:
    host, p, _seat_id = await admitted_pair(live_server, services)
    try:
        burst = services.settings.room_event_burst
        acks = await asyncio.gather(*(
            p.call("hand.raise", {"raised": i % 2 == 0}, timeout=20) for i in range(burst * 3)
        ))
        limited = [a for a in acks if not a["ok"] and a["error"]["code"] == "rate_limited"]
        assert limited, "a flood must hit the rate limit"
        assert sum(1 for a in acks if a["ok"]) <= burst + services.settings.room_events_per_second * 20
        assert any(e["code"] == "rate_limited" for e in p.received("error"))
        assert (await host.call("chat.send", {"text": "order"}))["ok"]
        assert (await host.wait("chat"))["text"] == "order"
    finally:
        await p.close()
        await host.close()


async def test_a_person_cannot_send_media_node_events(live_server: LiveServer, services: Services) -> None:
    """Node events are for media node connections (their own credential), never for a person."""
    room = await make_room(services, roles=[])
    host = await join(live_server.url, services, room, room.host)
    try:
        ack = await host.call("node.heartbeat", {"rooms": 1, "streams": 1, "cpu_load": 0.1})
        assert ack["ok"] is False and ack["error"]["code"] in ("forbidden", "unknown_event")
    finally:
        await host.close()
