"""Rules of the mediators part (mediators/; L4-L7)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from odr.accounts.models import Role
from odr.cases.lifecycle import CaseStatus
from odr.policy.cases import party_side_or_staff
from odr.policy.core import (
    ALLOW,
    Actor,
    CaseView,
    Decision,
    Rule,
    acts_for_party,
    case_rule,
    is_case_mediator,
    is_court_staff,
    is_institution_staff,
)
from odr.policy.permissions import Permission


@dataclass(frozen=True)
class MediatorView:
    """A mediator's profile, or (``user_id`` None) an institution's roster as a whole."""

    institution_id: int
    user_id: int | None = None


def _admin_of(actor: Actor, view: MediatorView) -> bool:
    return actor.role == Role.INSTITUTION_ADMIN and view.institution_id in actor.institution_ids


def _mediator_itself(actor: Actor, view: MediatorView) -> bool:
    return (
        actor.role == Role.MEDIATOR and view.user_id is not None and actor.user_id == view.user_id
    )


def _mediator_rule(check: Callable[[Actor, MediatorView], bool], refusal: str) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, MediatorView):
            return Decision(False, "no mediator or institution given")
        return ALLOW if check(actor, obj) else Decision(False, refusal)

    return rule


def _admin_or_itself(actor: Actor, view: MediatorView) -> bool:
    return _admin_of(actor, view) or _mediator_itself(actor, view)


def _designates(actor: Actor, case: CaseView) -> bool:
    return is_institution_staff(actor, case) or is_court_staff(actor, case)


_CHOOSING = frozenset({CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED})
_WITH_MEDIATOR = frozenset({CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION})

MEDIATOR_RULES: dict[Permission, Rule] = {
    Permission.MEDIATOR_READ: _mediator_rule(
        _admin_or_itself, "only the mediator itself and its institution's admins see this profile"
    ),
    Permission.MEDIATOR_MANAGE: _mediator_rule(
        _admin_of, "only an admin of the mediator's institution manages it"
    ),
    Permission.MEDIATOR_SELF_UPDATE: _mediator_rule(
        _admin_or_itself, "only the mediator itself and its institution's admins change this"
    ),
    Permission.ASSIGNMENT_QUEUE: _mediator_rule(
        _admin_of, "only an admin of this institution handles its assignments"
    ),
    Permission.MEDIATOR_CHOOSE: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) chooses",
        states=_CHOOSING, state_refusal="a mediator is chosen only before one is assigned",
    ),
    Permission.MEDIATOR_DESIGNATE: case_rule(
        _designates, "only staff of the case's institution or court designate its mediator",
        states=_CHOOSING, state_refusal="a mediator is designated only before one is assigned",
    ),
    Permission.MEDIATOR_OVERRIDE: case_rule(
        is_institution_staff, "only an admin of the case's institution overrides the assignment",
        states=_CHOOSING | _WITH_MEDIATOR,
        state_refusal="the assignment can be overridden only while the mediation is open",
    ),
    Permission.ASSIGNMENT_RESPOND: case_rule(
        is_case_mediator, "only the mediator assigned to this case answers the assignment",
        states=frozenset({CaseStatus.MEDIATOR_ASSIGNED}),
        state_refusal="the assignment is answered only while it waits for the mediator",
    ),
    Permission.ASSIGNMENT_LIST: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.ASSIGNMENT_EXPLAIN: case_rule(
        _designates, "only staff of the case's institution or court see why a mediator was chosen"
    ),
    Permission.CONFLICT_DISCLOSE: case_rule(
        is_case_mediator, "only the case's mediator discloses its conflicts",
        states=_WITH_MEDIATOR, state_refusal="a conflict is disclosed while the mediator has the case",
    ),
    Permission.CONFLICT_ANSWER: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) answers",
        states=_WITH_MEDIATOR, state_refusal="the disclosure is answered while the mediator has the case",
    ),
    Permission.MEDIATOR_REPLACE: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) asks",
        states=_WITH_MEDIATOR, state_refusal="a mediator is replaced only while it has the case",
    ),
}

MEDIATOR_OBJECT_PERMISSIONS: frozenset[Permission] = frozenset({  # MediatorView or CaseView
    Permission.MEDIATOR_READ, Permission.MEDIATOR_MANAGE, Permission.MEDIATOR_SELF_UPDATE,
    Permission.ASSIGNMENT_QUEUE, Permission.MEDIATOR_CHOOSE, Permission.MEDIATOR_DESIGNATE,
    Permission.MEDIATOR_OVERRIDE, Permission.ASSIGNMENT_RESPOND, Permission.ASSIGNMENT_LIST,
    Permission.ASSIGNMENT_EXPLAIN, Permission.CONFLICT_DISCLOSE, Permission.CONFLICT_ANSWER,
    Permission.MEDIATOR_REPLACE,
})
