"""A whole room: signaling server, a media node (``media.node``) and aiortc bots as participants.

Nothing is short-circuited: each bot holds a room token, passes the lobby,
and negotiates its publish and subscribe connections with the media node
through the ``/room`` namespace; the node joins as a server-side participant
with its credential and forwards encoded frames as the routes allow. Frame
counts (each bot's video carries its seat in a drawn counter) prove who sees
whom.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiortc import RTCSessionDescription

from media.node import MediaNode
from media.room import MediaConfig
from odr.services import Services
from signaling.nodes import register_node
from tests.conftest import LiveServer
from tests.media.bots import Bot, wait_for
from tests.signaling.support import RoomClient, Seated, join, let_in, make_room

pytestmark = pytest.mark.usefixtures("loopback")


@dataclass
class Participant:
    seat: Seated
    client: RoomClient
    bot: Bot


async def _wire(p: Participant) -> None:
    """Carry the bot's SDP over the room socket, as the page's MediaLink does."""

    async def on_sdp(message: dict[str, Any]) -> None:
        description = RTCSessionDescription(sdp=message["sdp"], type=message["type"])
        if message["pc"] == "publish" and message["type"] == "answer":
            await p.bot.accept_publish_answer(description)
        elif message["pc"] == "subscribe" and message["type"] == "offer":
            answer = await p.bot.answer_subscribe(description)
            await p.client.call("rtc.sdp", {"pc": "subscribe", "type": "answer", "sdp": answer.sdp})

    p.client.sio.on("rtc.sdp", on_sdp, namespace="/room")


async def _publish(p: Participant) -> None:
    offer = await p.bot.publish_offer()
    ack = await p.client.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": offer.sdp})
    assert ack == {"ok": True}, ack


@pytest.fixture
async def node(live_server: LiveServer, services: Services) -> AsyncIterator[MediaNode]:
    credential = await register_node(services, "media-test")
    media = MediaNode(
        live_server.url, "media-test", credential, MediaConfig(keyframe_min_interval=0.2)
    )
    await media.start()
    yield media
    await media.stop()


async def _room_of_three(
    live_server: LiveServer, services: Services, make_bot: Callable[..., Bot]
) -> list[Participant]:
    room = await make_room(services, roles=("party", "party"))
    host = await join(live_server.url, services, room, room.host)
    people = [Participant(room.host, host, make_bot("host", room.host.seat_id))]
    await _wire(people[0])
    for seat in room.seats:
        client = await join(live_server.url, services, room, seat)
        p = Participant(seat, client, make_bot(seat.name, seat.seat_id))
        await _wire(p)  # before admission: the node offers as soon as the routes name the seat
        await let_in(services, host, client, seat)
        people.append(p)
    for p in people:
        await _publish(p)
    return people


async def test_three_bots_decode_each_other_through_signaling_and_the_node(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot]
) -> None:
    people = await _room_of_three(live_server, services, make_bot)
    for p in people:
        others = [o.seat.seat_id for o in people if o is not p]
        await wait_for(
            lambda p=p, others=others: all(p.bot.frames_from(s) >= 10 for s in others),
            timeout=30,
            what=f"{p.seat.name} decoding the other two",
        )
        assert p.bot.frames_from(p.seat.seat_id) == 0  # nobody is sent its own picture
    for p in people:
        await p.client.close()


async def test_a_caucus_cuts_the_others_off_by_frame_count_L11(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot]
) -> None:
    host, a, b = await _room_of_three(live_server, services, make_bot)
    await wait_for(lambda: b.bot.frames_from(a.seat.seat_id) >= 10, timeout=30, what="b sees a")
    meeting_id = next(iter(node.meetings))
    before = node.meetings[meeting_id].version

    ack = await host.client.call("caucus.open", {"seat_ids": [host.seat.seat_id, a.seat.seat_id]})
    assert ack["ok"], ack
    await wait_for(lambda: node.meetings[meeting_id].version > before, timeout=10, what="new routes")
    # The node detached a from b before acknowledging. Judge by a's drawn frame counter, so
    # frames b received earlier but decodes late (a busy machine) do not count against it.
    produced_at_ack = a.bot.video_track.counter
    later = a.bot.frames_from(host.seat.seat_id) + 30
    await wait_for(lambda: a.bot.frames_from(host.seat.seat_id) >= later, timeout=30, what="host→a in caucus")
    assert a.bot.video_track.counter > produced_at_ack + 20  # a kept publishing meanwhile
    seen_by_b = b.bot.video[a.seat.seat_id].counters
    assert max(seen_by_b) <= produced_at_ack + 3  # frames already in flight, then nothing
    for p in (host, a, b):
        await p.client.close()


async def test_the_host_sees_each_participants_network_quality_from_the_node(
    live_server: LiveServer, services: Services, node: MediaNode, make_bot: Callable[..., Bot]
) -> None:
    people = await _room_of_three(live_server, services, make_bot)
    host, a, b = people
    await wait_for(lambda: b.bot.frames_from(a.seat.seat_id) >= 10, timeout=30, what="b sees a")

    def complete(payload: dict[str, Any]) -> bool:
        seats = {int(k): v for k, v in payload["seats"].items()}
        return all(
            seats.get(p.seat.seat_id, {}).get("bitrate_kbps", 0) > 0
            and seats[p.seat.seat_id].get("fps", 0) > 0
            and "loss_pct" in seats[p.seat.seat_id] and "jitter_ms" in seats[p.seat.seat_id]
            for p in people
        )

    stats = await host.client.wait("stats", where=complete, timeout=30)
    assert {int(k) for k in stats["seats"]} == {p.seat.seat_id for p in people}
    assert all(0 <= v["loss_pct"] <= 100 for v in stats["seats"].values())
    # The parties are not sent the host's monitoring view.
    assert not any(name == "stats" for name, _ in a.client.events)
    for p in people:
        await p.client.close()
