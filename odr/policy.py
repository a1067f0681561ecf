"""The one authorization policy: may this actor do this action on this object?

Decided from role x relationship to the object x the object's state, never by
role alone. Every route and socket event names a ``Permission``; the route
layer asks ``authorize`` (or, for lists, ``visible_case_scope``) before work.
Pure Python: no database, no framework, so the whole table can be walked in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from odr.accounts.models import IdentityLevel, Role
from odr.errors import Forbidden, Unauthenticated


class Permission(StrEnum):
    """``<scope>:<resource>:<action>``."""

    PUBLIC_READ = "public:site:read"  # health, roster, notice, API document
    ACCOUNT_REGISTER = "public:account:register"
    ACCOUNT_LOGIN = "public:account:login"
    ACCOUNT_RECOVER = "public:account:recover"  # password reset by one-time code
    ACCOUNT_OTP = "public:account:otp"  # ask for a one-time code (some purposes need sign-in)
    SELF_READ = "self:account:read"
    SELF_UPDATE = "self:account:update"
    SELF_VERIFY_IDENTITY = "self:identity:verify"
    SELF_REAUTHENTICATE = "self:session:reauthenticate"
    SELF_NOTIFICATIONS = "self:notification:read"
    USER_CREATE = "admin:user:create"
    USER_LIST = "admin:user:list"
    AUDIT_READ = "admin:audit:read"
    CASE_LIST = "case:case:list"
    CASE_READ = "case:case:read"
    STORAGE_UPLOAD = "case:file:upload"


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
    """What the policy needs to know of a case."""

    case_id: int
    status: str
    institution_id: int | None
    court_id: int | None
    participants: dict[int, frozenset[str]]  # user_id -> case roles

    def roles_of(self, user_id: int | None) -> frozenset[str]:
        if user_id is None:
            return frozenset()
        return self.participants.get(user_id, frozenset())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, "allowed")

Rule = Callable[[Actor, object], Decision]


def _anyone(_actor: Actor, _obj: object) -> Decision:
    return ALLOW


def _signed_in(actor: Actor, _obj: object) -> Decision:
    return ALLOW if actor.authenticated else Decision(False, "sign in first")


def _role_in(*roles: Role) -> Rule:
    def rule(actor: Actor, _obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if actor.role in roles:
            return ALLOW
        return Decision(False, f"role {actor.role} may not do this")

    return rule


def _case_read(actor: Actor, obj: object) -> Decision:
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


RULES: dict[Permission, Rule] = {
    Permission.PUBLIC_READ: _anyone,
    Permission.ACCOUNT_REGISTER: _anyone,
    Permission.ACCOUNT_LOGIN: _anyone,
    Permission.ACCOUNT_RECOVER: _anyone,
    Permission.ACCOUNT_OTP: _anyone,
    Permission.SELF_READ: _signed_in,
    Permission.SELF_UPDATE: _signed_in,
    Permission.SELF_VERIFY_IDENTITY: _signed_in,
    Permission.SELF_REAUTHENTICATE: _signed_in,
    Permission.SELF_NOTIFICATIONS: _signed_in,
    Permission.USER_CREATE: _role_in(Role.ADMIN),
    Permission.USER_LIST: _role_in(Role.ADMIN),
    Permission.AUDIT_READ: _role_in(Role.ADMIN),
    Permission.CASE_LIST: _signed_in,
    Permission.CASE_READ: _case_read,
    Permission.STORAGE_UPLOAD: _role_in(
        Role.PARTY, Role.AGENT, Role.MEDIATOR, Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK
    ),
}


# Permissions decided on a loaded object: the route checks sign-in first, then
# asks ``authorize(actor, permission, obj)`` once it has the object.
OBJECT_PERMISSIONS: frozenset[Permission] = frozenset({Permission.CASE_READ})


def decide(actor: Actor, permission: Permission, obj: object = None) -> Decision:
    rule = RULES.get(permission)
    if rule is None:  # a permission with no rule is denied, never allowed by default
        return Decision(False, f"no policy for {permission}")
    return rule(actor, obj)


def authorize(actor: Actor, permission: Permission, obj: object = None) -> None:
    """Raise 401/403 unless the policy allows."""
    decision = decide(actor, permission, obj)
    if decision:
        return
    if not actor.authenticated:
        raise Unauthenticated(decision.reason)
    raise Forbidden(decision.reason, details={"permission": str(permission)})
