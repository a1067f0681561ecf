"""Media nodes: their identity, heartbeat and load, which room each hosts, and dead-node moves.

A media node (``odr media``) is a separate process with its own identity: a
name and a random credential printed once by ``odr media-node add NAME``; the
database keeps only the credential's SHA-256 (a 256-bit random secret needs no
slow hash) and compares in constant time. The node connects to the ``/room``
namespace with ``ConnectAuth(node=NAME, credential=...)``; ``signaling.connection``
hands such a connect to ``authenticate_node``.

Each open meeting is hosted by one node (``Meeting.media_node_id``), chosen by
``assign_node`` among live nodes (active, heartbeat within
``media_node_dead_after_seconds``), least loaded first: fewest meetings
assigned, then lowest reported CPU load, then fewest streams, then name.

``sweep_media_nodes`` (a beat task) declares nodes without a heartbeat for
``media_node_dead_after_seconds`` dead, moves each of their meetings to a live
node, sends that node the meeting's routes and tells the meeting's
participants to renegotiate (``rtc.restart``). An open meeting left with no
node (none was live) gets one, the same way, once one is.

Route acknowledgements and network statistics are kept by the socket.io
server the node is connected to (one process): ``acked_version`` and
``latest_stats``; ``wait_for_ack`` lets a test or the benchmark wait for a
change to be applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import socketio
from pydantic import ValidationError
from sqlalchemy import func, or_, select

from odr.audit.chain import record as audit
from odr.db.uow import UnitOfWork
from odr.meetings.models import MediaNode, MediaNodeStatus, Meeting, MeetingStatus
from odr.meetings.recordings.segments import finalize_recording
from odr.policy import MEDIA_NODE_ROLE, Actor
from odr.services import Services
from odr.settings import Settings
from signaling.protocol import NAMESPACE, ConnectAuth, RtcRestart
from signaling.rooms import everyone_room, node_room
from signaling.routing import current_routes
from signaling.scope import Caller

if TYPE_CHECKING:
    from signaling.server import RoomNamespace

log = logging.getLogger(__name__)

NODE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LIVE_MEETINGS = (MeetingStatus.SCHEDULED, MeetingStatus.OPEN)
_DEFAULT_DEAD_AFTER = int(Settings.model_fields["media_node_dead_after_seconds"].default)

Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]  # (event, payload, room)


# ---------------------------------------------------------------- credentials
_NO_NODE_HASH = "0" * 64


def new_credential() -> str:
    return secrets.token_urlsafe(32)


def hash_credential(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def credential_matches(credential: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_credential(credential), stored_hash)


async def register_node(services: Services, name: str) -> str:
    """Create the node ``name`` (or give it a new credential); returns the credential, shown once."""
    if not NODE_NAME.match(name):
        raise ValueError("a node name is 1-64 letters, digits, '.', '_' or '-'")
    credential = new_credential()
    now = services.clock.now()
    async with services.db.uow() as uow:
        node = await uow.session.get(MediaNode, name)
        rotated = node is not None
        if node is None:
            node = MediaNode(id=name, status=MediaNodeStatus.ACTIVE, registered_at=now,
                             credential_hash="")
            uow.session.add(node)
        node.credential_hash = hash_credential(credential)
        await audit(uow, services.clock, action="media_node.credential_rotated" if rotated
                    else "media_node.registered", actor_label="odr media-node add",
                    subject_type="media_node", subject_id=name)
    return credential


# ---------------------------------------------------------------- connecting
async def authenticate_node(ns: RoomNamespace, sid: str, auth: ConnectAuth | dict[str, Any]) -> Caller:
    """Accept a media node's connect: check its credential, mark it alive, enter its room.

    Refuses with ``socketio.exceptions.ConnectionRefusedError``. Once in, the
    node gets the current routes of every meeting it hosts (a restarted node
    picks its rooms up again).
    """
    if not isinstance(auth, ConnectAuth):
        try:
            auth = ConnectAuth.model_validate(auth)
        except ValidationError as exc:
            raise socketio.exceptions.ConnectionRefusedError("invalid connect payload") from exc
    if not auth.node or not auth.credential:
        raise socketio.exceptions.ConnectionRefusedError("a media node gives its name and credential")
    services = ns.services
    now = services.clock.now()
    async with services.db.uow() as uow:
        node = await uow.session.get(MediaNode, auth.node)
        stored = node.credential_hash if node is not None else _NO_NODE_HASH  # same work either way
        if not credential_matches(auth.credential, stored) or node is None:
            log.warning("media node refused", extra={"node": auth.node})
            raise socketio.exceptions.ConnectionRefusedError("unknown node or wrong credential")
        node.last_heartbeat_at = now
        if node.status == MediaNodeStatus.DEAD:
            node.status = MediaNodeStatus.ACTIVE
        meetings = (
            await uow.session.execute(
                select(Meeting).where(
                    Meeting.media_node_id == node.id, Meeting.status.in_(LIVE_MEETINGS)
                )
            )
        ).scalars().all()
        routes = [await current_routes(uow.session, m) for m in meetings]
    caller = Caller(sid=sid, kind="node", actor=Actor(user_id=None, role=MEDIA_NODE_ROLE),
                    node_id=auth.node)
    await ns.save_session(sid, {"caller": caller})
    await ns.enter_room(sid, node_room(auth.node))
    for r in routes:
        await ns.emit("node.routes", r.model_dump(mode="json"), to=sid)
    log.info("media node connected", extra={"node": auth.node, "meetings": len(routes)})
    return caller


# ---------------------------------------------------------------- liveness and load
def dead_after_of(settings: Settings | None) -> timedelta:
    seconds = settings.media_node_dead_after_seconds if settings else _DEFAULT_DEAD_AFTER
    return timedelta(seconds=seconds)


def is_live(node: MediaNode, now: datetime, dead_after: timedelta) -> bool:
    return (
        node.status == MediaNodeStatus.ACTIVE
        and node.last_heartbeat_at is not None
        and node.last_heartbeat_at >= now - dead_after
    )


def heartbeat(node: MediaNode, now: datetime, *, rooms: int, streams: int, cpu_load: float) -> None:
    node.last_heartbeat_at = now
    node.rooms, node.streams, node.cpu_load = rooms, streams, cpu_load
    if node.status == MediaNodeStatus.DEAD:
        node.status = MediaNodeStatus.ACTIVE  # it came back; it takes new rooms again


async def assign_node(
    uow: UnitOfWork, meeting: Meeting, now: datetime, *, settings: Settings | None = None,
    exclude: frozenset[str] = frozenset(),
) -> MediaNode | None:
    """Host ``meeting`` on the least loaded live node (sets ``meeting.media_node_id``).

    Keeps a live node already assigned. ``None``: no live node (the meeting
    keeps no node; the next publish or sweep tries again).
    """
    session = uow.session
    dead_after = dead_after_of(settings)
    if meeting.media_node_id and meeting.media_node_id not in exclude:
        current = await session.get(MediaNode, meeting.media_node_id)
        if current is not None and is_live(current, now, dead_after):
            return current
    hosted = (
        select(Meeting.media_node_id, func.count().label("n"))
        .where(Meeting.status.in_(LIVE_MEETINGS), Meeting.media_node_id.is_not(None),
               Meeting.id != meeting.id)
        .group_by(Meeting.media_node_id)
        .subquery()
    )
    query = (
        select(MediaNode)
        .outerjoin(hosted, hosted.c.media_node_id == MediaNode.id)
        .where(
            MediaNode.status == MediaNodeStatus.ACTIVE,
            MediaNode.last_heartbeat_at >= now - dead_after,
        )
        .order_by(func.coalesce(hosted.c.n, 0), MediaNode.cpu_load, MediaNode.streams, MediaNode.id)
    )
    if exclude:
        query = query.where(MediaNode.id.not_in(exclude))
    node = (await session.execute(query.limit(1))).scalars().first()
    meeting.media_node_id = node.id if node is not None else None
    return node


# ---------------------------------------------------------------- acks and stats (per server)
@dataclass
class _NodeObservations:
    acked: dict[int, int] = field(default_factory=dict)
    stats: dict[int, dict[int, dict[str, float]]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


_seen: weakref.WeakKeyDictionary[socketio.AsyncServer, _NodeObservations] = weakref.WeakKeyDictionary()


def _observations(sio: socketio.AsyncServer) -> _NodeObservations:
    seen = _seen.get(sio)
    if seen is None:
        seen = _seen[sio] = _NodeObservations()
    return seen


def note_routes_ack(sio: socketio.AsyncServer, meeting_id: int, version: int) -> None:
    seen = _observations(sio)
    if version > seen.acked.get(meeting_id, -1):
        seen.acked[meeting_id] = version
    seen.changed.set()


def acked_version(sio: socketio.AsyncServer, meeting_id: int) -> int | None:
    """The highest routes version the meeting's node acknowledged to this server."""
    return _observations(sio).acked.get(meeting_id)


