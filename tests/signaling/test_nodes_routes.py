"""Media nodes: credential, assignment, routes after every seat change, acks, death (issue 5, 6)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.clock import ManualClock
from odr.meetings.models import MediaNode
from odr.services import Services
from signaling import nodes
from signaling.nodes import namespace_emitter, sweep_media_nodes
from tests.conftest import LiveServer
from tests.signaling.node_client import OFFER, hears, latest_routes, sees, start_node
from tests.signaling.support import join, let_in, make_room, meeting_row, refused


async def test_a_node_with_a_wrong_or_no_credential_is_refused(
    live_server: LiveServer, services: Services
) -> None:
    await nodes.register_node(services, "media-a")
    async with services.db.reader() as uow:
        row = await uow.session.get(MediaNode, "media-a")
        assert row is not None and len(row.credential_hash) == 64  # only a hash is kept
    assert await refused(live_server.url, {"node": "media-a", "credential": "guessed"})
    assert await refused(live_server.url, {"node": "media-z", "credential": "x" * 43})


async def test_routes_follow_admit_caucus_and_mute_with_rising_versions_L11(
    live_server: LiveServer, services: Services
) -> None:
    node = await start_node(live_server.url, services)
    room = await make_room(services)
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    h_id, a_id, b_id = room.host.seat_id, a_seat.seat_id, b_seat.seat_id
    try:
        assert (await meeting_row(services, room.meeting_id)).media_node_id == "media-a"
        first = await latest_routes(node, room.meeting_id, lambda r: set(r["receive"]) == {str(h_id)})
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        joint = await latest_routes(node, room.meeting_id, lambda r: hears(r, a_id) == {h_id, b_id})
        assert joint["version"] > first["version"]
        assert sees(joint, b_id) == {h_id, a_id}

        ack = await host.call("caucus.open", {"seat_ids": [h_id, a_id], "label": "申请人"})
        assert ack["ok"], ack
        caucus = await latest_routes(node, room.meeting_id, lambda r: r["version"] == ack["routing_version"])
        assert caucus["version"] > joint["version"]
        assert hears(caucus, a_id) == sees(caucus, a_id) == {h_id}
        assert hears(caucus, h_id) == {a_id}
        assert hears(caucus, b_id) == sees(caucus, b_id) == set()  # nothing of the caucus (L11)
        assert nodes.acked_version(live_server.sio, room.meeting_id) == caucus["version"]

        assert (await host.call("caucus.close", {"caucus_id": ack["caucus_id"]}))["ok"]
        ack = await host.call("moderation.mute", {"seat_id": b_id, "kind": "audio", "muted": True})
        assert ack["ok"], ack
        muted = await latest_routes(node, room.meeting_id, lambda r: sees(r, a_id) == {h_id, b_id}
                                    and b_id not in hears(r, a_id))
        assert muted["version"] > caucus["version"]
        assert hears(muted, h_id) == {a_id} and hears(muted, b_id) == {h_id, a_id}
        meeting = await meeting_row(services, room.meeting_id)
        assert meeting.routing_version == muted["version"] == nodes.acked_version(live_server.sio, room.meeting_id)

        refusal = await node.call("node.routes_ack", {"meeting_id": room.meeting_id, "version": 10_000})
        assert refusal["ok"] is False
    finally:
        for client in (a, b, host, node):
            await client.close()


async def test_stats_reach_the_host_and_a_full_disk_stops_recording_for_everyone(
    live_server: LiveServer, services: Services
) -> None:
    node = await start_node(live_server.url, services)
    room = await make_room(services, roles=["party"])
    a_seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    try:
        await let_in(services, host, a, a_seat)
        quality = {str(a_seat.seat_id): {"bitrate": 900_000.0, "loss": 0.01, "rtt": 0.04}}
        ack = await node.call("node.stats", {"meeting_id": room.meeting_id, "seats": quality})
        assert ack == {"ok": True}, ack
        stats = await host.wait("stats")
        assert stats["seats"] == quality
        assert nodes.latest_stats(live_server.sio, room.meeting_id)[a_seat.seat_id]["loss"] == 0.01

        assert (await a.call("recording.consent", {"consent": True}))["ok"]
        assert (await host.call("recording.control", {"action": "start"}))["state"] == "on"
        ack = await node.call("node.recording", {"meeting_id": room.meeting_id, "state": "failed",
                                                 "detail": "disk full"})
        assert ack == {"ok": True}, ack
        for client in (host, a):
            told = await client.wait("recording", where=lambda r: r["detail"] == "disk full")
            assert told["state"] == "off" and told["written_record_required"]
        assert (await meeting_row(services, room.meeting_id)).recording_state == "off"

        other = await make_room(services, roles=["party"])  # hosted by nobody yet
        ack = await node.call("node.stats", {"meeting_id": other.meeting_id, "seats": {}})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    finally:
        for client in (a, host, node):
            await client.close()


async def test_a_dead_nodes_room_moves_to_a_live_node_and_participants_renegotiate(
    live_server: LiveServer, services: Services, clock: ManualClock
) -> None:
    first = await start_node(live_server.url, services, "media-a")
    room = await make_room(services, roles=["party"])
    a_seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    second = None
    try:
        await let_in(services, host, a, a_seat)
        assert (await meeting_row(services, room.meeting_id)).media_node_id == "media-a"
        clock.advance(timedelta(seconds=services.settings.media_node_dead_after_seconds + 1))
        second = await start_node(live_server.url, services, "media-b")  # alive now; media-a silent
        stats = await sweep_media_nodes(services)  # as the beat task does: through the live-event relay
        assert (stats.dead, stats.moved) == (1, 1)
        moved = await latest_routes(second, room.meeting_id, lambda r: a_seat.seat_id in hears(r, room.host.seat_id))
        meeting = await meeting_row(services, room.meeting_id)
        assert meeting.media_node_id == "media-b" and meeting.routing_version == moved["version"]
        for client in (host, a):
            restart = await client.wait("rtc.restart")
            assert restart == {"meeting_id": room.meeting_id, "reason": "node_lost", "node_available": True}
        async with services.db.reader() as uow:
            dead = await uow.session.get(MediaNode, "media-a")
            assert dead is not None and dead.status == "dead"
            audited = (await uow.session.execute(
                select(AuditEntry.action).where(AuditEntry.subject_id == "media-a"))).scalars().all()
            assert "media_node.dead" in audited
        assert (await sweep_media_nodes(services, namespace_emitter(live_server.sio))).dead == 0
    finally:
        for client in (a, host, first, *([second] if second else [])):
            await client.close()


async def test_a_publish_offer_finding_its_node_silent_moves_the_room_at_once(
    live_server: LiveServer, services: Services, clock: ManualClock
) -> None:
    first = await start_node(live_server.url, services, "media-a")
    room = await make_room(services, roles=["party"])
    a_seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    second = None
    try:
        await let_in(services, host, a, a_seat)
        clock.advance(timedelta(seconds=services.settings.media_node_dead_after_seconds + 1))
        second = await start_node(live_server.url, services, "media-b")
        assert (await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER}))["ok"]
        assert (await second.wait("rtc.sdp"))["seat_id"] == a_seat.seat_id
        assert (await host.wait("rtc.restart"))["node_available"] is True
        assert first.received("rtc.sdp") == []
        assert (await meeting_row(services, room.meeting_id)).media_node_id == "media-b"
    finally:
        for client in (a, host, first, *([second] if second else [])):
            await client.close()


async def test_a_room_left_without_any_live_node_gets_one_when_a_node_comes_back(
    live_server: LiveServer, services: Services, clock: ManualClock
) -> None:
    first = await start_node(live_server.url, services, "media-a")
    room = await make_room(services, roles=["party"])
    host = await join(live_server.url, services, room, room.host)
    second = None
    try:
        assert (await meeting_row(services, room.meeting_id)).media_node_id == "media-a"
        clock.advance(timedelta(seconds=services.settings.media_node_dead_after_seconds + 1))
        emit = namespace_emitter(live_server.sio)
        stats = await sweep_media_nodes(services, emit)
        assert (stats.dead, stats.moved, stats.stranded) == (1, 0, 1)
        assert (await host.wait("rtc.restart"))["node_available"] is False
        assert (await meeting_row(services, room.meeting_id)).media_node_id is None
        second = await start_node(live_server.url, services, "media-b")
        assert (await sweep_media_nodes(services, emit)).moved == 1
        assert (await host.wait("rtc.restart"))["node_available"] is True
        await latest_routes(second, room.meeting_id, lambda r: str(room.host.seat_id) in r["receive"])
    finally:
        for client in (host, first, *([second] if second else [])):
            await client.close()


async def test_a_dead_nodes_ended_meeting_gets_its_recording_sealed_from_what_it_reported(
    services: Services, clock: ManualClock
) -> None:
    from odr.meetings.models import Meeting, MeetingSeat, RecordingPlayback, RecordingSegment
    from odr.meetings.recordings.segments import manifest_sha256

    room = await make_room(services, status="ended")
    await nodes.register_node(services, "media-gone")
    now = clock.now()
    async with services.db.uow() as uow:
        meeting = await uow.session.get(Meeting, room.meeting_id)
        assert meeting is not None
        meeting.media_node_id = "media-gone"
        seat = await uow.session.get(MeetingSeat, room.seats[0].seat_id)
        assert seat is not None
        for n, sha in enumerate(("a" * 64, "b" * 64)):
            uow.session.add(RecordingSegment(
                meeting_id=meeting.id, seat_id=seat.id, track="av", sequence=n, node_id="media-gone",
                storage_key=sha, sha256=sha, size=10, started_at=now, ended_at=now,
                recorded_at=now,
            ))
    clock.advance(timedelta(seconds=services.settings.media_node_dead_after_seconds + 1))
    stats = await sweep_media_nodes(services, emit=_discard)
    assert (stats.dead, stats.sealed) == (1, 1)
    async with services.db.reader() as uow:
        meeting = await uow.session.get(Meeting, room.meeting_id)
        segments = (await uow.session.execute(
            select(RecordingSegment).where(RecordingSegment.meeting_id == room.meeting_id)
        )).scalars().all()
        playback = (await uow.session.execute(
            select(RecordingPlayback).where(RecordingPlayback.meeting_id == room.meeting_id)
        )).scalar_one()
        actions = (await uow.session.execute(select(AuditEntry.action))).scalars().all()
    assert meeting is not None and meeting.manifest_sha256 == manifest_sha256(segments)
    assert playback.status == "pending" and "recording.manifest" in actions
    again = await sweep_media_nodes(services, emit=_discard)
    assert again.sealed == 0  # sealed once


async def _discard(event: str, payload: object, room: str) -> None:
    return None
