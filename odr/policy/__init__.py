"""The one authorization policy: may this actor do this action on this object?

Decided from role x relationship to the object x the object's state, never by
role alone. Every route and socket event names a ``Permission``; the route
layer asks ``authorize`` (or, for lists, ``visible_case_scope``) before work.
Pure Python: no database, no framework, so the whole table can be walked in
tests. One package, one table: each part keeps its rules in its own module
(``platform``, ``cases``, ``mediators``, ...), merged in ``decide``.
"""

from odr.policy.cases import (
    DocumentView,
    ThreadView,
    is_thread_staff,
    kept_from_court,
    on_thread_side,
    party_side_or_staff,
    reads_file,
    reviews_case,
)
from odr.policy.core import (
    ALLOW,
    PARTY_ROLES,
    Actor,
    CaseView,
    Decision,
    Rule,
    acts_for_party,
    case_rule,
    is_case_mediator,
    is_case_staff,
    is_court_staff,
    is_institution_staff,
    is_verified,
)
from odr.policy.decide import OBJECT_PERMISSIONS, RULES, authorize, decide
from odr.policy.mediators import MediatorView
from odr.policy.meetings import MEDIA_NODE_ROLE, MeetingView, RoomView, SeatView
from odr.policy.permissions import Permission

__all__ = [
    "ALLOW",
    "MEDIA_NODE_ROLE",
    "OBJECT_PERMISSIONS",
    "PARTY_ROLES",
    "RULES",
    "Actor",
    "CaseView",
    "Decision",
    "DocumentView",
    "MediatorView",
    "MeetingView",
    "Permission",
    "RoomView",
    "Rule",
    "SeatView",
    "ThreadView",
    "acts_for_party",
    "authorize",
    "case_rule",
    "decide",
    "is_case_mediator",
    "is_case_staff",
    "is_court_staff",
    "is_institution_staff",
    "is_thread_staff",
    "is_verified",
    "kept_from_court",
    "on_thread_side",
    "party_side_or_staff",
    "reads_file",
    "reviews_case",
]
