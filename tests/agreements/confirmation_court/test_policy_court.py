"""The court-side confirmation rules on a ConfirmationView: role x relationship x status."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import Actor, CaseView, Permission, decide
from odr.policy.agreements import ConfirmationView

COURT, OTHER = 1, 2
JUDGE, JUDGE2, CLERK, OTHER_JUDGE, PARTY, MEDIATOR = 10, 11, 12, 13, 20, 30


def view(status: str, judge: int | None = JUDGE) -> ConfirmationView:
    case = CaseView(case_id=1, status="confirmation_applied", institution_id=5, court_id=None,
                    participants={PARTY: frozenset({"applicant"}),
                                  MEDIATOR: frozenset({"mediator"})}, mediator_id=MEDIATOR)
    return ConfirmationView(case=case, court_id=COURT, status=status, judge_user_id=judge)


ACTORS = {
    "designated judge": Actor(JUDGE, Role.JUDGE, court_ids=frozenset({COURT}),
                              identity_level=IdentityLevel.BASIC),
    "other judge of the court": Actor(JUDGE2, Role.JUDGE, court_ids=frozenset({COURT})),
    "clerk of the court": Actor(CLERK, Role.CLERK, court_ids=frozenset({COURT})),
    "judge of another court": Actor(OTHER_JUDGE, Role.JUDGE, court_ids=frozenset({OTHER})),
    "party": Actor(PARTY, Role.PARTY, identity_level=IdentityLevel.BASIC),
    "mediator": Actor(MEDIATOR, Role.MEDIATOR, institution_ids=frozenset({5})),
    "anonymous": Actor.anonymous(),
}
COURT_STAFF = {"designated judge", "other judge of the court", "clerk of the court"}


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("status", ["gathering", "applied", "supplement_requested", "accepted",
                                    "confirmed", "rejected", "not_accepted", "deemed_withdrawn"])
def test_court_act_is_for_the_applications_court_while_pending(who: str, status: str) -> None:
    allowed = decide(ACTORS[who], Permission.CONFIRMATION_COURT_ACT, view(status)).allowed
    pending = status in ("applied", "supplement_requested", "accepted")
    assert allowed == (who in COURT_STAFF and pending)


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("status", ["applied", "accepted", "confirmed"])
def test_only_the_designated_judge_rules_an_accepted_application_L25(who: str, status: str) -> None:
    allowed = decide(ACTORS[who], Permission.CONFIRMATION_RULE, view(status)).allowed
    assert allowed == (who == "designated judge" and status == "accepted")


def test_no_designated_judge_no_ruling() -> None:
    assert not decide(ACTORS["designated judge"], Permission.CONFIRMATION_RULE,
                      view("accepted", judge=None)).allowed


@pytest.mark.parametrize("who", sorted(ACTORS))
def test_queue_is_for_judges_and_clerks(who: str) -> None:
    allowed = decide(ACTORS[who], Permission.CONFIRMATION_QUEUE).allowed
    assert allowed == (ACTORS[who].role in (Role.JUDGE, Role.CLERK))
