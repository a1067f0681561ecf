"""The media node: joins signaling as a server-side participant and drives the forwarders.

It speaks the room protocol over socket.io like a browser does (namespace
``/room``), with a node credential instead of a room token; it never imports
``signaling`` (DESIGN.md), so media nodes deploy and scale on their own.

What it does with each message:

* ``node.routes`` (meeting, version, for each subscriber seat the publisher
  seats whose audio and video it may receive): each subscriber's forwarders
  are re-pointed at once (a feed it may no longer receive is detached before
  anything else), then the version is acknowledged (``node.routes_ack``), then
  each subscriber whose slots changed gets a new subscribe offer. A seat that
  is no longer in the routes is disconnected.
* ``rtc.sdp`` from a participant (the server adds its ``seat_id``): a publish
  offer is answered; a subscribe answer is applied. Offers on one subscribe
  connection are serialized: a change that arrives while an offer waits for
  its answer is sent as the next offer once the answer came.
* ``rtc.candidate``: added to that seat's connection once it has a remote
  description (aiortc itself does not trickle: its SDP carries its candidates).
* Recording (with a ``RecordingConfig``): the routes' ``recording`` list names
  the seats to write (signaling applies the consent rules); each closed
  segment is reported as ``node.segment``, a write failure as
  ``node.recording`` ``failed``, and once a meeting has no recorded seat left
  and every segment is reported, ``node.recording_closed`` (signaling seals
  the manifest when the meeting has ended). See media.recording.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

from media.feed import Feed
from media.recording.segmenter import MeetingRecorder, RecordingConfig, SegmentReport
from media.room import KINDS, ForwardingRoom, MediaConfig
from media.stats import QualitySampler, drop_empty
from media.subscriber import SlotLimitReached, SubscriberConnection

log = logging.getLogger(__name__)

NAMESPACE = "/room"
ANSWER_TIMEOUT_S = 15.0


@dataclass
class _Subscription:
    """One subscriber seat's negotiation state."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    wants_offer: bool = False

    def __post_init__(self) -> None:
        self.answered.set()


@dataclass
class _Meeting:
    room: ForwardingRoom
    seats: set[int] = field(default_factory=set)
    version: int = -1
    subscriptions: dict[int, _Subscription] = field(default_factory=dict)
    pending_candidates: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    recorder: MeetingRecorder | None = None


