"""The lobby: everyone but the host waits; the host sees who waits and admits or denies (L2, L9)."""

from __future__ import annotations

from odr.meetings.models import AttendanceKind
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import (
    attendance,
    entry_code_for,
    join,
    let_in,
    make_room,
    meeting_row,
    pass_entry_checks,
    refused,
    room_token,
    seat_row,
)


async def test_host_opens_the_meeting_and_a_party_waits_until_admitted(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    host = await join(live_server.url, services, room, room.host)
    a_seat = room.seats[0]
    try:
        assert host.joined["seat"]["state"] == "admitted"
        assert (await meeting_row(services, room.meeting_id)).status == "open"
        party = await join(live_server.url, services, room, a_seat)
        try:
            assert party.joined["seat"]["state"] == "lobby"
            assert party.joined["entry_code_required"] and party.joined["warning_required"]
            lobby = await host.latest("lobby", lambda lob: len(lob["waiting"]) == 1)
            entry = lobby["waiting"][0]
            assert entry["seat"]["seat_id"] == a_seat.seat_id
            assert entry["verified_name"] == a_seat.user.real_name  # type: ignore[union-attr]
            assert entry["identity_level"] == "basic"
            assert entry["id_doc_masked"].endswith(a_seat.user.id_doc_last4)  # type: ignore[union-attr]
            assert set(entry["id_doc_masked"][:-4]) == {"*"}
            await let_in(services, host, party, a_seat)
            roster = await party.latest("roster", lambda r: len(r["seats"]) == 2)
            assert {s["seat_id"] for s in roster["seats"]} == {room.host.seat_id, a_seat.seat_id}
            kinds = [e.kind for e in await attendance(services, a_seat.seat_id)]
            assert kinds == [AttendanceKind.JOINED, AttendanceKind.ADMITTED]
        finally:
            await party.close()
    finally:
        await host.close()


async def test_arriving_before_the_host_still_waits_in_the_lobby_with_its_checks_done_L2_L9(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    party = await join(live_server.url, services, room, room.seats[0])
    try:
        assert party.joined["seat"]["state"] == "lobby"
        assert (await meeting_row(services, room.meeting_id)).status == "scheduled"
        # the entry checks can be done while waiting for the host (L2, L9)
        code = await entry_code_for(services, room.seats[0])
        assert (await party.call("entry.code", {"code": code}))["ok"] is True
        assert (await party.call("entry.ack_warning", {}))["ok"] is True
        assert (await seat_row(services, room.seats[0].seat_id)).entry_code_verified_at is not None
        host = await join(live_server.url, services, room, room.host)
        try:
            lobby = await host.latest("lobby", lambda lob: len(lob["waiting"]) == 1)
            assert lobby["waiting"][0]["seat"]["seat_id"] == room.seats[0].seat_id
            assert (await seat_row(services, room.seats[0].seat_id)).state == "lobby"
        finally:
            await host.close()
    finally:
        await party.close()


async def test_events_from_a_lobby_seat_are_refused_and_reach_nobody(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    host = await join(live_server.url, services, room, room.host)
    a_seat, b_seat = room.seats
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        ack = await b.call("chat.send", {"text": "let me in"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
        assert "admits" in ack["error"]["message"]
        error = await b.wait("error")
        assert error["event"] == "chat.send"
        for event, data in (
            ("lobby.admit", {"seat_id": b_seat.seat_id}),
            ("moderation.mute", {"seat_id": a_seat.seat_id, "kind": "audio", "muted": True}),
            ("hand.raise", {"raised": True}),
        ):
            ack = await b.call(event, data)
            assert ack["ok"] is False, event
        assert (await seat_row(services, b_seat.seat_id)).state == "lobby"
        assert not (await seat_row(services, a_seat.seat_id)).audio_muted_by_host
        # barrier: a later chat in the main room arrives; nothing of b's came before it
        await host.call("chat.send", {"text": "welcome"})
        got = await a.wait("chat")
        assert got["text"] == "welcome"
        assert [c["text"] for c in a.received("chat")] == ["welcome"]
        assert b.received("chat") == []
    finally:
        for c in (a, b, host):
            await c.close()


async def test_the_host_cannot_admit_before_the_entry_code_L2(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        await party.call("entry.ack_warning", {})
        ack = await host.call("lobby.admit", {"seat_id": seat.seat_id})
        assert ack["ok"] is False and ack["error"]["code"] == "entry_check"
        assert "L2" in ack["error"]["message"]
        wrong = await party.call("entry.code", {"code": "000000"})
        assert wrong["ok"] is False and wrong["error"]["code"] == "wrong_code"
        assert (await seat_row(services, seat.seat_id)).entry_code_verified_at is None
        await let_in(services, host, party, seat)
        row = await seat_row(services, seat.seat_id)
        assert row.state == "admitted" and row.entry_code_verified_at is not None
    finally:
        await party.close()
        await host.close()


async def test_a_mediation_party_must_acknowledge_the_sham_mediation_warning_L9(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:

        ack = await party.call("entry.code", {"code": await entry_code_for(services, seat)})
        assert ack["ok"]
        ack = await host.call("lobby.admit", {"seat_id": seat.seat_id})
        assert ack["ok"] is False and "L9" in ack["error"]["message"]
        lobby = await host.latest("lobby", lambda lob: lob["waiting"] and lob["waiting"][0]["entry_code_verified"])
        assert lobby["waiting"][0]["warning_acknowledged"] is False
        await party.call("entry.ack_warning", {})
        assert (await host.call("lobby.admit", {"seat_id": seat.seat_id}))["ok"]
        assert (await seat_row(services, seat.seat_id)).warning_acknowledged_at is not None
    finally:
        await party.close()
        await host.close()


async def test_the_host_records_the_visual_id_check_L2(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        ack = await host.call("entry.visual_check", {"seat_id": seat.seat_id, "matches": True, "note": "比对一致"})
        assert ack == {"ok": True}
        row = await seat_row(services, seat.seat_id)
        assert row.visual_id_checked_at is not None
        assert row.visual_id_checked_by_id == room.host.user.id  # type: ignore[union-attr]
        assert row.visual_id_note == "matches: 比对一致"
        ack = await party.call("entry.visual_check", {"seat_id": seat.seat_id, "matches": True})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    finally:
        await party.close()
        await host.close()


async def test_denied_seat_is_told_why_disconnected_and_cannot_come_back(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        ack = await host.call("lobby.deny", {"seat_id": seat.seat_id, "reason": "身份不符"})
        assert ack == {"ok": True}
        notice = await party.wait("seat", where=lambda n: n["change"] == "denied")
        assert notice["reason"] == "身份不符"
        await party.wait_disconnected()
        refusal = await refused(live_server.url, {"token": room_token(services, room, seat)})
        assert refusal["data"]["code"] == "denied"
        kinds = [(e.kind, e.detail) for e in await attendance(services, seat.seat_id)]
        assert (AttendanceKind.DENIED, {"reason": "身份不符"}) in kinds
        lobby = await host.latest("lobby", lambda lob: lob["waiting"] == [])
        assert lobby["waiting"] == []
    finally:
        await party.close()
        await host.close()


async def test_the_host_sends_an_admitted_party_back_to_the_lobby(
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
        assert (await host.call("lobby.return", {"seat_id": b_seat.seat_id}))["ok"]
        await b.wait("seat", where=lambda n: n["change"] == "returned_to_lobby")
        await a.latest("roster", lambda r: b_seat.seat_id not in {s["seat_id"] for s in r["seats"]})
        await host.latest("lobby", lambda lob: [w["seat"]["seat_id"] for w in lob["waiting"]] == [b_seat.seat_id])
        # back in the lobby, b no longer hears the main room
        await host.call("chat.send", {"text": "private to the room"})
        await a.wait("chat")
        await host.call("lobby.admit", {"seat_id": b_seat.seat_id})  # checks already passed
        await b.wait("seat", where=lambda n: n["change"] == "admitted")
        await host.call("chat.send", {"text": "b is back"})
        got = await b.wait("chat")
        assert got["text"] == "b is back"
    finally:
        for c in (a, b, host):
            await c.close()


async def test_entry_checks_need_no_admission_but_a_seat_in_the_lobby_passes_them(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        await pass_entry_checks(services, party, seat)
        lobby = await host.latest(
            "lobby", lambda lob: lob["waiting"] and lob["waiting"][0]["warning_acknowledged"]
        )
        assert lobby["waiting"][0]["entry_code_verified"] is True
    finally:
        await party.close()
        await host.close()


async def test_a_guest_waits_with_its_masked_id_and_proves_its_mobile_L2(
    live_server: LiveServer, services: Services
) -> None:
    from odr.meetings.entry import GUEST_ID_DOC_CONTEXT, GUEST_MOBILE_CONTEXT
    from tests.signaling.support import entry_code_to, set_seat

    room = await make_room(services, roles=["witness"])
    seat = room.seats[0]
    await set_seat(
        services, seat.seat_id,
        guest_id_doc_encrypted=services.crypto.encrypt("31010119900101123X", context=GUEST_ID_DOC_CONTEXT),
        guest_mobile_encrypted=services.crypto.encrypt("13900001111", context=GUEST_MOBILE_CONTEXT),
    )
    host = await join(live_server.url, services, room, room.host)
    guest = await join(live_server.url, services, room, seat)
    try:
        assert guest.joined["entry_code_required"] is True
        assert guest.joined["warning_required"] is False  # the warning is for the parties
        lobby = await host.latest("lobby", lambda lob: len(lob["waiting"]) == 1)
        entry = lobby["waiting"][0]
        assert entry["id_doc_masked"].endswith("123X") and "1990" not in entry["id_doc_masked"]
        assert entry["verified_name"] is None and entry["seat"]["role"] == "witness"
        ack = await guest.call("entry.code", {"code": await entry_code_to(services, "13900001111", None)})
        assert ack == {"ok": True, "verified": True}
        assert (await host.call("lobby.admit", {"seat_id": seat.seat_id})) == {"ok": True}
        await guest.wait("seat", where=lambda n: n["change"] == "admitted")
    finally:
        await guest.close()
        await host.close()
