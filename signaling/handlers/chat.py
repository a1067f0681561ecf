"""Chat and raised hands.

A chat message is persisted with the sender's caucus and reaches only the
sender's audience: the main room, or its caucus alone (L11). The server
decides the audience from the seat in the database, never from the client.
"""

from __future__ import annotations

from typing import Any

from odr.meetings.models import ChatMessage
from odr.policy import Permission
from signaling import presence, rooms
from signaling.protocol import ChatOut, ChatSend, HandRaise
from signaling.registry import handles
from signaling.scope import EventScope


@handles("chat.send", Permission.ROOM_CHAT)
async def send(scope: EventScope, message: ChatSend) -> dict[str, Any]:
    seat, meeting = scope.seat, scope.meeting
    assert seat is not None and meeting is not None
    row = ChatMessage(
        meeting_id=meeting.id, seat_id=seat.id, caucus_id=seat.caucus_id, body=message.text, at=scope.now
    )
    scope.uow.session.add(row)
    await scope.uow.session.flush()
    audience = (
        rooms.main_room(meeting.id) if seat.caucus_id is None else rooms.caucus_room(meeting.id, seat.caucus_id)
    )
    scope.emit("chat", ChatOut(
        id=row.id, seat_id=seat.id, display_name=seat.display_name, caucus_id=seat.caucus_id,
        text=row.body, at=scope.now.isoformat(),
    ), room=audience)
    return {"id": row.id}


@handles("hand.raise", Permission.ROOM_HAND)
async def raise_hand(scope: EventScope, message: HandRaise) -> None:
    seat = scope.seat
    assert seat is not None
    if seat.hand_raised == message.raised:
        return
    seat.hand_raised, seat.updated_at = message.raised, scope.now
    await presence.queue_roster(scope)
