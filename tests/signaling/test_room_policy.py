"""Every ROOM_* permission, walked over role × delegation × seat state × meeting status × target.

The expectations are written here from the rules as the issue states them
(not from ``odr.policy.meetings``): the host holds every control, a co-host
only those delegated, a seat in the lobby does nothing but its own entry
checks, recording consent and leaving, and nothing happens in a room that
is not open.
"""

from __future__ import annotations

import itertools

import pytest

from odr.meetings.models import Control
from odr.policy import Actor, Permission, RoomView, SeatView, decide

ROOM_PERMISSIONS = [p for p in Permission if p.name.startswith("ROOM_")]

# permission -> the host control it needs (None: no control; "host": the host alone)
CONTROL_OF: dict[Permission, str | None] = {
    Permission.ROOM_ENTRY: None,
    Permission.ROOM_ADMIT: Control.ADMIT,
    Permission.ROOM_CHAT: None,
    Permission.ROOM_HAND: None,
    Permission.ROOM_MUTE: Control.MUTE,
    Permission.ROOM_REMOVE: Control.REMOVE,
    Permission.ROOM_LOCK: Control.LOCK,
    Permission.ROOM_DELEGATE: "host",
    Permission.ROOM_WARN: "host",
    Permission.ROOM_GRANT_LEAVE: "host",
    Permission.ROOM_END: Control.END,
    Permission.ROOM_CAUCUS: Control.CAUCUS,
    Permission.ROOM_RECORDING_CONSENT: None,
    Permission.ROOM_RECORDING_CONTROL: Control.RECORDING,
    Permission.ROOM_RECORD_WRITE: Control.RECORD,
    Permission.ROOM_FACT_CONFIRM: None,
    Permission.ROOM_LEAVE: None,
    Permission.ROOM_MEDIA: None,
}
IN_LOBBY_TOO = {Permission.ROOM_ENTRY, Permission.ROOM_RECORDING_CONSENT, Permission.ROOM_LEAVE}
ON_A_TARGET = {
    Permission.ROOM_ADMIT, Permission.ROOM_MUTE, Permission.ROOM_REMOVE, Permission.ROOM_DELEGATE,
    Permission.ROOM_WARN, Permission.ROOM_GRANT_LEAVE,
}
NOT_OBSERVERS = {Permission.ROOM_CHAT, Permission.ROOM_HAND}
PARTY_SIDE_ONLY = {Permission.ROOM_FACT_CONFIRM}

# (label, role, delegated controls)
SEATS = [
    ("host", "host", frozenset()),
    ("co_host", "co_host", frozenset()),
    ("co_host+all", "co_host", frozenset(Control)),
    ("co_host+mute", "co_host", frozenset({Control.MUTE})),
    ("party", "party", frozenset()),
    ("agent", "agent", frozenset()),
    ("witness", "witness", frozenset()),
    ("interpreter", "interpreter", frozenset()),
    ("observer", "observer", frozenset()),
    ("party+all (not a co-host)", "party", frozenset(Control)),
]
STATES = ["invited", "lobby", "admitted", "left", "denied", "removed"]
STATUSES = ["scheduled", "open", "ended", "cancelled"]
TARGETS = ["party", "host", "self", None]


def test_the_table_covers_every_room_permission() -> None:
    assert set(CONTROL_OF) == set(ROOM_PERMISSIONS)


def expected(perm: Permission, role: str, delegated: frozenset[str], state: str, status: str,
             target: str | None) -> bool:
    if status != "open" and not (perm in IN_LOBBY_TOO and status == "scheduled"):
        return False  # the lobby fills (entry checks, consent, leaving) before the host opens the room
    if perm not in IN_LOBBY_TOO and state != "admitted":
        return False
    if perm in ON_A_TARGET and target not in ("party",):
        return False
    control = CONTROL_OF[perm]
    if control == "host":
        return role == "host"
    if control is not None:
        return role == "host" or (role == "co_host" and control in delegated)
    if perm in NOT_OBSERVERS:
        return role != "observer"
    if perm in PARTY_SIDE_ONLY:
        return role in ("party", "agent")
    return True


def view(role: str, delegated: frozenset[str], state: str, status: str, target: str | None,
         kind: str) -> RoomView:
    me = SeatView(seat_id=1, role=role, state=state, side=None, delegated=delegated)
    target_view = {
        "party": SeatView(seat_id=2, role="party", state="admitted", side="respondent"),
        "host": SeatView(seat_id=3, role="host", state="admitted"),
        "self": me,
        None: None,
    }[target]
    return RoomView(meeting_id=1, kind=kind, status=status, me=me, target=target_view)


@pytest.mark.parametrize("perm", ROOM_PERMISSIONS, ids=lambda p: p.name)
def test_room_permission_table(perm: Permission) -> None:
    """The socket event rules, for a user and for a guest (room rules look at the seat only)."""
    mismatches = []
    for (label, role, delegated), state, status, target, kind, actor in itertools.product(
        SEATS, STATES, STATUSES, TARGETS, ("mediation", "hearing"),
        (Actor(user_id=7, role="party"), Actor(user_id=None, role=None)),
    ):
        got = bool(decide(actor, perm, view(role, delegated, state, status, target, kind)))
        want = expected(perm, role, delegated, state, status, target)
        if got != want:
            mismatches.append((label, state, status, target, kind, actor.user_id, got))
    assert mismatches == []


def test_room_rules_refuse_without_a_room_and_a_media_node_role_gets_no_room_rights() -> None:
    for perm in ROOM_PERMISSIONS:
        assert not decide(Actor(user_id=1, role="mediator"), perm, None)
        assert not decide(Actor(user_id=None, role="media_node"), perm, None)
    assert decide(Actor(user_id=None, role="media_node"), Permission.MEDIA_NODE_EVENT, None)
    assert not decide(Actor(user_id=1, role="mediator"), Permission.MEDIA_NODE_EVENT, None)
