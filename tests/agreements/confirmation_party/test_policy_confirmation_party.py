"""The applicants' permissions as a table: role x relationship x status (L20, L27).

CONFIRMATION_COURTS and CONFIRMATION_APPLY are decided on the case (its status must be
agreement_effective: the application gathers while the case waits), CONFIRMATION_READ and
CONFIRMATION_PARTY_ACT on the application (its court, its status)."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, Permission, decide
from odr.policy.agreements import ConfirmationView

P = Permission
MINE = (P.CONFIRMATION_COURTS, P.CONFIRMATION_APPLY, P.CONFIRMATION_READ, P.CONFIRMATION_PARTY_ACT)

APPLICANT, RESPONDENT, AGENT_APPLY, AGENT_GENERAL, MEDIATOR = 1, 2, 3, 4, 6
OUTSIDER = 9
INSTITUTION, CASE_COURT, APPLIED_COURT, OTHER = 3, 5, 8, 99


def case(status: str = "agreement_effective") -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=INSTITUTION, court_id=CASE_COURT,
        mediator_id=MEDIATOR, channel="delegated",
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            AGENT_APPLY: frozenset({"agent"}), AGENT_GENERAL: frozenset({"agent"}),
            MEDIATOR: frozenset({"mediator"}),
        },
        agent_scopes={AGENT_APPLY: frozenset({"general", "apply_confirmation"}),
                      AGENT_GENERAL: frozenset({"general", "sign_agreement"})},
    )


def application(status: str = "gathering", case_status: str = "agreement_effective") -> ConfirmationView:
    return ConfirmationView(case=case(case_status), court_id=APPLIED_COURT, status=status)


def who(role: Role | None, user_id: int = OUTSIDER, *, institutions: set[int] | None = None,
        courts: set[int] | None = None, level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions or ()),
                 court_ids=frozenset(courts or ()), identity_level=level)


T, F = True, False
#                                                  courts apply  read   party_act
TABLE: list[tuple[str, Actor, tuple[bool, bool, bool, bool]]] = [
    ("anonymous", who(None), (F, F, F, F)),
    ("applicant", who(Role.PARTY, APPLICANT), (T, T, T, T)),
    ("respondent", who(Role.PARTY, RESPONDENT), (T, T, T, T)),
    ("party never verified (L2)", who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE),
     (F, F, F, F)),
    ("party of another case", who(Role.PARTY), (F, F, F, F)),
    ("agent with apply_confirmation (L20)", who(Role.AGENT, AGENT_APPLY), (T, T, T, T)),
    ("agent without apply_confirmation", who(Role.AGENT, AGENT_GENERAL), (F, F, T, F)),
    ("revoked agent (participation ended)", who(Role.AGENT), (F, F, F, F)),
    ("assigned mediator", who(Role.MEDIATOR, MEDIATOR, institutions={INSTITUTION}), (T, F, T, F)),
    ("other mediator", who(Role.MEDIATOR, institutions={INSTITUTION}), (F, F, F, F)),
    ("admin of the case's institution", who(Role.INSTITUTION_ADMIN, institutions={INSTITUTION}),
     (T, F, T, F)),
    ("admin of another institution", who(Role.INSTITUTION_ADMIN, institutions={OTHER}),
     (F, F, F, F)),
    ("judge of the delegating court", who(Role.JUDGE, courts={CASE_COURT}), (T, F, T, F)),
    ("judge of the court applied to", who(Role.JUDGE, courts={APPLIED_COURT}), (F, F, T, F)),
    ("clerk of the court applied to", who(Role.CLERK, courts={APPLIED_COURT}), (F, F, T, F)),
    ("judge of another court", who(Role.JUDGE, courts={OTHER}), (F, F, F, F)),
    ("platform admin", who(Role.ADMIN), (F, F, F, F)),
]


def _obj(permission: Permission, case_status: str, app_status: str) -> object:
    if permission in (P.CONFIRMATION_COURTS, P.CONFIRMATION_APPLY):
        return case(case_status)
    return application(app_status, case_status)


def test_permissions_are_object_permissions() -> None:
    assert set(MINE) <= OBJECT_PERMISSIONS


@pytest.mark.parametrize(("label", "actor", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_table_while_the_agreement_is_effective_L20(
    label: str, actor: Actor, expected: tuple[bool, ...]
) -> None:
    got = tuple(bool(decide(actor, p, _obj(p, "agreement_effective", "gathering"))) for p in MINE)
    assert got == expected, label


@pytest.mark.parametrize("case_status", ["in_mediation", "confirmation_applied", "confirmed",
                                         "submitted_to_court", "closed"])
def test_apply_only_from_an_effective_agreement_L20(case_status: str) -> None:
    party = who(Role.PARTY, APPLICANT)
    assert not decide(party, P.CONFIRMATION_APPLY, case(case_status))


@pytest.mark.parametrize(("app_status", "party_may_act"), [
    ("gathering", T), ("applied", T), ("supplement_requested", T), ("accepted", T),
    ("confirmed", F), ("rejected", F), ("withdrawn", F), ("deemed_withdrawn", F),
    ("not_accepted", F), ("lapsed", F),
])
def test_party_acts_only_before_the_ruling_L27(app_status: str, party_may_act: bool) -> None:
    for user in (APPLICANT, RESPONDENT):
        decision = decide(who(Role.PARTY, user), P.CONFIRMATION_PARTY_ACT,
                          application(app_status, "confirmation_applied"))
        assert bool(decision) is party_may_act
        assert decide(who(Role.PARTY, user), P.CONFIRMATION_READ,
                      application(app_status, "confirmation_applied"))
