"""The parties part's permissions as a table: role x relationship x case status (L1, L3, L8)."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import CaseStatus
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, Permission, decide

P = Permission
MINE = (P.RESPONDENT_ANSWER, P.CONSENT_READ, P.CONSENT_RECORD, P.AUTHORIZATION_READ,
        P.AUTHORIZATION_GRANT, P.AUTHORIZATION_REVOKE)

APPLICANT, RESPONDENT, AGENT_GENERAL, AGENT_READER, MEDIATOR = 1, 2, 3, 4, 6
OUTSIDER = 9


def view(status: str) -> CaseView:
    """Case 7 of institution 3 and court 5, as ``case_view`` builds it: an agent whose grant was
    revoked or expired is not among the participants at all (its participation ended)."""
    return CaseView(
        case_id=7, status=status, institution_id=3, court_id=5, mediator_id=MEDIATOR,
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            AGENT_GENERAL: frozenset({"agent"}), AGENT_READER: frozenset({"agent"}),
            MEDIATOR: frozenset({"mediator"}),
        },
        agent_scopes={AGENT_GENERAL: frozenset({"general", "sign_agreement"}),
                      AGENT_READER: frozenset({"read_file"})},
    )


def who(role: Role | None, user_id: int = OUTSIDER, *, institutions: set[int] | None = None,
        courts: set[int] | None = None, level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions or ()),
                 court_ids=frozenset(courts or ()), identity_level=level)


# (description, actor, allowed permissions while the case awaits the respondent: "accepted")
T = True
F = False
#                               answer consent_r consent_w auth_r auth_grant auth_revoke
TABLE: list[tuple[str, Actor, tuple[bool, bool, bool, bool, bool, bool]]] = [
    ("anonymous", who(None), (F, F, F, F, F, F)),
    ("applicant", who(Role.PARTY, APPLICANT), (F, T, T, T, T, T)),
    ("applicant never verified (L2)", who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE),
     (F, F, F, F, F, F)),
    ("respondent", who(Role.PARTY, RESPONDENT), (T, T, T, T, T, T)),
    ("respondent never verified (L2)", who(Role.PARTY, RESPONDENT, level=IdentityLevel.NONE),
     (F, F, F, F, F, F)),
    ("party of another case", who(Role.PARTY), (F, F, F, F, F, F)),
    ("agent with general authority", who(Role.AGENT, AGENT_GENERAL), (T, T, T, T, F, F)),
    ("agent with file reading only", who(Role.AGENT, AGENT_READER), (F, T, F, T, F, F)),
    ("revoked agent (participation ended)", who(Role.AGENT), (F, F, F, F, F, F)),
    ("assigned mediator", who(Role.MEDIATOR, MEDIATOR, institutions={3}), (F, T, F, T, T, T)),
    ("mediator of the institution, not assigned", who(Role.MEDIATOR, institutions={3}),
     (F, F, F, F, F, F)),
    ("admin of the case's institution", who(Role.INSTITUTION_ADMIN, institutions={3}),
     (F, T, F, T, T, T)),
    ("admin of another institution", who(Role.INSTITUTION_ADMIN, institutions={4}),
     (F, F, F, F, F, F)),
    ("judge of the referring court", who(Role.JUDGE, courts={5}), (F, T, F, T, T, T)),
    ("clerk of the referring court", who(Role.CLERK, courts={5}), (F, T, F, T, T, T)),
    ("judge of another court", who(Role.JUDGE, courts={6}), (F, F, F, F, F, F)),
    ("platform admin", who(Role.ADMIN), (F, F, F, F, F, F)),
]


def test_these_permissions_are_decided_on_the_case() -> None:
    assert set(MINE) <= OBJECT_PERMISSIONS


@pytest.mark.parametrize(("description", "actor", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_relationship_table_L1_L3_L8(description: str, actor: Actor,
                                     expected: tuple[bool, ...]) -> None:
    got = tuple(bool(decide(actor, p, view(CaseStatus.ACCEPTED))) for p in MINE)
    assert got == expected, dict(zip(MINE, got, strict=True))


# Status: the respondent answers only before mediation (L8); nothing is consented or granted
# once the case ended, but reading and revoking stay possible (an agent must be removable).
STATUS_TABLE = [
    (CaseStatus.SUBMITTED, (F, T, T, T, T, T)),
    (CaseStatus.ACCEPTED, (T, T, T, T, T, T)),
    (CaseStatus.INSTITUTION_ASSIGNED, (T, T, T, T, T, T)),
    (CaseStatus.MEDIATOR_ASSIGNED, (T, T, T, T, T, T)),
    (CaseStatus.IN_MEDIATION, (F, T, T, T, T, T)),
    (CaseStatus.AGREEMENT_EFFECTIVE, (F, T, T, T, T, T)),
    (CaseStatus.FAILED, (F, T, F, T, F, T)),
    (CaseStatus.WITHDRAWN, (F, T, F, T, F, T)),
    (CaseStatus.CONFIRMED, (F, T, F, T, F, T)),
]


@pytest.mark.parametrize(("status", "expected"), STATUS_TABLE, ids=[s for s, _ in STATUS_TABLE])
def test_status_table_for_the_respondent_L8(status: str, expected: tuple[bool, ...]) -> None:
    respondent = who(Role.PARTY, RESPONDENT)
    got = tuple(bool(decide(respondent, p, view(status))) for p in MINE)
    assert got == expected, dict(zip(MINE, got, strict=True))


def test_refusals_say_why() -> None:
    decision = decide(who(Role.PARTY, RESPONDENT), P.RESPONDENT_ANSWER, view(CaseStatus.FAILED))
    assert not decision and "(failed)" in decision.reason
    decision = decide(who(Role.PARTY, APPLICANT), P.RESPONDENT_ANSWER, view(CaseStatus.ACCEPTED))
    assert not decision and "respondent" in decision.reason
    claim = decide(who(Role.PARTY, level=IdentityLevel.NONE), P.INVITATION_CLAIM)
    assert not claim and "verify your identity" in claim.reason
