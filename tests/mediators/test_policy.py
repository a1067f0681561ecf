"""The mediators part's permissions as whole tables (role x relationship x status), and HTTP
proof that a party never reaches another case's assignment."""

from __future__ import annotations

import httpx
import pytest

from mediators import selection
from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import CaseStatus
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, MediatorView, Permission, decide
from odr.services import Services
from tests.factories import sign_in
from tests.mediators.support import add_mediator, case_waiting, org, parties


def actor(role: Role | None, user_id: int = 1, *, institutions: frozenset[int] = frozenset(),
          courts: frozenset[int] = frozenset(), level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=institutions, court_ids=courts,
                 identity_level=level)


ACTORS: dict[str, Actor] = {
    "anonymous": actor(None),
    "applicant": actor(Role.PARTY, 1),
    "respondent": actor(Role.PARTY, 8),
    "unverified applicant": actor(Role.PARTY, 1, level=IdentityLevel.NONE),
    "party of another case": actor(Role.PARTY, 9),
    "agent with general authority": actor(Role.AGENT, 4),
    "agent without general authority": actor(Role.AGENT, 6),
    "revoked agent": actor(Role.AGENT, 10),
    "assigned mediator": actor(Role.MEDIATOR, 2, institutions=frozenset({3})),
    "other mediator of the institution": actor(Role.MEDIATOR, 11, institutions=frozenset({3})),
    "admin of the case's institution": actor(Role.INSTITUTION_ADMIN, 12, institutions=frozenset({3})),
    "admin of another institution": actor(Role.INSTITUTION_ADMIN, 13, institutions=frozenset({4})),
    "judge of the case's court": actor(Role.JUDGE, 14, courts=frozenset({5})),
    "clerk of the case's court": actor(Role.CLERK, 15, courts=frozenset({5})),
    "judge of another court": actor(Role.JUDGE, 16, courts=frozenset({6})),
    "platform admin": actor(Role.ADMIN, 17),
}

PARTY_SIDE = {"applicant", "respondent", "agent with general authority"}
OFFICE = {"admin of the case's institution", "judge of the case's court", "clerk of the case's court"}
ALL = frozenset(CaseStatus)
CHOOSING = frozenset({CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED})
WITH_MEDIATOR = frozenset({CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION})

# permission -> (who may, in which statuses)
EXPECTED: dict[Permission, tuple[set[str], frozenset[CaseStatus]]] = {
    Permission.MEDIATOR_CHOOSE: (PARTY_SIDE, CHOOSING),  # L5
    Permission.MEDIATOR_DESIGNATE: (OFFICE, CHOOSING),  # L5
    Permission.MEDIATOR_OVERRIDE: ({"admin of the case's institution"}, CHOOSING | WITH_MEDIATOR),
    Permission.ASSIGNMENT_RESPOND: ({"assigned mediator"}, frozenset({CaseStatus.MEDIATOR_ASSIGNED})),
    Permission.ASSIGNMENT_LIST: (PARTY_SIDE | OFFICE | {"assigned mediator"}, ALL),
    Permission.ASSIGNMENT_EXPLAIN: (OFFICE, ALL),
    Permission.CONFLICT_DISCLOSE: ({"assigned mediator"}, WITH_MEDIATOR),  # L7
    Permission.CONFLICT_ANSWER: (PARTY_SIDE, WITH_MEDIATOR),  # L7
    Permission.MEDIATOR_REPLACE: (PARTY_SIDE, WITH_MEDIATOR),  # L7
}


def case(status: CaseStatus) -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=3, court_id=5, mediator_id=2,
        participants={1: frozenset({"applicant"}), 8: frozenset({"respondent"}),
                      2: frozenset({"mediator"}), 4: frozenset({"agent"}), 6: frozenset({"agent"})},
        agent_scopes={4: frozenset({"general"}), 6: frozenset({"read_file"})},
    )


