"""SDP and ICE relay between an admitted participant and its meeting's media node."""

from __future__ import annotations

from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.node_client import ANSWER, CANDIDATE, OFFER, start_node
from tests.signaling.support import join, let_in, make_room


async def test_offer_answer_and_candidates_travel_between_participant_and_node(
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

        # a person never names a seat: the server adds the caller's own
        ack = await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER,
                                       "seat_id": b_seat.seat_id})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_message"
        # malformed and hostile SDP never reaches the node
        hostile = OFFER + "\r\n".join(["m=audio 9 UDP/TLS/RTP/SAVPF 111"] * 20)
        for sdp in ("not an sdp", hostile, OFFER.replace("m=video", "m=message")):
            ack = await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": sdp})
            assert ack["ok"] is False and ack["error"]["code"] == "invalid_sdp", ack
        ack = await a.call("rtc.candidate", {"pc": "publish", "candidate": "candidate:x y z", "sdp_mid": "0"})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_sdp"
        # the subscribe connection is offered by the node, never by the participant
        ack = await a.call("rtc.sdp", {"pc": "subscribe", "type": "offer", "sdp": OFFER})
        assert ack["ok"] is False
        # still in the lobby: no media at all
        ack = await b.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"

        assert (await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER}))["ok"]
        got = await node.wait("rtc.sdp")  # the first SDP the node ever sees is the valid one
        assert got["seat_id"] == a_seat.seat_id and got["pc"] == "publish" and got["sdp"] == OFFER
        assert (await a.call("rtc.candidate", {"pc": "publish", "candidate": CANDIDATE, "sdp_mid": "0",
                                               "sdp_mline_index": 0}))["ok"]
        cand = await node.wait("rtc.candidate")
        assert cand["seat_id"] == a_seat.seat_id and cand["candidate"] == CANDIDATE

        ack = await node.call("rtc.sdp", {"pc": "publish", "type": "answer", "sdp": ANSWER,
                                          "seat_id": a_seat.seat_id})
        assert ack == {"ok": True}, ack
        answer = await a.wait("rtc.sdp")
        assert answer["type"] == "answer" and answer["seat_id"] is None
        assert (await node.call("rtc.sdp", {"pc": "subscribe", "type": "offer", "sdp": OFFER,
                                            "seat_id": a_seat.seat_id}))["ok"]
        assert (await a.wait("rtc.sdp"))["pc"] == "subscribe"
        assert (await node.call("rtc.candidate", {"pc": "subscribe", "candidate": CANDIDATE,
                                                  "seat_id": a_seat.seat_id}))["ok"]
        assert (await a.wait("rtc.candidate"))["candidate"] == CANDIDATE

        # a node speaks only to seats of meetings it hosts, and always names one
        ack = await node.call("rtc.sdp", {"pc": "subscribe", "type": "offer", "sdp": OFFER,
                                          "seat_id": b_seat.seat_id})
        assert ack["ok"] is False and ack["error"]["code"] == "not_admitted"
        other = await make_room(services, roles=["party"])
        ack = await node.call("rtc.sdp", {"pc": "subscribe", "type": "offer", "sdp": OFFER,
                                          "seat_id": other.seats[0].seat_id})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
        ack = await node.call("rtc.sdp", {"pc": "subscribe", "type": "offer", "sdp": OFFER})
        assert ack["ok"] is False
        assert b.received("rtc.sdp") == [] and host.received("rtc.sdp") == []
    finally:
        for client in (a, b, host, node):
            await client.close()


async def test_without_a_live_node_a_publish_offer_is_refused_then_assigned_when_one_comes(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, roles=["party"])
    a_seat = room.seats[0]
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    node = None
    try:
        await let_in(services, host, a, a_seat)
        ack = await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER})
        assert ack["ok"] is False and ack["error"]["code"] == "no_media_node"
        node = await start_node(live_server.url, services)
        assert (await a.call("rtc.sdp", {"pc": "publish", "type": "offer", "sdp": OFFER}))["ok"]
        routes = await node.wait("node.routes")  # the node learns the room before its first offer
        assert routes["meeting_id"] == room.meeting_id
        assert (await node.wait("rtc.sdp"))["seat_id"] == a_seat.seat_id
        kinds = [e for e, _ in node.events if e in ("node.routes", "rtc.sdp")]
        assert kinds.index("node.routes") < kinds.index("rtc.sdp")
    finally:
        for client in (a, host, *([node] if node else [])):
            await client.close()
