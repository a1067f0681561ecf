"""Who reads, drafts and records agreements, as tables: role x relationship x case status."""

from __future__ import annotations

import pytest

from odr.policy import OBJECT_PERMISSIONS, Permission, decide
from tests.cases.documents.test_policy import ACTORS, PARTY_SIDE, STAFF, allowed_for, case

MINE = (Permission.AGREEMENT_READ, Permission.AGREEMENT_DRAFT, Permission.AGREEMENT_RECORD_ORAL)
STATUSES = ["accepted", "in_mediation", "agreement_effective", "failed", "confirmed"]


def test_drafting_permissions_are_decided_on_the_case() -> None:
    assert set(MINE) <= OBJECT_PERMISSIONS


@pytest.mark.parametrize("status", STATUSES)
def test_agreements_are_read_by_the_parties_their_agents_and_the_cases_staff(status: str) -> None:
    # an agent without the general scope, a revoked agent, other mediators, other institutions'
    # admins, other courts' judges, parties of other cases and platform admins never read it
    assert allowed_for(Permission.AGREEMENT_READ, case(status)) == PARTY_SIDE | STAFF


@pytest.mark.parametrize("permission", [Permission.AGREEMENT_DRAFT, Permission.AGREEMENT_RECORD_ORAL])
def test_only_the_assigned_mediator_drafts_or_records_while_in_mediation_L18(
    permission: Permission,
) -> None:
    assert allowed_for(permission, case("in_mediation")) == {"assigned mediator"}
    for status in ("accepted", "agreement_effective", "failed", "confirmed"):
        assert allowed_for(permission, case(status)) == set()
        refusal = decide(ACTORS["assigned mediator"], permission, case(status)).reason
        assert "only while the case is in mediation" in refusal


def test_a_party_of_another_case_is_refused_everything() -> None:
    for permission in MINE:
        assert not decide(ACTORS["party of another case"], permission, case("in_mediation"))