class MediaNode:
    def __init__(
        self,
        signaling_url: str,
        node_id: str,
        credential: str,
        config: MediaConfig | None = None,
        *,
        heartbeat_seconds: float = 5.0,
        stats_seconds: float = 2.0,
        recording: RecordingConfig | None = None,
    ) -> None:
        self.signaling_url = signaling_url.rstrip("/")
        self.node_id = node_id
        self.credential = credential
        self.config = config or MediaConfig()
        self.heartbeat_seconds = heartbeat_seconds
        self.stats_seconds = stats_seconds
        self.quality = QualitySampler()
        self._stats: asyncio.Task[None] | None = None
        self.recording = recording
        self.meetings: dict[int, _Meeting] = {}
        self._seat_meeting: dict[int, int] = {}
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5)
        self._heartbeat: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._cpu_mark = (time.monotonic(), _cpu_seconds())
        self._register()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        await self.sio.connect(
            self.signaling_url,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"v": 1, "node": self.node_id, "credential": self.credential},
            wait_timeout=10,
        )
        self._heartbeat = asyncio.create_task(self._beat())
        self._stats = asyncio.create_task(self._report_quality())

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._stats is not None:
            self._stats.cancel()
        for meeting in list(self.meetings.values()):
            if meeting.recorder is not None:  # close and report the open segments first
                meeting.recorder.stop_all()
                try:
                    await asyncio.wait_for(meeting.recorder.drain(), ANSWER_TIMEOUT_S)
                except TimeoutError:
                    log.warning("segments of meeting %s not reported before stopping",
                                meeting.recorder.meeting_id)
            await meeting.room.close()
        self.meetings.clear()
        await self.sio.disconnect()

    async def run_forever(self, *, retry_seconds: float = 1.0) -> None:
        """Connect (retrying while signaling is not up yet, as when started beside it), then serve."""
        while True:
            try:
                await self.start()
                break
            except socketio.exceptions.ConnectionError as exc:
                log.info("signaling not reachable yet (%s); retrying", exc)
                await asyncio.sleep(retry_seconds)
        try:
            await self.sio.wait()
        finally:
            await self.stop()

    # ------------------------------------------------------------ socket events
    def _register(self) -> None:
        self.sio.on("node.routes", self.on_routes, namespace=NAMESPACE)
        self.sio.on("rtc.sdp", self.on_sdp, namespace=NAMESPACE)
        self.sio.on("rtc.candidate", self.on_candidate, namespace=NAMESPACE)
        self.sio.on("error", self._on_error, namespace=NAMESPACE)

    async def _on_error(self, payload: Any) -> None:
        log.warning("signaling refused a node event: %s", payload)

    async def emit(self, event: str, payload: dict[str, Any]) -> Any:
        return await self.sio.call(event, payload, namespace=NAMESPACE, timeout=10)

    async def on_routes(self, payload: Mapping[str, Any]) -> None:
        meeting_id, version = int(payload["meeting_id"]), int(payload["version"])
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            meeting = self.meetings[meeting_id] = _Meeting(ForwardingRoom(self.config))
        if version <= meeting.version:
            return  # an older routing arrived late: the newer one already applies
        meeting.version = version
        receive: dict[int, dict[str, list[int]]] = {
            int(seat): {kind: [int(p) for p in kinds.get(kind, [])] for kind in KINDS}
            for seat, kinds in payload.get("receive", {}).items()
        }
        for gone in meeting.seats - set(receive):
            await self._drop_seat(meeting, gone)
        meeting.seats = set(receive)
        for seat in receive:
            self._seat_meeting[seat] = meeting_id
        changed = [seat for seat, kinds in receive.items() if self._repoint(meeting, seat, kinds)]
        await self.emit("node.routes_ack", {"meeting_id": meeting_id, "version": version})
        for seat in changed:
            self._spawn(self._offer(meeting_id, seat))
        caucus = {int(seat): str(c) for seat, c in payload.get("caucus", {}).items()}
        self._record(meeting_id, meeting, {int(s) for s in payload.get("recording", [])}, caucus)

    def _repoint(self, meeting: _Meeting, seat: int, kinds: Mapping[str, list[int]]) -> bool:
        """Point ``seat``'s forwarders at exactly the allowed feeds; True if an offer is due."""
        room = meeting.room
        feeds = [
            room.feed(str(pub), kind)
            for kind in KINDS
            for pub in kinds.get(kind, [])
            if pub != seat
        ]
        try:
            return room.subscriber(str(seat)).set_feeds(feeds)
        except SlotLimitReached:
            # a fresh subscribe connection starts with only the slots it needs
            old = room.subscribers.pop(str(seat))
            old.set_feeds([])
            self._spawn(old.close())
            return room.subscriber(str(seat)).set_feeds(feeds)

    async def _offer(self, meeting_id: int, seat: int) -> None:
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return
        sub = meeting.subscriptions.setdefault(seat, _Subscription())
        sub.wants_offer = True
        async with sub.lock:
            while sub.wants_offer:
                try:
                    await asyncio.wait_for(sub.answered.wait(), ANSWER_TIMEOUT_S)
                except TimeoutError:
                    log.warning("seat %s did not answer its subscribe offer; offering again", seat)
                conn = meeting.room.subscribers.get(str(seat))
                if conn is None or seat not in meeting.seats:
                    return
                sub.wants_offer = False
                offer = await conn.create_offer()
                sub.answered.clear()
                await self.emit(
                    "rtc.sdp",
                    {
                        "pc": "subscribe",
                        "type": "offer",
                        "sdp": offer.sdp,
                        "seat_id": seat,
                        "layout": _seat_layout(conn),
                    },
                )

    async def on_sdp(self, payload: Mapping[str, Any]) -> None:
        seat = int(payload["seat_id"])
        meeting = self._meeting_of(seat)
        if meeting is None:
            log.warning("sdp for seat %s, which no routing names yet", seat)
            return
        description = RTCSessionDescription(sdp=str(payload["sdp"]), type=str(payload["type"]))
        if payload["pc"] == "publish" and description.type == "offer":
            answer = await meeting.room.publish(str(seat), description)
            await self._flush_candidates(meeting, seat, "publish")
            await self.emit(
                "rtc.sdp", {"pc": "publish", "type": "answer", "sdp": answer.sdp, "seat_id": seat}
            )
        elif payload["pc"] == "subscribe" and description.type == "answer":
            await meeting.room.subscriber_answer(str(seat), description)
            await self._flush_candidates(meeting, seat, "subscribe")
            meeting.subscriptions.setdefault(seat, _Subscription()).answered.set()

    async def on_candidate(self, payload: Mapping[str, Any]) -> None:
        seat = int(payload["seat_id"])
        meeting = self._meeting_of(seat)
        if meeting is None or not payload.get("candidate"):
            return
        kind = str(payload["pc"])
        pc = self._pc(meeting, seat, kind)
        if pc is None or pc.remoteDescription is None:
            meeting.pending_candidates.setdefault((seat, kind), []).append(dict(payload))
            return
        await _add_candidate(pc, payload)

    # ------------------------------------------------------------ recording
    def _record(
        self, meeting_id: int, meeting: _Meeting, seats: set[int], caucus: Mapping[int, str]
    ) -> None:
        """Record exactly ``seats`` (signaling's ``recording`` list) of this meeting."""
        if self.recording is None:
            return
        recorder = meeting.recorder
        if recorder is None:
            if not seats:
                return
            recorder = meeting.recorder = MeetingRecorder(
                meeting_id, self.recording, report=self._report_segment,
                on_failed=lambda detail: self._report_failure(meeting_id, detail),
            )
            meeting.room.on_feed_created = recorder.feed_created
        room = meeting.room

        def feed_for(seat: int, kind: str) -> Feed:
            return room.feed(str(seat), kind)

        recorder.sync(seats & meeting.seats, feed_for, caucus)
        if not recorder.active and recorder.unannounced:
            self._spawn(self._announce_closed(recorder))
        if recorder.failed is not None and not seats:
            # signaling took the failure in (recording is off); a later start tries afresh
            meeting.recorder = None
            meeting.room.on_feed_created = None

    async def _announce_closed(self, recorder: MeetingRecorder) -> None:
        await recorder.drain()
        if recorder.active or not recorder.unannounced:
            return
        recorder.unannounced = False
        await self.emit("node.recording_closed",
                        {"meeting_id": recorder.meeting_id, "segments": recorder.reported})

    async def _report_segment(self, report: SegmentReport) -> None:
        ack = await self.emit("node.segment", {
            "meeting_id": report.meeting_id, "seat_id": report.seat_id, "track": report.track,
            "sequence": report.sequence, "storage_key": report.storage_key,
            "caucus_id": report.caucus_id,
            "sha256": report.sha256, "size": report.size,
            "started_at": report.started_at.isoformat(), "ended_at": report.ended_at.isoformat(),
            "media_start_ms": report.media_start_ms, "duration_ms": report.duration_ms,
        })
        if not (isinstance(ack, dict) and ack.get("ok")):
            log.warning("signaling refused segment %s of seat %s: %s",
                        report.sequence, report.seat_id, ack)

    async def _report_failure(self, meeting_id: int, detail: str) -> None:
        await self.emit("node.recording",
                        {"meeting_id": meeting_id, "state": "failed", "detail": detail[:500]})

    # ------------------------------------------------------------ helpers
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run in the background, keeping a reference until done (asyncio holds only weak ones)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _meeting_of(self, seat: int) -> _Meeting | None:
        meeting_id = self._seat_meeting.get(seat)
        return self.meetings.get(meeting_id) if meeting_id is not None else None

    @staticmethod
    def _pc(meeting: _Meeting, seat: int, kind: str) -> RTCPeerConnection | None:
        if kind == "publish":
            pub = meeting.room.publishers.get(str(seat))
            return pub.pc if pub is not None else None
        sub: SubscriberConnection | None = meeting.room.subscribers.get(str(seat))
        return sub.pc if sub is not None else None

    async def _flush_candidates(self, meeting: _Meeting, seat: int, kind: str) -> None:
        pc = self._pc(meeting, seat, kind)
        if pc is None:
            return
        for candidate in meeting.pending_candidates.pop((seat, kind), []):
            await _add_candidate(pc, candidate)

    async def _drop_seat(self, meeting: _Meeting, seat: int) -> None:
        self.quality.forget(seat)
        meeting.subscriptions.pop(seat, None)
        self._seat_meeting.pop(seat, None)
        await meeting.room.leave(str(seat))

    def load(self) -> dict[str, float | int]:
        streams = sum(len(m.room.feeds) for m in self.meetings.values())
        now, cpu = time.monotonic(), _cpu_seconds()
        then, cpu_then = self._cpu_mark
        self._cpu_mark = (now, cpu)
        share = (cpu - cpu_then) / (now - then) if now > then else 0.0
        return {"rooms": len(self.meetings), "streams": streams, "cpu_load": round(share, 3)}

    async def _beat(self) -> None:
        while True:
            try:
                if self.sio.connected:
                    await self.emit("node.heartbeat", self.load())
            except Exception:  # a missed beat is retried at the next one
                log.exception("media node heartbeat failed")
            await asyncio.sleep(self.heartbeat_seconds)


    async def quality_of(self, meeting_id: int) -> dict[int, dict[str, float]]:
        """Network quality of each seat of a meeting this node hosts (see media.stats)."""
        meeting = self.meetings.get(meeting_id)
        if meeting is None:
            return {}
        seats: dict[int, dict[str, float]] = {}
        for seat in sorted(meeting.seats):
            feed = meeting.room.feeds.get((str(seat), "video"))
            seats[seat] = await self.quality.sample(
                seat, self._pc(meeting, seat, "publish"), self._pc(meeting, seat, "subscribe"),
                feed.frames_in if feed is not None else 0,
            )
        return drop_empty(seats)

    async def _report_quality(self) -> None:
        while True:
            await asyncio.sleep(self.stats_seconds)
            for meeting_id in list(self.meetings):
                try:
                    seats = await self.quality_of(meeting_id)
                    if seats and self.sio.connected:
                        await self.emit("node.stats", {"meeting_id": meeting_id, "seats": seats})
                except Exception:  # a lost sample is replaced by the next one
                    log.exception("network quality of meeting %s not reported", meeting_id)


def _seat_layout(conn: SubscriberConnection) -> dict[str, int | None]:
    """mid -> the seat whose media the slot carries (the page maps tracks with it)."""
    return {mid: (int(key[0]) if key is not None else None) for mid, key in conn.layout().items()}


async def _add_candidate(pc: RTCPeerConnection, payload: Mapping[str, Any]) -> None:
    line = str(payload["candidate"])
    candidate = candidate_from_sdp(line.removeprefix("candidate:"))
    candidate.sdpMid = payload.get("sdp_mid")
    candidate.sdpMLineIndex = payload.get("sdp_mline_index")
    try:
        await pc.addIceCandidate(candidate)
    except Exception:  # a malformed or late candidate must not stop the node
        log.warning("ICE candidate refused", exc_info=True)


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system
