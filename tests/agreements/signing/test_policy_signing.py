"""Who may sign, as whom, and when: the signing permissions by role x relationship x case status."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import Actor, CaseView, Permission, decide

CASE, INST, OTHER_INST, COURT = 10, 1, 2, 7
APPLICANT, RESPONDENT, AGENT_SIGN, AGENT_GENERAL, MEDIATOR, OTHER_MEDIATOR = 1, 2, 3, 4, 5, 6
ADMIN, OTHER_ADMIN, JUDGE, STRANGER, UNVERIFIED = 8, 9, 11, 12, 13


def view(status: str = "in_mediation") -> CaseView:
    return CaseView(
        case_id=CASE, status=status, institution_id=INST, court_id=COURT, mediator_id=MEDIATOR,
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            AGENT_SIGN: frozenset({"agent"}), AGENT_GENERAL: frozenset({"agent"}),
            MEDIATOR: frozenset({"mediator"}), UNVERIFIED: frozenset({"applicant"}),
        },
        agent_scopes={AGENT_SIGN: frozenset({"general", "sign_agreement"}),
                      AGENT_GENERAL: frozenset({"general"})},
    )


def actor(user_id: int, role: Role, *, institutions: frozenset[int] = frozenset(),
          courts: frozenset[int] = frozenset(), level: str = IdentityLevel.BASIC) -> Actor:
    return Actor(user_id=user_id, role=role, institution_ids=institutions, court_ids=courts,
                 identity_level=level)


WHO = {
    "applicant": actor(APPLICANT, Role.PARTY),
    "respondent": actor(RESPONDENT, Role.PARTY),
    "agent with sign_agreement": actor(AGENT_SIGN, Role.AGENT),
    "agent with general only": actor(AGENT_GENERAL, Role.AGENT),
    "unverified party": actor(UNVERIFIED, Role.PARTY, level=IdentityLevel.NONE),
    "case mediator": actor(MEDIATOR, Role.MEDIATOR, institutions=frozenset({INST})),
    "other mediator": actor(OTHER_MEDIATOR, Role.MEDIATOR, institutions=frozenset({INST})),
    "admin of the institution": actor(ADMIN, Role.INSTITUTION_ADMIN, institutions=frozenset({INST})),
    "admin of another institution": actor(
        OTHER_ADMIN, Role.INSTITUTION_ADMIN, institutions=frozenset({OTHER_INST})),
    "judge of the court": actor(JUDGE, Role.JUDGE, courts=frozenset({COURT})),
    "stranger": actor(STRANGER, Role.PARTY),
}

SIGN, MEDIATOR_SIGN, SEAL = (
    Permission.AGREEMENT_SIGN, Permission.AGREEMENT_MEDIATOR_SIGN, Permission.AGREEMENT_SEAL)
ALLOWED: dict[Permission, set[str]] = {
    SIGN: {"applicant", "respondent", "agent with sign_agreement"},
    MEDIATOR_SIGN: {"case mediator"},
    SEAL: {"admin of the institution"},
}


@pytest.mark.parametrize("permission", [SIGN, MEDIATOR_SIGN, SEAL])
@pytest.mark.parametrize("who", sorted(WHO))
def test_signing_permissions_by_relationship_L16(permission: Permission, who: str) -> None:
    assert bool(decide(WHO[who], permission, view())) is (who in ALLOWED[permission])


@pytest.mark.parametrize("status", ["accepted", "agreement_effective", "mediation_failed", "closed"])
@pytest.mark.parametrize("permission", [SIGN, MEDIATOR_SIGN, SEAL])
def test_nobody_signs_outside_mediation(permission: Permission, status: str) -> None:
    for who in ALLOWED[permission]:
        assert not decide(WHO[who], permission, view(status))
    assert not decide(Actor.anonymous(), permission, view())
