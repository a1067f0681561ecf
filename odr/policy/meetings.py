"""Rules of the meetings part: scheduling over HTTP (decided on a ``MeetingView``)
and every live room event (decided on a ``RoomView``: the caller's seat, the
target seat, the meeting's state).

A room rule never trusts what the client says about itself: the signaling
server builds the ``RoomView`` from the database (the seat bound to the
connection's verified token), then asks ``authorize``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from odr.cases.lifecycle import TERMINAL, CaseStatus
from odr.policy.core import (
    ALLOW,
    Actor,
    CaseView,
    Decision,
    Rule,
    acts_for_party,
    anyone,
    case_rule,
    is_case_mediator,
    is_case_staff,
    is_court_staff,
    is_institution_staff,
    is_verified,
)
from odr.policy.permissions import Permission

# -------------------------------------------------------------------- HTTP (meetings)
_MEDIATION_STATES = frozenset({CaseStatus.IN_MEDIATION})
_HEARING_STATES = (frozenset(CaseStatus) - TERMINAL) | {CaseStatus.CONFIRMATION_APPLIED}


@dataclass(frozen=True)
class MeetingView:
    """A meeting as the policy sees it: its case, kind, status, host and seat holders."""

    case: CaseView
    meeting_id: int | None  # None: a meeting about to be scheduled
    kind: str  # mediation | hearing
    status: str = "scheduled"
    host_user_id: int | None = None
    seat_user_ids: frozenset[int] = frozenset()


def _hosts(actor: Actor, m: MeetingView) -> bool:
    """The mediator of a mediation; a judge (or clerk) of the case's court for a hearing."""
    if m.kind == "hearing":
        return is_court_staff(actor, m.case)
    return is_case_mediator(actor, m.case)


def _meeting_rule(
    check: Callable[[Actor, MeetingView], bool], refusal: str, *,
    statuses: frozenset[str] | None = None, verified: bool = False,
) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, MeetingView):
            return Decision(False, "no meeting given")
        if verified and not is_verified(actor):
            return Decision(False, "verify your identity (ID document and mobile) first (L2)")
        if not check(actor, obj):
            return Decision(False, refusal)
        if statuses is not None and obj.status not in statuses:
            return Decision(False, f"not possible once the meeting is {obj.status}")
        return ALLOW

    return rule


def _schedules(actor: Actor, m: MeetingView) -> bool:
    if not _hosts(actor, m):
        return False
    states = _HEARING_STATES if m.kind == "hearing" else _MEDIATION_STATES
    return m.case.status in states


def _seated(actor: Actor, m: MeetingView) -> bool:
    """Holds a seat and still takes part in the case (a revoked agent or a replaced
    mediator keeps its seat row but loses what the seat gave)."""
    return actor.user_id in m.seat_user_ids and (
        acts_for_party(actor, m.case, "general") or is_case_staff(actor, m.case)
    )


def _seated_or_staff(actor: Actor, m: MeetingView) -> bool:
    return _seated(actor, m) or is_case_staff(actor, m.case)


def _seated_party_side(actor: Actor, m: MeetingView) -> bool:
    return actor.user_id in m.seat_user_ids and acts_for_party(actor, m.case, "general")


def _office(actor: Actor, m: MeetingView) -> bool:
    return _hosts(actor, m) or is_institution_staff(actor, m.case) or is_court_staff(actor, m.case)


_UPCOMING = frozenset({"scheduled"})
_NOT_OVER = frozenset({"scheduled", "open"})
_HELD = frozenset({"scheduled", "open", "ended"})  # not cancelled

# -------------------------------------------------------------------- live room
HOST = "host"
CO_HOST = "co_host"
PARTY_SIDE_ROLES = frozenset({"party", "agent"})


@dataclass(frozen=True)
class SeatView:
    seat_id: int
    role: str  # odr.meetings.models.SeatRole
    state: str  # odr.meetings.models.SeatState
    side: str | None = None
    caucus_id: str | None = None
    delegated: frozenset[str] = frozenset()  # odr.meetings.models.Control values


@dataclass(frozen=True)
class RoomView:
    """The caller's seat (``me``), the seat it acts on (``target``), the meeting's state."""

    meeting_id: int
    kind: str
    status: str  # scheduled | open | ended | cancelled
    me: SeatView
    target: SeatView | None = None
    locked: bool = False


def _has_control(me: SeatView, control: str) -> bool:
    return me.role == HOST or (me.role == CO_HOST and control in me.delegated)


_OPEN = frozenset({"open"})
_WAITING_OR_OPEN = frozenset({"scheduled", "open"})  # the lobby fills before the host arrives


def _room_rule(
    check: Callable[[RoomView], bool], refusal: str, *, admitted: bool = True,
    needs_target: bool = False, statuses: frozenset[str] = _OPEN,
) -> Rule:
    """Guests hold no account, so room rules look at the seat, not at ``actor``."""

    def rule(_actor: Actor, obj: object) -> Decision:
        if not isinstance(obj, RoomView):
            return Decision(False, "no room given")
        if obj.status not in statuses:
            return Decision(False, f"the meeting is {obj.status}")
        if admitted and obj.me.state != "admitted":
            return Decision(False, "wait until the host admits you")
        if needs_target:
            if obj.target is None:
                return Decision(False, "no participant given")
            if obj.target.seat_id == obj.me.seat_id:
                return Decision(False, "not on yourself")
            if obj.target.role == HOST:
                return Decision(False, "not on the host")
        return ALLOW if check(obj) else Decision(False, refusal)

    return rule