async def wait_for_ack(sio: socketio.AsyncServer, meeting_id: int, version: int, timeout: float) -> bool:
    """Wait until the node acknowledged ``version`` (or later) of the meeting's routes."""
    seen = _observations(sio)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while seen.acked.get(meeting_id, -1) < version:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        seen.changed.clear()
        try:
            await asyncio.wait_for(seen.changed.wait(), timeout=remaining)
        except TimeoutError:
            return False
    return True


def note_stats(sio: socketio.AsyncServer, meeting_id: int, seats: dict[int, dict[str, float]]) -> None:
    _observations(sio).stats.setdefault(meeting_id, {}).update(seats)


def latest_stats(sio: socketio.AsyncServer, meeting_id: int) -> dict[int, dict[str, float]]:
    return dict(_observations(sio).stats.get(meeting_id, {}))


# ---------------------------------------------------------------- dead nodes
@dataclass
class NodeSweepStats:
    dead: int = 0
    moved: int = 0
    stranded: int = 0  # meetings left without a live node
    sealed: int = 0  # ended meetings whose recording the dead node never closed


def namespace_emitter(sio: socketio.AsyncServer) -> Emit:
    """Emit on the ``/room`` namespace (the web process; with Redis, any process)."""

    async def emit(event: str, payload: dict[str, Any], room: str) -> None:
        await sio.emit(event, payload, room=room, namespace=NAMESPACE)

    return emit


