"""Chat is persisted and reaches only the sender's audience: the main room, or its caucus alone (L11)."""

from __future__ import annotations

from sqlalchemy import select

from odr.meetings.models import ChatMessage
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import join, let_in, make_room, reconnect_in_caucus


async def test_caucus_chat_never_reaches_the_other_side_L11(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    a_seat, b_seat = room.seats
    url = live_server.url
    host = await join(url, services, room, room.host)
    a = await join(url, services, room, a_seat)
    b = await join(url, services, room, b_seat)
    clients = [host, a, b]
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        # the host and the respondent go into a caucus (背靠背); the applicant stays in the main room
        host = clients[0] = await reconnect_in_caucus(services, url, host, room.host, "c1")
        b = clients[2] = await reconnect_in_caucus(services, url, b, b_seat, "c1")
        ack = await b.call("chat.send", {"text": "我方底线是五万"})
        assert ack["ok"] and isinstance(ack["id"], int)
        got = await host.wait("chat")
        assert got["text"] == "我方底线是五万" and got["caucus_id"] == "c1"
        assert got["seat_id"] == b_seat.seat_id
        await b.wait("chat")  # the sender gets its own message too
        await a.call("chat.send", {"text": "main room only"})
        assert (await a.wait("chat"))["text"] == "main room only"
        # barrier: a later caucus message arrives; the main room's message never did
        await host.call("chat.send", {"text": "caucus again"})
        assert (await b.wait("chat"))["text"] == "caucus again"
        assert [c["text"] for c in b.received("chat")] == ["我方底线是五万", "caucus again"]
        assert [c["text"] for c in host.received("chat")] == ["我方底线是五万", "caucus again"]
        assert [c["text"] for c in a.received("chat")] == ["main room only"]
        # rosters: the applicant sees the main room alone, the caucus sees itself
        roster = await a.latest("roster", lambda r: [s["seat_id"] for s in r["seats"]] == [a_seat.seat_id])
        assert all(s["caucus_id"] is None for s in roster["seats"])
        await b.latest("roster", lambda r: {s["seat_id"] for s in r["seats"]} == {
            room.host.seat_id, b_seat.seat_id})
        full = await host.latest("roster", lambda r: len(r["seats"]) == 3)
        assert {s["seat_id"]: s["caucus_id"] for s in full["seats"]} == {
            room.host.seat_id: "c1", a_seat.seat_id: None, b_seat.seat_id: "c1"}
        async with services.db.reader() as uow:
            rows = (await uow.session.execute(select(ChatMessage).order_by(ChatMessage.id))).scalars().all()
        assert [(r.body, r.caucus_id) for r in rows] == [
            ("我方底线是五万", "c1"), ("main room only", None), ("caucus again", "c1"),
        ]
    finally:
        for c in clients:
            await c.close()


async def test_observers_do_not_chat_and_hands_show_in_the_roster(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, roles=["party", "observer"])
    a_seat, o_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    o = await join(live_server.url, services, room, o_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, o, o_seat)
        ack = await o.call("chat.send", {"text": "hello"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
        assert (await a.call("hand.raise", {"raised": True})) == {"ok": True}
        roster = await host.latest("roster", lambda r: any(s["hand_raised"] for s in r["seats"]))
        assert [s["seat_id"] for s in roster["seats"] if s["hand_raised"]] == [a_seat.seat_id]
    finally:
        for c in (a, o, host):
            await c.close()
