"""Caucus (背靠背): the host moves seats into a private caucus and back; nothing leaks out (L11)."""

from __future__ import annotations

from odr.meetings.models import AttendanceKind
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import attendance, join, let_in, make_room, seat_row


async def test_caucus_chat_and_roster_reach_only_the_caucus_and_everyone_returns_L11(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, roles=["party", "party"])
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        ack = await b.call("caucus.open", {"seat_ids": [b_seat.seat_id]})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # a party cannot
        ack = await host.call("caucus.open", {"seat_ids": [room.host.seat_id, a_seat.seat_id]})
        assert ack["ok"], ack
        caucus_id = ack["caucus_id"]
        roster = await a.latest("roster", lambda r: {s["seat_id"] for s in r["seats"]}
                                == {room.host.seat_id, a_seat.seat_id})
        assert all(s["caucus_id"] == caucus_id for s in roster["seats"])
        assert (await seat_row(services, a_seat.seat_id)).caucus_id == caucus_id
        ack = await host.call("caucus.open", {"seat_ids": [a_seat.seat_id]})
        assert ack["ok"] is False and ack["error"]["code"] == "conflict"

        assert (await a.call("chat.send", {"text": "我方底线是五万"}))["ok"]
        assert (await host.wait("chat"))["text"] == "我方底线是五万"
        assert (await b.call("chat.send", {"text": "我在主会场"}))["ok"]
        assert (await b.wait("chat"))["text"] == "我在主会场"  # b's own room is the main room
        # b received its own later message, so anything sent to it before is there: nothing of the caucus
        assert [c["text"] for c in b.received("chat")] == ["我在主会场"]
        assert "我在主会场" not in [c["text"] for c in a.received("chat") + host.received("chat")]

        assert (await host.call("caucus.close", {"caucus_id": caucus_id}))["ok"]
        await a.latest("roster", lambda r: len(r["seats"]) == 3)
        assert (await a.call("chat.send", {"text": "回到主会场"}))["ok"]
        assert (await b.wait("chat", where=lambda c: c["text"] == "回到主会场"))["caucus_id"] is None
        kinds = [e.kind for e in await attendance(services, a_seat.seat_id)]
        assert kinds[-2:] == [AttendanceKind.MOVED_TO_CAUCUS, AttendanceKind.RETURNED_FROM_CAUCUS]
        assert AttendanceKind.MOVED_TO_CAUCUS not in [e.kind for e in await attendance(services, b_seat.seat_id)]
        ack = await host.call("caucus.close", {"caucus_id": caucus_id})
        assert ack["ok"] is False and ack["error"]["code"] == "conflict"
    finally:
        for client in (a, b, host):
            await client.close()