def live_event_emitter(services: Services) -> Emit:
    """Emit from a process without the socket.io server (a Celery worker): through the
    live-event table, which every web process relays (``signaling.rooms.namespace_for``)."""
    from odr.outbox.live import publish_live_event

    async def emit(event: str, payload: dict[str, Any], room: str) -> None:
        async with services.db.uow() as uow:
            await publish_live_event(uow, services.clock, room, event, payload)

    return emit


async def sweep_media_nodes(services: Services, emit: Emit | None = None) -> NodeSweepStats:
    """Declare silent nodes dead and move their meetings to live nodes.

    One transaction per dead node: the node is re-read (locked on PostgreSQL)
    and checked again, so two sweeps at once move a room once. After the
    commit the new node gets each moved meeting's routes and the meeting's
    participants get ``rtc.restart``. ``emit`` defaults to the live-event table
    (the beat task runs in a worker); a web process passes ``namespace_emitter(sio)``.
    """
    emit = emit or live_event_emitter(services)
    now = services.clock.now()
    dead_after = dead_after_of(services.settings)
    cutoff = now - dead_after
    stats = NodeSweepStats()
    async with services.db.reader() as reader:
        names = (
            await reader.session.execute(
                select(MediaNode.id).where(
                    MediaNode.status != MediaNodeStatus.DEAD,
                    or_(
                        MediaNode.last_heartbeat_at < cutoff,
                        MediaNode.last_heartbeat_at.is_(None) & (MediaNode.registered_at < cutoff),
                    ),
                )
            )
        ).scalars().all()
    for name in names:
        sends: list[tuple[str, dict[str, Any], str]] = []
        async with services.db.uow() as uow:
            node = (
                await uow.session.execute(
                    select(MediaNode).where(MediaNode.id == name).with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if node is None or node.status == MediaNodeStatus.DEAD:
                continue
            last = node.last_heartbeat_at or node.registered_at
            if last >= cutoff:
                continue
            node.status = MediaNodeStatus.DEAD
            stats.dead += 1
            meetings = (
                await uow.session.execute(
                    select(Meeting).where(
                        Meeting.media_node_id == name, Meeting.status.in_(LIVE_MEETINGS)
                    ).order_by(Meeting.id).with_for_update()
                )
            ).scalars().all()
            moves: dict[int, str | None] = {}
            for meeting in meetings:
                new = await assign_node(uow, meeting, now, settings=services.settings,
                                        exclude=frozenset({name}))
                meeting.routing_version = (meeting.routing_version or 0) + 1
                meeting.updated_at = now
                moves[meeting.id] = new.id if new else None
                restart = RtcRestart(meeting_id=meeting.id, reason="node_lost",
                                     node_available=new is not None)
                if new is not None:
                    stats.moved += 1
                    await uow.session.flush()
                    routes = await current_routes(uow.session, meeting)
                    sends.append(("node.routes", routes.model_dump(mode="json"), node_room(new.id)))
                else:
                    stats.stranded += 1
                sends.append(("rtc.restart", restart.model_dump(mode="json"), everyone_room(meeting.id)))
            # Meetings that ended while this node still held their last segments: the node
            # never said recording_closed, so seal what it reported (a crash loses the open one).
            ended = (
                await uow.session.execute(
                    select(Meeting).where(
                        Meeting.media_node_id == name, Meeting.status == MeetingStatus.ENDED,
                        Meeting.manifest_sha256.is_(None),
                    ).order_by(Meeting.id)
                )
            ).scalars().all()
            for meeting in ended:
                if await finalize_recording(uow, services, meeting) is not None:
                    stats.sealed += 1
            await audit(uow, services.clock, action="media_node.dead", actor_label="media node sweep",
                        subject_type="media_node", subject_id=name,
                        data={"last_heartbeat_at": last.isoformat(),
                              "moved": {str(k): v for k, v in moves.items()}})
        log.warning("media node dead", extra={"node": name, "meetings": len(moves)})
        for event, payload, room in sends:
            await emit(event, payload, room)
    await _rehome_stranded(services, emit, now, stats)
    return stats


async def _rehome_stranded(services: Services, emit: Emit, now: datetime, stats: NodeSweepStats) -> None:
    """Open meetings left without a node (none was live) get one as soon as one is."""
    async with services.db.reader() as reader:
        ids = (
            await reader.session.execute(
                select(Meeting.id).where(
                    Meeting.status == MeetingStatus.OPEN, Meeting.media_node_id.is_(None)
                ).order_by(Meeting.id)
            )
        ).scalars().all()
    for meeting_id in ids:
        sends: list[tuple[str, dict[str, Any], str]] = []
        async with services.db.uow() as uow:
            meeting = (
                await uow.session.execute(
                    select(Meeting).where(Meeting.id == meeting_id).with_for_update()
                )
            ).scalar_one_or_none()
            if meeting is None or meeting.media_node_id is not None:
                continue
            node = await assign_node(uow, meeting, now, settings=services.settings)
            if node is None:
                return  # no live node at all: nothing else will find one either
            meeting.routing_version = (meeting.routing_version or 0) + 1
            meeting.updated_at = now
            await uow.session.flush()
            routes = await current_routes(uow.session, meeting)
            sends.append(("node.routes", routes.model_dump(mode="json"), node_room(node.id)))
            restart = RtcRestart(meeting_id=meeting.id, reason="node_lost", node_available=True)
            sends.append(("rtc.restart", restart.model_dump(mode="json"), everyone_room(meeting.id)))
            stats.moved += 1
        for event, payload, room in sends:
            await emit(event, payload, room)
