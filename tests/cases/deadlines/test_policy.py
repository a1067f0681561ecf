"""Who may read a case's clocks, pause the mediation period and extend it: role x relationship x status."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import CaseStatus
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, Permission, decide

P = Permission
CLOCK_PERMISSIONS = (P.DEADLINE_LIST, P.MEDIATION_PERIOD_PAUSE, P.EXTENSION_PROPOSE, P.EXTENSION_ANSWER)

# The case: institution 3, court 5; applicant 1, respondent 2, mediator 10, agents 20 (general
# authority), 21 (file reading only), 22 (revoked: no longer a participant).
APPLICANT, RESPONDENT, MEDIATOR, AGENT, AGENT_READ_ONLY, REVOKED_AGENT = 1, 2, 10, 20, 21, 22


def case(status: str = CaseStatus.IN_MEDIATION) -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=3, court_id=5, mediator_id=MEDIATOR,
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            MEDIATOR: frozenset({"mediator"}), AGENT: frozenset({"agent"}),
            AGENT_READ_ONLY: frozenset({"agent"}),
        },
        agent_scopes={AGENT: frozenset({"general"}), AGENT_READ_ONLY: frozenset({"read_file"})},
    )


def who(role: Role | None, user_id: int = 99, *, institutions: set[int] = frozenset(),
        courts: set[int] = frozenset(), level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions),
                 court_ids=frozenset(courts), identity_level=level)


# (description, actor, allowed: list, pause, propose, answer) while the case is in mediation.
TABLE: list[tuple[str, Actor, tuple[bool, bool, bool, bool]]] = [
    ("anonymous", who(None), (False, False, False, False)),
    ("applicant", who(Role.PARTY, APPLICANT), (True, False, False, True)),
    ("respondent", who(Role.PARTY, RESPONDENT), (True, False, False, True)),
    ("applicant who never verified identity", who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE),
     (False, False, False, False)),
    ("party of another case", who(Role.PARTY, 98), (False, False, False, False)),
    ("agent with general authority", who(Role.AGENT, AGENT), (True, False, False, True)),
    ("agent with file reading only", who(Role.AGENT, AGENT_READ_ONLY), (False, False, False, False)),
    ("revoked agent", who(Role.AGENT, REVOKED_AGENT), (False, False, False, False)),
    ("assigned mediator", who(Role.MEDIATOR, MEDIATOR, institutions={3}), (True, True, True, False)),
    ("other mediator of the institution", who(Role.MEDIATOR, 11, institutions={3}),
     (False, False, False, False)),
    ("admin of this institution", who(Role.INSTITUTION_ADMIN, institutions={3}),
     (True, False, False, False)),
    ("admin of another institution", who(Role.INSTITUTION_ADMIN, institutions={4}),
     (False, False, False, False)),
    ("judge of this court", who(Role.JUDGE, courts={5}), (True, False, False, False)),
    ("clerk of this court", who(Role.CLERK, courts={5}), (True, False, False, False)),
    ("judge of another court", who(Role.JUDGE, courts={6}), (False, False, False, False)),
    ("platform admin", who(Role.ADMIN), (False, False, False, False)),
]


def test_clock_permissions_are_object_permissions() -> None:
    assert set(CLOCK_PERMISSIONS) <= OBJECT_PERMISSIONS
    assert P.CALENDAR_READ not in OBJECT_PERMISSIONS  # public (L36)


@pytest.mark.parametrize(("description", "actor", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_role_relationship_table_in_mediation_L13(
    description: str, actor: Actor, expected: tuple[bool, ...]
) -> None:
    got = tuple(bool(decide(actor, p, case())) for p in CLOCK_PERMISSIONS)
    assert got == expected, description


@pytest.mark.parametrize("status", [s for s in CaseStatus if s != CaseStatus.IN_MEDIATION])
def test_pause_and_extension_only_while_in_mediation_L13(status: CaseStatus) -> None:
    view = case(status)
    mediator = who(Role.MEDIATOR, MEDIATOR, institutions={3})
    applicant = who(Role.PARTY, APPLICANT)
    assert decide(applicant, P.DEADLINE_LIST, view)  # the list stays readable in every status
    for actor, permission in ((mediator, P.MEDIATION_PERIOD_PAUSE), (mediator, P.EXTENSION_PROPOSE),
                              (applicant, P.EXTENSION_ANSWER)):
        decision = decide(actor, permission, view)
        assert not decision and "mediation" in decision.reason


def test_without_a_case_nothing_is_allowed() -> None:
    for permission in CLOCK_PERMISSIONS:
        assert not decide(who(Role.MEDIATOR, MEDIATOR), permission, None)
