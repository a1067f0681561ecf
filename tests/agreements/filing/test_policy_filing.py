"""Policy walk for court filings (L37) and performance: role x relationship x status."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import Actor, CaseView, Permission, decide
from odr.policy.agreements import CourtFilingView

INSTITUTION, OTHER_INSTITUTION, COURT, OTHER_COURT = 3, 4, 5, 6
APPLICANT, RESPONDENT, AGENT, REVOKED_AGENT, MEDIATOR = 1, 2, 10, 11, 20


def actor(role: Role | None, user_id: int = 99, *, institutions: frozenset[int] = frozenset(),
          courts: frozenset[int] = frozenset()) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=institutions, court_ids=courts,
                 identity_level=IdentityLevel.BASIC)


def case(status: str, *, agent_scopes: frozenset[str] = frozenset({"general"})) -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=INSTITUTION, court_id=COURT,
        channel="entrusted", mediator_id=MEDIATOR,
        participants={APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
                      AGENT: frozenset({"agent"}), MEDIATOR: frozenset({"mediator"})},
        agent_scopes={AGENT: agent_scopes},
    )


WHO = {
    "anonymous": actor(None),
    "applicant": actor(Role.PARTY, APPLICANT),
    "respondent": actor(Role.PARTY, RESPONDENT),
    "party of another case": actor(Role.PARTY, 50),
    "agent with general scope": actor(Role.AGENT, AGENT),
    "agent no longer on the case": actor(Role.AGENT, REVOKED_AGENT),
    "assigned mediator": actor(Role.MEDIATOR, MEDIATOR, institutions=frozenset({INSTITUTION})),
    "other mediator": actor(Role.MEDIATOR, 21, institutions=frozenset({INSTITUTION})),
    "admin of the institution": actor(Role.INSTITUTION_ADMIN, 30,
                                      institutions=frozenset({INSTITUTION})),
    "admin of another institution": actor(Role.INSTITUTION_ADMIN, 31,
                                          institutions=frozenset({OTHER_INSTITUTION})),
    "judge of the court": actor(Role.JUDGE, 40, courts=frozenset({COURT})),
    "clerk of the court": actor(Role.CLERK, 41, courts=frozenset({COURT})),
    "judge of another court": actor(Role.JUDGE, 42, courts=frozenset({OTHER_COURT})),
    "platform admin": actor(Role.ADMIN, 43),
}

# who -> (read, handle) on a filing with the case's court
FILING_TABLE = {
    "anonymous": (False, False),
    "applicant": (True, False),
    "respondent": (True, False),
    "party of another case": (False, False),
    "agent with general scope": (True, False),
    "agent no longer on the case": (False, False),
    "assigned mediator": (True, False),
    "other mediator": (False, False),
    "admin of the institution": (True, False),
    "admin of another institution": (False, False),
    "judge of the court": (True, True),
    "clerk of the court": (True, False),
    "judge of another court": (False, False),
    "platform admin": (False, False),
}


@pytest.mark.parametrize("who", sorted(FILING_TABLE))
def test_court_filing_read_and_handle_L37(who: str) -> None:
    view = CourtFilingView(case=case("submitted_to_court"), court_id=COURT, kind="return",
                           status="submitted")
    got = (bool(decide(WHO[who], Permission.COURT_FILING_READ, view)),
           bool(decide(WHO[who], Permission.COURT_FILING_HANDLE, view)))
    assert got == FILING_TABLE[who]


def test_filing_at_another_court_than_the_case_names_is_that_courts_L37() -> None:
    view = CourtFilingView(case=case("submitted_to_court"), court_id=OTHER_COURT, kind="return",
                           status="submitted")
    assert decide(WHO["judge of another court"], Permission.COURT_FILING_HANDLE, view)
    assert not decide(WHO["judge of the court"], Permission.COURT_FILING_HANDLE, view)
    assert not decide(WHO["judge of the court"], Permission.COURT_FILING_HANDLE, case("x"))


# who -> (read, confirm, default) on a case whose agreement is effective
PERFORMANCE_TABLE = {
    "anonymous": (False, False, False),
    "applicant": (True, True, True),
    "respondent": (True, True, True),
    "party of another case": (False, False, False),
    "agent with general scope": (True, True, True),
    "agent no longer on the case": (False, False, False),
    "assigned mediator": (True, False, True),
    "other mediator": (False, False, False),
    "admin of the institution": (True, False, False),
    "admin of another institution": (False, False, False),
    "judge of the court": (True, False, False),
    "clerk of the court": (True, False, False),
    "judge of another court": (False, False, False),
    "platform admin": (False, False, False),
}

PERFORMANCE = (Permission.PERFORMANCE_READ, Permission.PERFORMANCE_CONFIRM,
               Permission.PERFORMANCE_DEFAULT)


@pytest.mark.parametrize("who", sorted(PERFORMANCE_TABLE))
@pytest.mark.parametrize("status", ["agreement_effective", "confirmed", "withdrawal_ruled",
                                    "mediation_statement_issued", "submitted_to_court"])
def test_performance_by_relationship(who: str, status: str) -> None:
    got = tuple(bool(decide(WHO[who], p, case(status))) for p in PERFORMANCE)
    assert got == PERFORMANCE_TABLE[who]


@pytest.mark.parametrize("status", ["in_mediation", "failed", "withdrawn"])
def test_performance_acts_need_an_effective_agreement(status: str) -> None:
    for who in ("applicant", "assigned mediator"):
        assert not decide(WHO[who], Permission.PERFORMANCE_CONFIRM, case(status))
        assert not decide(WHO[who], Permission.PERFORMANCE_DEFAULT, case(status))
