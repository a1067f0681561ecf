"""Moderation rights per role, and what each control does to the room and the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.meetings.models import AttendanceKind
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import (
    attendance,
    join,
    let_in,
    make_room,
    meeting_row,
    refused,
    room_token,
    seat_row,
    wait_seat,
)


async def audit_actions(services: Services) -> list[str]:
    async with services.db.reader() as uow:
        return list((await uow.session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars())


async def test_a_guest_or_party_sending_host_controls_is_refused(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services, roles=["party", "witness"])
    p_seat, w_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    p = await join(live_server.url, services, room, p_seat)
    w = await join(live_server.url, services, room, w_seat)
    try:
        await let_in(services, host, p, p_seat)
        await w.call("entry.ack_warning", {})
        # a guest's entry code goes to the mobile the host entered; admit it as if checked
        from tests.signaling.support import set_seat

        await set_seat(services, w_seat.seat_id, entry_code_verified_at=services.clock.now())
        assert (await host.call("lobby.admit", {"seat_id": w_seat.seat_id}))["ok"]
        await w.wait("seat", where=lambda n: n["change"] == "admitted")
        controls: list[tuple[str, dict[str, Any]]] = [
            ("moderation.mute", {"seat_id": p_seat.seat_id, "kind": "audio", "muted": True}),
            ("moderation.remove", {"seat_id": p_seat.seat_id, "reason": "x"}),
            ("moderation.lock", {"locked": True}),
            ("moderation.delegate", {"seat_id": p_seat.seat_id, "controls": ["mute"]}),
            ("moderation.warn", {"seat_id": p_seat.seat_id, "reason": "x"}),
            ("moderation.grant_leave", {"seat_id": p_seat.seat_id}),
            ("lobby.return", {"seat_id": p_seat.seat_id}),
            ("meeting.end", {}),
        ]
        for client in (w, p):
            for event, data in controls:
                if data.get("seat_id") == p_seat.seat_id and client is p:
                    data = {**data, "seat_id": w_seat.seat_id}
                ack = await client.call(event, data)
                assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
        meeting = await meeting_row(services, room.meeting_id)
        assert meeting.status == "open" and not meeting.locked
        for seat in (p_seat, w_seat):
            row = await seat_row(services, seat.seat_id)
            assert row.state == "admitted" and not row.audio_muted_by_host and row.warned_at is None
        # the host's controls on itself are refused too
        ack = await host.call("moderation.remove", {"seat_id": room.host.seat_id, "reason": "x"})
        assert ack["ok"] is False
    finally:
        for c in (p, w, host):
            await c.close()


async def test_mute_and_the_request_to_unmute(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    p = await join(live_server.url, services, room, seat)
    try:
        await let_in(services, host, p, seat)
        assert (await host.call("moderation.mute", {"seat_id": seat.seat_id, "kind": "audio", "muted": True}))["ok"]
        notice = await p.wait("seat", where=lambda n: n["change"] == "muted")
        assert notice["reason"] == "audio" and notice["seat"]["audio_muted_by_host"] is True
        assert (await seat_row(services, seat.seat_id)).audio_muted_by_host
        ack = await host.call("moderation.mute", {"seat_id": seat.seat_id, "kind": "audio", "muted": False})
        assert ack["ok"]
        notice = await p.wait("seat", where=lambda n: n["change"] == "unmute_requested")
        assert notice["reason"] == "audio"
        assert not (await seat_row(services, seat.seat_id)).audio_muted_by_host
    finally:
        await p.close()
        await host.close()


async def test_co_host_holds_only_the_controls_the_host_delegated(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services, roles=["co_host", "party", "party"])
    c_seat, a_seat, b_seat = room.seats
    url = live_server.url
    host = await join(url, services, room, room.host)
    c = await join(url, services, room, c_seat)
    a = await join(url, services, room, a_seat)
    b = None
    try:
        await let_in(services, host, c, c_seat)
        await let_in(services, host, a, a_seat)
        mute = {"seat_id": a_seat.seat_id, "kind": "audio", "muted": True}
        assert (await c.call("moderation.mute", mute))["error"]["code"] == "forbidden"
        ack = await c.call("moderation.delegate", {"seat_id": a_seat.seat_id, "controls": ["mute"]})
        assert ack["error"]["code"] == "forbidden"  # only the host delegates
        ack = await host.call("moderation.delegate", {"seat_id": a_seat.seat_id, "controls": ["mute"]})
        assert ack["ok"] is False and ack["error"]["code"] == "conflict"  # a party holds no controls
        assert (await host.call("moderation.delegate", {"seat_id": c_seat.seat_id, "controls": ["mute"]}))["ok"]
        notice = await c.wait("seat", where=lambda n: n["change"] == "delegated")
        assert notice["controls"] == ["mute"]
        assert (await c.call("moderation.mute", mute)) == {"ok": True}
        assert (await c.call("moderation.lock", {"locked": True}))["error"]["code"] == "forbidden"
        b = await join(url, services, room, b_seat)
        from tests.signaling.support import pass_entry_checks

        await pass_entry_checks(services, b, b_seat)
        assert (await c.call("lobby.admit", {"seat_id": b_seat.seat_id}))["error"]["code"] == "forbidden"
        assert c.received("lobby") == []  # the lobby is for those who admit
        await host.call("moderation.delegate", {"seat_id": c_seat.seat_id, "controls": ["admit", "mute"]})
        await c.latest("lobby", lambda lob: [w["seat"]["seat_id"] for w in lob["waiting"]] == [b_seat.seat_id])
        assert (await c.call("lobby.admit", {"seat_id": b_seat.seat_id})) == {"ok": True}
        await b.wait("seat", where=lambda n: n["change"] == "admitted")
        actions = await audit_actions(services)
        assert actions.count("meeting.seat.delegated") == 2
    finally:
        for client in (a, c, host, *([b] if b else [])):
            await client.close()


async def test_removed_participant_is_disconnected_and_cannot_rejoin(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        assert (await host.call("moderation.remove", {"seat_id": b_seat.seat_id, "reason": "扰乱秩序"})) == {"ok": True}
        notice = await b.wait("seat", where=lambda n: n["change"] == "removed")
        assert notice["reason"] == "扰乱秩序"
        await b.wait_disconnected()
        await a.latest("roster", lambda r: [s["seat_id"] for s in r["seats"]] == [room.host.seat_id, a_seat.seat_id])
        refusal = await refused(live_server.url, {"token": room_token(services, room, b_seat)})
        assert refusal["data"]["code"] == "removed"
        refusal = await refused(live_server.url, {"resume_seat": b_seat.seat_id, "resume_key": b.joined["resume_key"]})
        assert refusal["data"]["code"] in ("invalid_resume", "removed")
        row = await seat_row(services, b_seat.seat_id)
        assert row.state == "removed" and not row.connected and row.dropped_at is None
        kinds = [e.kind for e in await attendance(services, b_seat.seat_id)]
        assert kinds[-1] == AttendanceKind.REMOVED and AttendanceKind.DROPPED not in kinds
        assert "meeting.seat.removed" in await audit_actions(services)
    finally:
        for c in (a, b, host):
            await c.close()


async def test_ending_the_meeting_tells_everyone_and_closes_every_connection(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)  # still in the lobby
    try:
        await let_in(services, host, a, a_seat)
        assert (await host.call("meeting.end", {})) == {"ok": True}
        for client in (host, a, b):
            ended = await client.wait("ended")
            assert ended["meeting_id"] == room.meeting_id
            await client.wait_disconnected()
        meeting = await meeting_row(services, room.meeting_id)
        assert meeting.status == "ended" and meeting.ended_at is not None
        for seat in (room.host, a_seat, b_seat):
            row = await wait_seat(services, seat.seat_id, lambda s: not s.connected)
            assert row.state == "left" and row.dropped_at is None
            kinds = [e.kind for e in await attendance(services, seat.seat_id)]
            assert kinds[-1] == AttendanceKind.LEFT and AttendanceKind.DROPPED not in kinds
    finally:
        for c in (a, b, host):
            await c.close()


async def test_hearing_departures_are_told_apart_L29(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services, kind="hearing", roles=["party", "party", "agent"])
    a_seat, b_seat, g_seat = room.seats
    url = live_server.url
    host = await join(url, services, room, room.host)
    a = await join(url, services, room, a_seat)
    b = await join(url, services, room, b_seat)
    g = await join(url, services, room, g_seat)
    try:
        assert a.joined["warning_required"] is False  # the sham-mediation warning is for mediations
        for client, seat in ((a, a_seat), (b, b_seat), (g, g_seat)):
            await let_in(services, host, client, seat)
        # a asks the judge first: nothing is recorded as a departure, the judge is told
        ack = await a.call("leave", {"permission_requested": True})
        assert ack == {"ok": True, "left": False, "requested": True}
        asked = await host.wait("seat", where=lambda n: n["change"] == "leave_requested")
        assert asked["seat"]["seat_id"] == a_seat.seat_id
        assert (await seat_row(services, a_seat.seat_id)).state == "admitted"
        assert (await host.call("moderation.grant_leave", {"seat_id": a_seat.seat_id}))["ok"]
        await a.wait("seat", where=lambda n: n["change"] == "leave_granted")
        ack = await a.call("leave", {"permission_requested": True})
        assert ack == {"ok": True, "left": True, "recorded_as": "left_with_permission"}
        # b is warned, then leaves anyway
        assert (await host.call("moderation.warn", {"seat_id": b_seat.seat_id, "reason": "请勿离席"}))["ok"]
        warned = await b.wait("seat", where=lambda n: n["change"] == "warned")
        assert warned["reason"] == "请勿离席"
        clock.advance(seconds=30)
        ack = await b.call("leave", {})
        assert ack["recorded_as"] == "left_without_permission"
        # g's network fails: a drop, not a departure
        await g.sio.eio.disconnect(abort=True)
        await wait_seat(services, g_seat.seat_id, lambda s: s.dropped_at is not None)
        a_kinds = [e.kind for e in await attendance(services, a_seat.seat_id)]
        b_events = await attendance(services, b_seat.seat_id)
        g_kinds = [e.kind for e in await attendance(services, g_seat.seat_id)]
        assert a_kinds[-1] == AttendanceKind.LEFT_WITH_PERMISSION
        assert [e.kind for e in b_events][-2:] == [AttendanceKind.WARNED, AttendanceKind.LEFT_WITHOUT_PERMISSION]
        assert b_events[-1].at - b_events[-2].at == timedelta(seconds=30)
        assert b_events[-2].detail == {"reason": "请勿离席"}
        assert g_kinds[-1] == AttendanceKind.DROPPED
        actions = await audit_actions(services)
        assert "meeting.seat.left_without_permission" in actions
        assert "meeting.seat.left_with_permission" in actions
        await a.wait_disconnected()
        await b.wait_disconnected()
    finally:
        for c in (a, b, g, host):
            await c.close()


async def test_attendance_is_persisted_with_the_clock_s_timestamps(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    t0 = clock.now()
    host = await join(live_server.url, services, room, room.host)
    p = await join(live_server.url, services, room, seat)
    try:
        clock.advance(minutes=2)
        await let_in(services, host, p, seat)
        clock.advance(minutes=30)
        assert (await p.call("leave", {}))["recorded_as"] == "left"
        events = await attendance(services, seat.seat_id)
        assert [(e.kind, e.at, e.by_user_id) for e in events] == [
            (AttendanceKind.JOINED, t0, None),
            (AttendanceKind.ADMITTED, t0 + timedelta(minutes=2), room.host.user.id),  # type: ignore[union-attr]
            (AttendanceKind.LEFT, t0 + timedelta(minutes=32), seat.user.id),  # type: ignore[union-attr]
        ]
        assert "meeting.seat.admitted" in await audit_actions(services)
    finally:
        await p.close()
        await host.close()
