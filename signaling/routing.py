"""Who may receive whom: the media routing instructions, computed from the seats (L11).

``compute_receive`` is pure: for each seat of the meeting, the publisher seats
whose audio and whose video it may receive.

* Only admitted seats publish or receive; a seat in the lobby (in a hearing:
  a witness in the waiting room), denied, left or removed gets nothing and
  reaches nobody.
* Seats hear and see only seats of their own room: the main room, or the
  same caucus. Caucus media never leaves the caucus, and the main room never
  reaches into one (L11).
* A seat muted by the host reaches nobody with its audio (and with its video
  when its video is muted by the host).

``queue_routes(scope)`` is what every handler that changes seats calls: it
bumps ``Meeting.routing_version`` in the handler's transaction and queues
``node.routes`` (``protocol.Routes``) to the room's media node, sent after the
commit. The node applies it and answers ``node.routes_ack`` with the version.
``receive`` names exactly the admitted seats (an admitted seat alone in its
caucus has empty lists): a seat missing from it has no media at all, and the
node drops its connections. It also tells the node which meeting a seat is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.meetings.models import Caucus, Meeting, MeetingSeat, MeetingStatus, SeatState
from signaling.protocol import Routes
from signaling.recording_rules import recorded_seats
from signaling.rooms import node_room

if TYPE_CHECKING:
    from signaling.scope import EventScope

Receive = dict[int, dict[str, list[int]]]


class RoutedSeat(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def caucus_id(self) -> str | None: ...
    @property
    def audio_muted_by_host(self) -> bool: ...
    @property
    def video_muted_by_host(self) -> bool: ...


def compute_receive(seats: Iterable[RoutedSeat]) -> Receive:
    """admitted subscriber seat id -> {"audio": [publisher ids], "video": [publisher ids]} (sorted)."""
    seats = sorted(seats, key=lambda s: s.id)
    admitted = [s for s in seats if s.state == SeatState.ADMITTED]
    receive: Receive = {}
    for sub in admitted:
        audio: list[int] = []
        video: list[int] = []
        for pub in admitted:
            if pub.id == sub.id or pub.caucus_id != sub.caucus_id:
                continue
            if not pub.audio_muted_by_host:
                audio.append(pub.id)
            if not pub.video_muted_by_host:
                video.append(pub.id)
        receive[sub.id] = {"audio": audio, "video": video}
    return receive


def build_routes(
    meeting_id: int, version: int, kind: str, recording_state: str,
    seats: Iterable[MeetingSeat], caucus_consent: Mapping[str, bool | None],
) -> Routes:
    seats = list(seats)
    return Routes(
        meeting_id=meeting_id, version=version, receive=compute_receive(seats),
        recording=recorded_seats(kind, recording_state, seats, caucus_consent),
        caucus={s.id: s.caucus_id for s in seats
                if s.state == SeatState.ADMITTED and s.caucus_id is not None},
    )


async def current_routes(session: AsyncSession, meeting: Meeting) -> Routes:
    """The routes of ``meeting`` at its current ``routing_version`` (read from the database)."""
    seats = (
        await session.execute(select(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id))
    ).scalars().all()
    caucuses = (
        await session.execute(
            select(Caucus.id, Caucus.recording_consented).where(
                Caucus.meeting_id == meeting.id, Caucus.closed_at.is_(None)
            )
        )
    ).all()
    return build_routes(
        meeting.id, meeting.routing_version, meeting.kind, meeting.recording_state, seats,
        {cid: consented for cid, consented in caucuses},
    )


async def queue_routes(scope: EventScope) -> Routes:
    """Bump the meeting's routing version and queue the new routes to its media node.

    Call it after changing seats (state, caucus, host mutes) or the recording
    state, inside the handler's transaction. An open meeting without a node
    gets the least loaded live one here (so opening the meeting assigns it);
    with none live the version still moves, and the node assigned later gets
    the routes then.
    """
    meeting = scope.meeting
    assert meeting is not None, "queue_routes needs the meeting loaded"
    if meeting.media_node_id is None and meeting.status == MeetingStatus.OPEN:
        from signaling.nodes import assign_node  # nodes imports this module

        await assign_node(scope.uow, meeting, scope.now, settings=scope.services.settings)
    meeting.routing_version = (meeting.routing_version or 0) + 1
    meeting.updated_at = scope.now
    await scope.uow.session.flush()
    routes = await current_routes(scope.uow.session, meeting)
    if meeting.media_node_id:
        scope.emit("node.routes", routes, room=node_room(meeting.media_node_id))
    return routes
