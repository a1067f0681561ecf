"""Names of the socket.io rooms one meeting uses (the only place they are spelled).

Each connection joins ``seat`` (its own seat: emits reach it on any process)
and, by its state, ``main`` (admitted, not in a caucus), ``caucus`` (admitted
into that caucus), ``hosts`` (the host and co-hosts allowed to admit: lobby
news) and ``everyone`` (every connected seat of the meeting, lobby included:
the meeting ended, the recording indicator). A media node joins ``node``.
"""

from __future__ import annotations


def seat_room(meeting_id: int, seat_id: int) -> str:
    return f"m:{meeting_id}:seat:{seat_id}"


def main_room(meeting_id: int) -> str:
    return f"m:{meeting_id}:main"


def caucus_room(meeting_id: int, caucus_id: str) -> str:
    return f"m:{meeting_id}:caucus:{caucus_id}"


def hosts_room(meeting_id: int) -> str:
    return f"m:{meeting_id}:hosts"


def everyone_room(meeting_id: int) -> str:
    return f"m:{meeting_id}:all"


def node_room(node_id: str) -> str:
    return f"node:{node_id}"


def namespace_for(room: str) -> str:
    """The socket.io namespace a room lives in: meeting and node rooms are ``/room``'s.

    Live events published outside a web process (``odr.outbox.live``) name only a
    room; whoever emits them asks this for the namespace.
    """
    from signaling.protocol import NAMESPACE

    return NAMESPACE if room.startswith(("m:", "node:")) else "/"
