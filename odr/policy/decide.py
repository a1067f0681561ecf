"""The one question every route and socket event asks: may this actor do this?

``RULES`` is the union of each part's rule table; a permission with no rule is
denied, never allowed by default.
"""

from __future__ import annotations

from odr.errors import Forbidden, Unauthenticated
from odr.policy.agreements import AGREEMENT_OBJECT_PERMISSIONS, AGREEMENT_RULES
from odr.policy.cases import CASE_OBJECT_PERMISSIONS, CASE_RULES
from odr.policy.core import Actor, Decision, Rule
from odr.policy.mediators import MEDIATOR_OBJECT_PERMISSIONS, MEDIATOR_RULES
from odr.policy.meetings import MEETING_OBJECT_PERMISSIONS, MEETING_RULES
from odr.policy.permissions import Permission
from odr.policy.platform import PLATFORM_OBJECT_PERMISSIONS, PLATFORM_RULES


def _merge(*tables: dict[Permission, Rule]) -> dict[Permission, Rule]:
    merged: dict[Permission, Rule] = {}
    for table in tables:
        clash = merged.keys() & table.keys()
        if clash:
            raise RuntimeError(f"permissions ruled twice: {sorted(clash)}")
        merged.update(table)
    return merged


RULES: dict[Permission, Rule] = _merge(
    PLATFORM_RULES, CASE_RULES, MEDIATOR_RULES, MEETING_RULES, AGREEMENT_RULES
)

# Permissions decided on a loaded object: the route checks sign-in first, then
# asks ``authorize(actor, permission, obj)`` once it has the object.
OBJECT_PERMISSIONS: frozenset[Permission] = (
    PLATFORM_OBJECT_PERMISSIONS | CASE_OBJECT_PERMISSIONS | MEDIATOR_OBJECT_PERMISSIONS
    | MEETING_OBJECT_PERMISSIONS | AGREEMENT_OBJECT_PERMISSIONS
)


def decide(actor: Actor, permission: Permission, obj: object = None) -> Decision:
    rule = RULES.get(permission)
    if rule is None:
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
