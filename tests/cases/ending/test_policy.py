"""Who ends a mediation and who sees the transfer package, as tables."""

from __future__ import annotations

import pytest

from odr.policy import Permission
from tests.cases.documents.test_policy import allowed_for, case


@pytest.mark.parametrize("status", ["accepted", "in_mediation", "failed"])
def test_mediation_is_ended_by_its_mediator_or_institution_staff_L14(status: str) -> None:
    # the status itself is the state machine's to judge (409), not the policy's
    assert allowed_for(Permission.CASE_END, case(status)) == {
        "assigned mediator", "admin of the institution"
    }


def test_transfer_package_is_for_the_cases_staff() -> None:
    assert allowed_for(Permission.TRANSFER_PACKAGE_READ, case("failed")) == {
        "assigned mediator", "admin of the institution", "judge of the court", "clerk of the court"
    }
