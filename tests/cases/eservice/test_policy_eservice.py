"""The electronic-service permissions as a table: role x relationship x status (L33-L35).

Electronic service is possible in every status (a rejection notice before
acceptance, a ruling after the end), so the status column must never change
a decision; the relationship decides.
"""

from __future__ import annotations

import httpx
import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, Permission, decide

P = Permission
PERMISSIONS = (
    P.SERVICE_READ, P.SERVICE_ADDRESS_CONFIRM, P.DOCUMENT_SERVE, P.SERVICE_OPEN,
    P.PAPER_COPY_REQUEST, P.PAPER_COPY_SEND,
)
STATUSES = ("submitted", "rejected", "in_mediation", "failed", "confirmed")


def case(status: str) -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=3, court_id=5, mediator_id=20,
        participants={
            1: frozenset({"applicant"}), 2: frozenset({"respondent"}),
            10: frozenset({"agent"}), 11: frozenset({"agent"}), 20: frozenset({"mediator"}),
        },
        agent_scopes={10: frozenset({"general"}), 11: frozenset({"sign_agreement"})},
    )


def actor(role: Role | None, user_id: int = 99, *, institutions: frozenset[int] = frozenset(),
          courts: frozenset[int] = frozenset(), level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=institutions, court_ids=courts,
                 identity_level=level)


PARTY = {P.SERVICE_READ, P.SERVICE_ADDRESS_CONFIRM, P.SERVICE_OPEN, P.PAPER_COPY_REQUEST}
MEDIATOR = {P.SERVICE_READ, P.DOCUMENT_SERVE}
OFFICE = {P.SERVICE_READ, P.DOCUMENT_SERVE, P.PAPER_COPY_SEND}
NOTHING: set[Permission] = set()

# (who, actor, the permissions allowed)
TABLE = [
    ("anonymous", actor(None), NOTHING),
    ("applicant of the case", actor(Role.PARTY, 1), PARTY),
    ("respondent of the case", actor(Role.PARTY, 2), PARTY),
    ("applicant, identity not verified", actor(Role.PARTY, 1, level=IdentityLevel.NONE), NOTHING),
    ("party of another case", actor(Role.PARTY, 3), NOTHING),
    ("agent with general authority", actor(Role.AGENT, 10), PARTY),
    ("agent with signing authority only", actor(Role.AGENT, 11), NOTHING),
    ("revoked agent (participation gone)", actor(Role.AGENT, 12), NOTHING),
    ("assigned mediator", actor(Role.MEDIATOR, 20, institutions=frozenset({3})), MEDIATOR),
    ("another mediator of the institution", actor(Role.MEDIATOR, 21, institutions=frozenset({3})),
     NOTHING),
    ("admin of the case's institution", actor(Role.INSTITUTION_ADMIN, institutions=frozenset({3})),
     OFFICE),
    ("admin of another institution", actor(Role.INSTITUTION_ADMIN, institutions=frozenset({4})),
     NOTHING),
    ("judge of the case's court", actor(Role.JUDGE, courts=frozenset({5})), OFFICE),
    ("clerk of the case's court", actor(Role.CLERK, courts=frozenset({5})), OFFICE),
    ("judge of another court", actor(Role.JUDGE, courts=frozenset({6})), NOTHING),
    ("platform admin", actor(Role.ADMIN), NOTHING),
]


def test_the_eservice_permissions_are_object_permissions() -> None:
    assert set(PERMISSIONS) <= OBJECT_PERMISSIONS


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize(("who", "subject", "allowed"), TABLE, ids=[row[0] for row in TABLE])
def test_eservice_policy_table_L33_L34_L35(
    who: str, subject: Actor, allowed: set[Permission], status: str
) -> None:
    got = {p for p in PERMISSIONS if decide(subject, p, case(status))}
    assert got == allowed, who


def test_no_case_no_permission() -> None:
    for permission in PERMISSIONS:
        assert not decide(actor(Role.JUDGE, courts=frozenset({5})), permission, None)


async def test_the_eservice_routes_are_in_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/cases/{case_id}/service-address"]) >= {"get", "post"}
    assert set(paths["/api/v1/cases/{case_id}/paper-copy-requests"]) >= {"get", "post"}
    for path in (
        "/api/v1/cases/{case_id}/documents/{document_id}/serve",
        "/api/v1/cases/{case_id}/service-records",
        "/api/v1/service/{token}",
        "/api/v1/service-records/{record_id}/receipt",
        "/api/v1/cases/{case_id}/paper-copy-requests/{request_id}/sent",
    ):
        assert path in paths, path
