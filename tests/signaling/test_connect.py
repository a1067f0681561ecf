"""Connecting: room tokens (forged, expired, replayed, another meeting's), resumes and the grace period."""

from __future__ import annotations

from datetime import timedelta

import jwt

from odr.meetings.models import AttendanceKind
from odr.meetings.tokens import issue_room_token
from odr.services import Services
from signaling.connection import expire_dropped_seats
from tests.conftest import LiveServer
from tests.signaling.support import (
    attendance,
    connect,
    join,
    let_in,
    make_room,
    meeting_row,
    refused,
    resume,
    room_token,
    seat_row,
    wait_seat,
)


async def test_forged_token_is_refused(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    claims = {"aud": "odr-room", "exp": 4_000_000_000, "jti": "x", "mid": room.meeting_id,
              "sid": seat.seat_id, "uid": seat.user.id, "role": "host"}  # type: ignore[union-attr]
    forged = jwt.encode(claims, b"not the server's key, but long enough!!", algorithm="HS256")
    refusal = await refused(live_server.url, {"token": forged})
    assert refusal["data"]["code"] == "invalid_token"
    assert "refused" in refusal["message"]
    assert (await seat_row(services, seat.seat_id)).state == "invited"


async def test_garbage_and_missing_credentials_are_refused(live_server: LiveServer, services: Services) -> None:
    assert (await refused(live_server.url, {"token": "not-a-jwt"}))["data"]["code"] == "invalid_token"
    assert (await refused(live_server.url, None))["data"]["code"] == "no_credentials"
    bad = await refused(live_server.url, {"token": "x", "admin": True})
    assert bad["data"]["code"] == "invalid_auth"


async def test_expired_token_is_refused(live_server: LiveServer, services: Services, clock) -> None:  # type: ignore[no-untyped-def]
    room = await make_room(services)
    token = room_token(services, room, room.seats[0])
    clock.advance(seconds=services.settings.room_token_ttl_seconds + 1)
    refusal = await refused(live_server.url, {"token": token})
    assert refusal["data"]["code"] == "expired_token"
    assert "expired" in refusal["message"]


async def test_replayed_token_is_refused(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    token = room_token(services, room, room.host)
    first = await connect(live_server.url, {"token": token})
    try:
        await first.wait("joined")
        refusal = await refused(live_server.url, {"token": token})
        assert refusal["data"]["code"] == "replayed_token"
        assert first.sio.connected
    finally:
        await first.close()


async def test_token_of_another_meeting_is_refused(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    other = await make_room(services)
    token = room_token(services, other, other.seats[0])
    refusal = await refused(live_server.url, {"token": token, "meeting_id": room.meeting_id})
    assert refusal["data"]["code"] == "other_meeting"
    # a token whose meeting does not hold the seat it names
    mixed, _ = issue_room_token(
        services.settings, services.clock.now(), meeting_id=room.meeting_id,
        seat_id=other.seats[0].seat_id, user_id=other.seats[0].user.id, role="party",  # type: ignore[union-attr]
    )
    refusal = await refused(live_server.url, {"token": mixed})
    assert refusal["data"]["code"] == "other_meeting"
    assert (await seat_row(services, other.seats[0].seat_id)).state == "invited"


async def test_host_who_drops_and_returns_keeps_host_rights(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    await let_in(services, host, party, seat)
    key = host.joined["resume_key"]
    await host.sio.eio.disconnect(abort=True)  # the transport is lost, no leave
    await wait_seat(services, room.host.seat_id, lambda s: not s.connected and s.dropped_at is not None)
    clock.advance(seconds=10)
    back = await resume(live_server.url, room.host.seat_id, key)
    try:
        assert back.joined["resumed"] is True and back.joined["seat"]["state"] == "admitted"
        ack = await back.call("moderation.mute", {"seat_id": seat.seat_id, "kind": "audio", "muted": True})
        assert ack == {"ok": True}
        kinds = [e.kind for e in await attendance(services, room.host.seat_id)]
        assert kinds == [AttendanceKind.JOINED, AttendanceKind.DROPPED, AttendanceKind.RECONNECTED]
        # after the grace period too, with a new token, the host is straight back in with its rights
        await back.sio.eio.disconnect(abort=True)
        await wait_seat(services, room.host.seat_id, lambda s: not s.connected)
        clock.advance(seconds=services.settings.room_reconnect_grace_seconds + 1)
        assert await expire_dropped_seats(services) == 1
        again = await join(live_server.url, services, room, room.host)
        try:
            assert again.joined["seat"]["state"] == "admitted"
            assert (await again.call("moderation.lock", {"locked": True}))["ok"]
        finally:
            await again.close()
    finally:
        await back.close()
        await party.close()


async def test_participant_back_within_the_grace_period_keeps_its_seat_without_a_second_lobby(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        await let_in(services, host, party, seat)
        key = party.joined["resume_key"]
        await party.sio.eio.disconnect(abort=True)
        dropped = await wait_seat(services, seat.seat_id, lambda s: s.dropped_at is not None)
        assert dropped.state == "admitted" and not dropped.connected
        roster = await host.latest("roster", lambda r: any(
            s["seat_id"] == seat.seat_id and not s["connected"] for s in r["seats"]))
        assert roster
        clock.advance(seconds=services.settings.room_reconnect_grace_seconds - 1)
        assert await expire_dropped_seats(services) == 0
        back = await resume(live_server.url, seat.seat_id, key, meeting_id=room.meeting_id)
        try:
            assert back.joined["resumed"] is True
            assert back.joined["seat"]["state"] == "admitted"
            assert back.joined["resume_key"] != key
            await host.call("chat.send", {"text": "welcome back"})
            assert (await back.wait("chat"))["text"] == "welcome back"
            events = await attendance(services, seat.seat_id)
            assert [e.kind for e in events][-2:] == [AttendanceKind.DROPPED, AttendanceKind.RECONNECTED]
            assert events[-1].at - events[-2].at == timedelta(
                seconds=services.settings.room_reconnect_grace_seconds - 1)
            # the old key is spent: a resume key works once
            refusal = await refused(live_server.url, {"resume_seat": seat.seat_id, "resume_key": key})
            assert refusal["data"]["code"] == "invalid_resume"
        finally:
            await back.close()
    finally:
        await party.close()
        await host.close()


async def test_after_the_grace_period_the_seat_is_released_and_goes_through_the_lobby_again(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        await let_in(services, host, party, seat)
        key = party.joined["resume_key"]
        await party.sio.eio.disconnect(abort=True)
        await wait_seat(services, seat.seat_id, lambda s: s.dropped_at is not None)
        clock.advance(seconds=services.settings.room_reconnect_grace_seconds + 1)
        assert await expire_dropped_seats(services) == 1
        assert (await seat_row(services, seat.seat_id)).state == "left"
        assert await expire_dropped_seats(services) == 0
        refusal = await refused(live_server.url, {"resume_seat": seat.seat_id, "resume_key": key})
        assert refusal["data"]["code"] == "invalid_resume"
        again = await join(live_server.url, services, room, seat)
        try:
            assert again.joined["seat"]["state"] == "lobby"
            assert again.joined["resumed"] is False
            await host.latest("lobby", lambda lob: [w["seat"]["seat_id"] for w in lob["waiting"]] == [seat.seat_id])
        finally:
            await again.close()
        kinds = [e.kind for e in await attendance(services, seat.seat_id)]
        assert AttendanceKind.DROP_EXPIRED in kinds
    finally:
        await party.close()
        await host.close()


async def test_resume_after_the_grace_period_is_refused_even_before_the_sweep(
    live_server: LiveServer, services: Services, clock  # type: ignore[no-untyped-def]
) -> None:
    room = await make_room(services)
    seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    party = await join(live_server.url, services, room, seat)
    try:
        key = party.joined["resume_key"]
        await party.sio.eio.disconnect(abort=True)
        await wait_seat(services, seat.seat_id, lambda s: s.dropped_at is not None)
        clock.advance(seconds=services.settings.room_reconnect_grace_seconds + 5)
        refusal = await refused(live_server.url, {"resume_seat": seat.seat_id, "resume_key": key})
        assert refusal["data"]["code"] == "resume_expired"
    finally:
        await party.close()
        await host.close()


async def test_a_new_connection_of_a_seat_replaces_the_old_one(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    host = await join(live_server.url, services, room, room.host)
    second = await join(live_server.url, services, room, room.host)
    try:
        await host.wait_disconnected()
        row = await seat_row(services, room.host.seat_id)
        assert row.connected and row.state == "admitted"
        assert (await second.call("moderation.lock", {"locked": False}))["ok"]
        kinds = [e.kind for e in await attendance(services, room.host.seat_id)]
        assert AttendanceKind.DROPPED not in kinds
    finally:
        await second.close()
        await host.close()


async def test_a_locked_room_refuses_newcomers_but_not_resumes(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services)
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    try:
        await let_in(services, host, a, a_seat)
        assert (await host.call("moderation.lock", {"locked": True})) == {"ok": True}
        state = await a.latest("room", lambda r: r["locked"])
        assert state["status"] == "open"
        refusal = await refused(live_server.url, {"token": room_token(services, room, b_seat)})
        assert refusal["data"]["code"] == "locked" and "locked" in refusal["message"]
        key = a.joined["resume_key"]
        await a.sio.eio.disconnect(abort=True)
        await wait_seat(services, a_seat.seat_id, lambda s: s.dropped_at is not None)
        back = await resume(live_server.url, a_seat.seat_id, key)
        try:
            assert back.joined["seat"]["state"] == "admitted" and back.joined["locked"] is True
        finally:
            await back.close()
    finally:
        await a.close()
        await host.close()


async def test_an_ended_meeting_refuses_connections(live_server: LiveServer, services: Services) -> None:
    room = await make_room(services)
    host = await join(live_server.url, services, room, room.host)
    try:
        assert (await host.call("meeting.end", {}))["ok"]
        await host.wait("ended")
    finally:
        await host.close()
    assert (await meeting_row(services, room.meeting_id)).status == "ended"
    refusal = await refused(live_server.url, {"token": room_token(services, room, room.seats[0])})
    assert refusal["data"]["code"] == "meeting_over"


def test_the_seat_sweep_runs_on_celery_beat(settings) -> None:  # type: ignore[no-untyped-def]
    from odr.tasks.celery_app import ROOM_SEATS_TASK, make_celery

    app = make_celery(settings)
    try:
        schedule = app.conf.beat_schedule["expire-dropped-seats"]
        assert schedule["task"] == ROOM_SEATS_TASK and ROOM_SEATS_TASK in app.tasks
        assert schedule["schedule"] < settings.room_reconnect_grace_seconds
    finally:
        app.close()
