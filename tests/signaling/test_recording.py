"""Recording consent in the room (L12, L32): consents, refusal, the indicator, what the node records."""

from __future__ import annotations

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.node_client import latest_routes, start_node
from tests.signaling.support import join, let_in, make_room, meeting_row


async def test_a_mediation_records_only_with_everyones_consent_and_shows_it_to_all_L12(
    live_server: LiveServer, services: Services
) -> None:
    node = await start_node(live_server.url, services)
    room = await make_room(services, roles=["party", "party", "witness"])
    a_seat, b_seat, w_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    w = await join(live_server.url, services, room, w_seat)  # a guest, waiting in the lobby
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        assert (await a.call("recording.consent", {"consent": True}))["ok"]
        assert (await b.call("recording.consent", {"consent": True}))["ok"]
        ack = await host.call("recording.control", {"action": "start"})
        assert ack["ok"] is False and ack["error"]["code"] == "consent_missing"  # the guest too
        ack = await w.call("recording.consent", {"consent": True})  # answered from the lobby
        assert ack == {"ok": True, "state": "off", "written_record_required": True}
        ack = await a.call("recording.control", {"action": "start"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # only the host
        ack = await host.call("recording.control", {"action": "start"})
        assert ack["ok"] and ack["state"] == "on"
        assert sorted(ack["recording"]) == sorted([room.host.seat_id, a_seat.seat_id, b_seat.seat_id])
        for client in (host, a, b, w):  # the indicator, lobby included
            on = await client.wait("recording", where=lambda r: r["state"] == "on")
            assert on["written_record_required"] is False
        await latest_routes(node, room.meeting_id, lambda r: len(r["recording"]) == 3)
        assert (await host.call("recording.control", {"action": "pause"}))["state"] == "paused"
        await latest_routes(node, room.meeting_id, lambda r: r["recording"] == [])
        assert (await host.call("recording.control", {"action": "resume"}))["state"] == "on"
    finally:
        for client in (a, b, w, host, node):
            await client.close()


async def test_one_refusal_stops_the_recording_and_makes_the_written_record_mandatory_L12(
    live_server: LiveServer, services: Services
) -> None:
    node = await start_node(live_server.url, services)
    room = await make_room(services, roles=["party", "party"])
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        assert (await a.call("recording.consent", {"consent": True}))["ok"]
        ack = await b.call("recording.consent", {"consent": False})
        assert ack == {"ok": True, "state": "refused", "written_record_required": True}
        for client in (host, a, b):
            told = await client.wait("recording", where=lambda r: r["state"] == "refused")
            assert told["written_record_required"] is True
            assert told["consents"] == {str(room.host.seat_id): None, str(a_seat.seat_id): True,
                                        str(b_seat.seat_id): False}
        ack = await host.call("recording.control", {"action": "start"})
        assert ack["ok"] is False and ack["error"]["code"] == "recording_refused"
        routes = await latest_routes(node, room.meeting_id, lambda r: True)
        assert routes["recording"] == []
        assert (await meeting_row(services, room.meeting_id)).recording_state == "refused"
        async with services.db.reader() as uow:
            actions = (await uow.session.execute(select(AuditEntry.action))).scalars().all()
        assert "meeting.recording.refused" in actions
    finally:
        for client in (a, b, host, node):
            await client.close()


async def test_a_hearing_records_once_everyone_acknowledged_the_notice_L32(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, kind="hearing", roles=["party", "party"])
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        ack = await a.call("recording.consent", {"consent": False})
        assert ack["ok"] is False and ack["error"]["code"] == "hearing_recorded"
        assert (await a.call("recording.consent", {"consent": True}))["state"] == "off"
        assert (await b.call("recording.consent", {"consent": True}))["state"] == "on"
        told = await host.wait("recording", where=lambda r: r["state"] == "on")
        assert told["written_record_required"] is True  # the clerk's transcript stays (L32)
        assert (await host.call("recording.control", {"action": "pause"}))["state"] == "paused"
    finally:
        for client in (a, b, host):
            await client.close()
