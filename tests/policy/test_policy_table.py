"""The policy as a whole table: every route names a permission, every permission a rule,
and the role x relationship x state decisions are exactly the ones listed here."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from odr.accounts.models import IdentityLevel, Role
from odr.app import api_routes
from odr.policy import OBJECT_PERMISSIONS, RULES, Actor, CaseView, Permission, decide

PUBLIC = {p for p in Permission if p.value.startswith("public:")}


def _routes() -> list[Route]:
    return [r for r in api_routes() if isinstance(r, Route)]


def test_every_route_declares_a_permission() -> None:
    missing = [r.path for r in _routes() if getattr(r.endpoint, "__odr_permission__", None) is None]
    assert missing == [], f"routes without a policy permission: {missing}"


def test_every_permission_has_a_rule() -> None:
    assert set(Permission) == set(RULES)


def actor(role: Role | None, *, institutions: set[int] = frozenset(), courts: set[int] = frozenset(),
          level: str = IdentityLevel.BASIC, user_id: int = 1) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions),
                 court_ids=frozenset(courts), identity_level=level)


ROLES: list[Role | None] = [None, *Role]

# Permissions that need no object: the full role table. True = allowed.
SIGNED_IN = {r: r is not None for r in ROLES}
ADMIN_ONLY = {r: r == Role.ADMIN for r in ROLES}
EXPECTED_NO_OBJECT: dict[Permission, dict[Role | None, bool]] = {
    Permission.PUBLIC_READ: {r: True for r in ROLES},
    Permission.ACCOUNT_REGISTER: {r: True for r in ROLES},
    Permission.ACCOUNT_LOGIN: {r: True for r in ROLES},
    Permission.ACCOUNT_RECOVER: {r: True for r in ROLES},
    Permission.ACCOUNT_OTP: {r: True for r in ROLES},
    Permission.SELF_READ: SIGNED_IN,
    Permission.SELF_UPDATE: SIGNED_IN,
    Permission.SELF_VERIFY_IDENTITY: SIGNED_IN,
    Permission.SELF_REAUTHENTICATE: SIGNED_IN,
    Permission.SELF_NOTIFICATIONS: SIGNED_IN,
    Permission.RTC_ICE_SERVERS: SIGNED_IN,  # odr.rtc: ICE servers and the caller's TURN credential
    Permission.USER_CREATE: ADMIN_ONLY,
    Permission.USER_LIST: ADMIN_ONLY,
    Permission.AUDIT_READ: ADMIN_ONLY,
    Permission.CASE_LIST: SIGNED_IN,
    Permission.STORAGE_UPLOAD: {r: r not in (None, Role.ADMIN) for r in ROLES},
    # Progress query (odr.cases.progress): public, throttled, progress fields only (L3).
    Permission.PROGRESS_QUERY: {r: True for r in ROLES},
    # Intake (odr.cases.intake): filing needs a verified party or agent; referral a judge or
    # clerk; a walk-in an institution admin (memberships are checked by the service).
    Permission.CASE_FILE: {r: r in (Role.PARTY, Role.AGENT) for r in ROLES},
    Permission.CASE_REFER: {r: r in (Role.JUDGE, Role.CLERK) for r in ROLES},
    Permission.CASE_WALK_IN: {r: r == Role.INSTITUTION_ADMIN for r in ROLES},
    Permission.REVIEW_QUEUE: {
        r: r in (Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK) for r in ROLES
    },
    # Legal clocks (odr.cases.deadlines): the rest-day calendar is public (L36).
    Permission.CALENDAR_READ: {r: True for r in ROLES},
    # Respondent invitations (odr.cases.parties): the link's summary is public and throttled;
    # claiming it needs a verified identity (L2). Table tests: tests/cases/parties/test_policy_parties.py
    Permission.INVITATION_READ: {r: True for r in ROLES},
    Permission.INVITATION_CLAIM: SIGNED_IN,
    # Meetings (odr.meetings): a guest's one-time link is public (the code to its mobile checks
    # who); only media nodes (not a user role) send node events. Room table: tests/signaling;
    # the HTTP table (role x relationship x meeting/case status): tests/meetings/test_policy_meetings.py
    Permission.MEETING_GUEST_ENTRY: {r: True for r in ROLES},
    Permission.MEDIA_NODE_EVENT: {r: False for r in ROLES},
    # Judicial confirmation, court side (agreements.confirmation.routes_court): the queue lists
    # the caller's own courts only; the acts are decided on a ConfirmationView
    # (tests/agreements/confirmation_court/test_policy_court.py).
    Permission.CONFIRMATION_QUEUE: {r: r in (Role.JUDGE, Role.CLERK) for r in ROLES},
    # Court filings (agreements.filing, L37): the court's own list; the filing table is in
    # tests/agreements/filing/test_policy_filing.py
    Permission.COURT_FILING_QUEUE: {r: r in (Role.JUDGE, Role.CLERK) for r in ROLES},
    # Verification (agreements.verification, agreements.pki): anyone may check a PDF or a printed
    # code (throttled per address) and fetch the platform root / use the local TSA.
    Permission.AGREEMENT_VERIFY: {r: True for r in ROLES},
    Permission.PKI_READ: {r: True for r in ROLES},
}


def test_no_object_permissions_table_is_complete() -> None:
    assert set(EXPECTED_NO_OBJECT) | OBJECT_PERMISSIONS == set(Permission)


@pytest.mark.parametrize("permission", sorted(EXPECTED_NO_OBJECT))
def test_role_table(permission: Permission) -> None:
    got = {role: bool(decide(actor(role), permission)) for role in ROLES}
    assert got == EXPECTED_NO_OBJECT[permission]


CASE = CaseView(case_id=7, status="in_mediation", institution_id=3, court_id=5,
                participants={1: frozenset({"applicant"}), 2: frozenset({"mediator"})})

# (description, actor, allowed)
CASE_READ_TABLE = [
    ("anonymous", actor(None), False),
    ("applicant of the case", actor(Role.PARTY, user_id=1), True),
    ("applicant who never verified identity (L3)", actor(Role.PARTY, user_id=1, level=IdentityLevel.NONE), False),
    ("party of another case", actor(Role.PARTY, user_id=9), False),
    ("agent not on the case", actor(Role.AGENT, user_id=9), False),
    ("assigned mediator", actor(Role.MEDIATOR, user_id=2, institutions={3}), True),
    ("mediator of the institution, not assigned", actor(Role.MEDIATOR, user_id=9, institutions={3}), False),
    ("admin of the case's institution", actor(Role.INSTITUTION_ADMIN, user_id=9, institutions={3}), True),
    ("admin of another institution", actor(Role.INSTITUTION_ADMIN, user_id=9, institutions={4}), False),
    ("judge of the referring court", actor(Role.JUDGE, user_id=9, courts={5}), True),
    ("clerk of the referring court", actor(Role.CLERK, user_id=9, courts={5}), True),
    ("judge of another court", actor(Role.JUDGE, user_id=9, courts={6}), False),
    ("platform admin (operates, does not read cases)", actor(Role.ADMIN, user_id=9), False),
]


@pytest.mark.parametrize(("who", "subject", "allowed"), CASE_READ_TABLE, ids=[t[0] for t in CASE_READ_TABLE])
def test_case_read_by_relationship_L3(who: str, subject: Actor, allowed: bool) -> None:
    assert bool(decide(subject, Permission.CASE_READ, CASE)) is allowed


def _sample_path(path: str) -> str:
    return re.sub(r"\{[^}:]+(:int)?\}", "1", re.sub(r"\{[^}]+:path\}", "x", path))


async def test_every_protected_route_refuses_anonymous(client: httpx.AsyncClient) -> None:
    """Walk every route as an anonymous caller: public ones answer, others say 401."""
    failures = []
    for route in _routes():
        permission = route.endpoint.__odr_permission__
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            response = await client.request(method, _sample_path(route.path))
            if permission in PUBLIC:
                if response.status_code in (401, 403):
                    failures.append((method, route.path, response.status_code))
            elif response.status_code != 401:
                failures.append((method, route.path, response.status_code))
    assert failures == []