def _control(control: str) -> Callable[[RoomView], bool]:
    return lambda room: _has_control(room.me, control)


def _host_only(room: RoomView) -> bool:
    return room.me.role == HOST


def _speaks(room: RoomView) -> bool:
    return room.me.role != "observer"


def _party_side(room: RoomView) -> bool:
    return room.me.role in PARTY_SIDE_ROLES


def _anyone_seated(_room: RoomView) -> bool:
    return True


MEDIA_NODE_ROLE = "media_node"  # the role of a media service process (not a user account)


def _node_rule(actor: Actor, _obj: object) -> Decision:
    if actor.role == MEDIA_NODE_ROLE:
        return ALLOW
    return Decision(False, "only a media node sends this")


MEETING_RULES: dict[Permission, Rule] = {
    Permission.MEETING_SCHEDULE: _meeting_rule(
        _schedules, "only the case's mediator (in mediation) or a judge of its court (a hearing) "
        "schedules its meetings",
    ),
    Permission.MEETING_LIST: case_rule(
        lambda a, c: acts_for_party(a, c, "general") or is_case_staff(a, c),
        "not a participant of this case",
    ),
    Permission.MEETING_READ: _meeting_rule(_seated_or_staff, "you have no seat in this meeting"),
    Permission.RECORDING_READ: _meeting_rule(
        _office, "only the host and the case's institution or court staff open recordings",
        statuses=_HELD,
    ),
    Permission.MEETING_CHANGE: _meeting_rule(
        _hosts, "only the meeting's host changes or cancels it", statuses=_UPCOMING
    ),
    Permission.MEETING_INVITE_GUEST: _meeting_rule(
        _hosts, "only the meeting's host invites guests", statuses=_NOT_OVER
    ),
    Permission.MEETING_ROOM_TOKEN: _meeting_rule(
        _seated, "you have no seat in this meeting", statuses=_NOT_OVER, verified=True,
    ),
    Permission.MEETING_GUEST_ENTRY: anyone,  # the one-time link and a code to the guest's mobile
    Permission.MEETING_RESCHEDULE_REQUEST: _meeting_rule(
        _seated_party_side, "only a party (or its agent) seated in this meeting asks to reschedule",
        statuses=_UPCOMING,
    ),
    Permission.MEETING_RESCHEDULE_DECIDE: _meeting_rule(
        _hosts, "only the meeting's host decides on a reschedule request", statuses=_UPCOMING
    ),
    Permission.MEETING_NO_SHOW: _meeting_rule(
        _hosts, "only the meeting's host records a no-show", statuses=_HELD
    ),
    Permission.MEETING_ATTENDANCE_READ: _meeting_rule(_office, "only the host and the case's staff"),
    Permission.MEETING_RECORD_READ: _meeting_rule(
        _seated_or_staff, "you have no seat in this meeting"
    ),
    Permission.ROOM_ENTRY: _room_rule(  # own entry checks, also while waiting for the host
        _anyone_seated, "", admitted=False, statuses=_WAITING_OR_OPEN
    ),
    Permission.ROOM_ADMIT: _room_rule(
        _control("admit"), "only the host (or a co-host it allowed) admits", needs_target=True
    ),
    Permission.ROOM_CHAT: _room_rule(_speaks, "observers do not write in the chat"),
    Permission.ROOM_HAND: _room_rule(_speaks, "observers do not raise hands"),
    Permission.ROOM_MUTE: _room_rule(
        _control("mute"), "only the host (or a co-host it allowed) mutes", needs_target=True
    ),
    Permission.ROOM_REMOVE: _room_rule(
        _control("remove"), "only the host (or a co-host it allowed) removes", needs_target=True
    ),
    Permission.ROOM_LOCK: _room_rule(_control("lock"), "only the host (or a co-host it allowed) locks"),
    Permission.ROOM_DELEGATE: _room_rule(
        _host_only, "only the host delegates its controls", needs_target=True
    ),
    Permission.ROOM_WARN: _room_rule(_host_only, "only the host warns", needs_target=True),
    Permission.ROOM_GRANT_LEAVE: _room_rule(
        _host_only, "only the host lets someone leave", needs_target=True
    ),
    Permission.ROOM_END: _room_rule(_control("end"), "only the host (or a co-host it allowed) ends"),
    Permission.ROOM_CAUCUS: _room_rule(
        _control("caucus"), "only the host (or a co-host it allowed) opens and closes caucuses"
    ),
    Permission.ROOM_RECORDING_CONSENT: _room_rule(
        _anyone_seated, "", admitted=False, statuses=_WAITING_OR_OPEN
    ),
    Permission.ROOM_RECORDING_CONTROL: _room_rule(
        _control("recording"), "only the host (or a co-host it allowed) controls recording"
    ),
    Permission.ROOM_RECORD_WRITE: _room_rule(
        _control("record"), "only the host (or a co-host it allowed) writes the session record"
    ),
    Permission.ROOM_FACT_CONFIRM: _room_rule(
        _party_side, "only the parties (or their agents) confirm undisputed facts"
    ),
    Permission.ROOM_LEAVE: _room_rule(
        _anyone_seated, "", admitted=False, statuses=_WAITING_OR_OPEN
    ),
    Permission.ROOM_MEDIA: _room_rule(_anyone_seated, "", admitted=True),
    Permission.MEDIA_NODE_EVENT: _node_rule,
}

MEETING_OBJECT_PERMISSIONS: frozenset[Permission] = frozenset(MEETING_RULES) - {
    Permission.MEETING_GUEST_ENTRY, Permission.MEDIA_NODE_EVENT,
}