def test_every_mediators_permission_is_decided_on_an_object() -> None:
    mine = {p for p in Permission if p.name.startswith(("MEDIATOR_", "ASSIGNMENT_", "CONFLICT_"))}
    assert mine <= OBJECT_PERMISSIONS
    assert mine == set(EXPECTED) | {Permission.MEDIATOR_READ, Permission.MEDIATOR_MANAGE,
                                    Permission.MEDIATOR_SELF_UPDATE, Permission.ASSIGNMENT_QUEUE}


@pytest.mark.parametrize("permission", sorted(EXPECTED), ids=str)
def test_case_permission_table_role_relationship_status_L5_L6_L7(permission: Permission) -> None:
    allowed_actors, allowed_statuses = EXPECTED[permission]
    got = {
        (label, status): bool(decide(subject, permission, case(status)))
        for label, subject in ACTORS.items() for status in CaseStatus
    }
    want = {
        (label, status): label in allowed_actors and status in allowed_statuses
        for label in ACTORS for status in CaseStatus
    }
    assert got == want


def test_case_permissions_need_a_case() -> None:
    for permission in EXPECTED:
        assert not decide(ACTORS["applicant"], permission, None)


MEDIATOR = MediatorView(institution_id=3, user_id=2)
ROSTER = MediatorView(institution_id=3)
SELF_OR_ADMIN = {"assigned mediator", "admin of the case's institution"}
ADMIN = {"admin of the case's institution"}


@pytest.mark.parametrize(("permission", "view", "allowed"), [
    (Permission.MEDIATOR_READ, MEDIATOR, SELF_OR_ADMIN),
    (Permission.MEDIATOR_SELF_UPDATE, MEDIATOR, SELF_OR_ADMIN),
    (Permission.MEDIATOR_MANAGE, MEDIATOR, ADMIN),
    (Permission.MEDIATOR_READ, ROSTER, ADMIN),
    (Permission.MEDIATOR_MANAGE, ROSTER, ADMIN),
    (Permission.ASSIGNMENT_QUEUE, ROSTER, ADMIN),
], ids=lambda v: str(v) if isinstance(v, Permission) else "")
def test_institution_permission_table_admin_of_this_institution_or_the_mediator_itself(
    permission: Permission, view: MediatorView, allowed: set[str]
) -> None:
    got = {label for label, subject in ACTORS.items() if decide(subject, permission, view)}
    assert got == allowed
    assert not decide(ACTORS["admin of the case's institution"], permission, case(CaseStatus.ACCEPTED))


async def test_a_party_never_reaches_another_cases_assignment_over_http(
    client: httpx.AsyncClient, services: Services
) -> None:
    o = await org(services)
    m = await add_mediator(services, o)
    mine_applicant, mine_respondent = await parties(services)
    theirs = await case_waiting(services, o)
    await case_waiting(services, o, applicant=mine_applicant, respondent=mine_respondent)
    await selection.designate(services, o.admin_actor, theirs, mediator_id=m.id,
                              institution_id=None, note=None)
    await sign_in(client, services, mine_applicant)
    for method, path, body in (
        ("GET", "mediator-assignments", None), ("GET", "mediator-choices", None),
        ("GET", "conflict-disclosures", None), ("GET", "mediator-proposal", None),
        ("POST", "mediator-replacement", {"reason": "换"}),
        ("POST", "mediator-replacement/refusal", {"reason": "不"}),
        ("POST", "mediator-choices", {"institution_id": o.institution_id, "mediator_id": m.id}),
    ):
        r = await client.request(method, f"/api/v1/cases/{theirs}/{path}", json=body)
        assert r.status_code == 403, (path, r.text)
    # The mediator of another case cannot answer this one's assignment either.
    other = await add_mediator(services, o)
    client.cookies.clear()
    await sign_in(client, services, other)
    r = await client.post(f"/api/v1/cases/{theirs}/mediator-assignment/accept")
    assert r.status_code == 403
    assert (await client.get(f"/api/v1/mediators/{m.id}/assignments")).status_code == 403
