"""What every rule stands on: who asks (``Actor``), what of a case the policy sees
(``CaseView``), the answer (``Decision``), and the relationship questions rules
are built from. Pure Python: no database, no framework.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from odr.accounts.models import IdentityLevel, Role


@dataclass(frozen=True)
class Actor:
    """Who is asking: the user and their organisational memberships."""

    user_id: int | None
    role: str | None
    institution_ids: frozenset[int] = field(default_factory=frozenset)
    court_ids: frozenset[int] = field(default_factory=frozenset)
    identity_level: str = IdentityLevel.NONE

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, role=None)


@dataclass(frozen=True)
class CaseView:
    """What the policy needs to know of a case, as of the request.

    ``participants`` holds only participations still running (an agent's
    revoked or expired authorization is gone); ``agent_scopes`` the scopes of
    each agent's currently valid authorizations (``odr.cases.models.AgentScope``).
    """

    case_id: int
    status: str
    institution_id: int | None
    court_id: int | None
    participants: dict[int, frozenset[str]]  # user_id -> case roles
    channel: str = "self_filed"
    mediator_id: int | None = None
    agent_scopes: dict[int, frozenset[str]] = field(default_factory=dict)
    # The institution a self-filed applicant asked for, while none is assigned (review).
    preferred_institution_id: int | None = None

    def roles_of(self, user_id: int | None) -> frozenset[str]:
        if user_id is None:
            return frozenset()
        return self.participants.get(user_id, frozenset())

    def is_party(self, user_id: int | None) -> bool:
        return bool(self.roles_of(user_id) & PARTY_ROLES)

    def is_agent_with(self, user_id: int | None, scope: str) -> bool:
        if user_id is None or "agent" not in self.roles_of(user_id):
            return False
        return scope in self.agent_scopes.get(user_id, frozenset())

    def is_mediator(self, user_id: int | None) -> bool:
        return user_id is not None and (
            self.mediator_id == user_id or "mediator" in self.roles_of(user_id)
        )


PARTY_ROLES = frozenset({"applicant", "respondent"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, "allowed")

Rule = Callable[[Actor, object], Decision]


def anyone(_actor: Actor, _obj: object) -> Decision:
    return ALLOW


def signed_in(actor: Actor, _obj: object) -> Decision:
    return ALLOW if actor.authenticated else Decision(False, "sign in first")


def role_in(*roles: Role) -> Rule:
    def rule(actor: Actor, _obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if actor.role in roles:
            return ALLOW
        return Decision(False, f"role {actor.role} may not do this")

    return rule


def case_read(actor: Actor, obj: object) -> Decision:
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not isinstance(obj, CaseView):
        return Decision(False, "no case given")
    if obj.roles_of(actor.user_id):
        if actor.identity_level == IdentityLevel.NONE:
            return Decision(False, "verify your identity before reading case information")
        return ALLOW
    if actor.role == Role.INSTITUTION_ADMIN and obj.institution_id in actor.institution_ids:
        return ALLOW
    if actor.role in (Role.JUDGE, Role.CLERK) and obj.court_id in actor.court_ids:
        return ALLOW
    return Decision(False, "not a participant of this case")


# Building blocks for case rules: each answers one relationship question.
def is_verified(actor: Actor) -> bool:
    return actor.authenticated and actor.identity_level != IdentityLevel.NONE


def acts_for_party(actor: Actor, case: CaseView, scope: str = "general") -> bool:
    """A verified party of the case, or a verified agent whose authorization carries ``scope``."""
    if not is_verified(actor):
        return False
    return case.is_party(actor.user_id) or case.is_agent_with(actor.user_id, scope)


def is_case_mediator(actor: Actor, case: CaseView) -> bool:
    return actor.role == Role.MEDIATOR and case.is_mediator(actor.user_id)


def is_institution_staff(actor: Actor, case: CaseView) -> bool:
    return (
        actor.role == Role.INSTITUTION_ADMIN
        and case.institution_id is not None
        and case.institution_id in actor.institution_ids
    )


def is_court_staff(actor: Actor, case: CaseView) -> bool:
    return (
        actor.role in (Role.JUDGE, Role.CLERK)
        and case.court_id is not None
        and case.court_id in actor.court_ids
    )


def is_case_staff(actor: Actor, case: CaseView) -> bool:
    """The case's mediator, its institution's admins, or its court's judges and clerks."""
    return is_case_mediator(actor, case) or is_institution_staff(actor, case) or is_court_staff(
        actor, case
    )


def case_rule(
    check: Callable[[Actor, CaseView], bool],
    refusal: str,
    *,
    states: frozenset[str] | None = None,
    state_refusal: str = "not possible in the case's current status",
) -> Rule:
    """A rule on a ``CaseView``: ``check`` for the relationship, ``states`` for the status."""

    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, CaseView):
            return Decision(False, "no case given")
        if not check(actor, obj):
            return Decision(False, refusal)
        if states is not None and obj.status not in states:
            return Decision(False, f"{state_refusal} ({obj.status})")
        return ALLOW

    return rule


def verified_identity(actor: Actor, _obj: object) -> Decision:
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not is_verified(actor):
        return Decision(False, "verify your identity (ID document and mobile) first (L2)")
    return ALLOW


# Rules of the intake part (odr.cases.intake).
def verified_in(*roles: Role) -> Rule:
    def rule(actor: Actor, _obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if actor.role not in roles:
            return Decision(False, f"role {actor.role} may not do this")
        if not is_verified(actor):
            return Decision(False, "verify your identity (ID document and mobile) first (L2)")
        return ALLOW

    return rule
