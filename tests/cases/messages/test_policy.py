"""Role x relationship x status tables for the progress, timeline and thread permissions (L3, L11)."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import CaseStatus
from odr.policy import Actor, CaseView, Permission, ThreadView, decide

APPLICANT, RESPONDENT, AGENT, READ_AGENT, MEDIATOR, OTHER_PARTY = 1, 2, 3, 4, 5, 9
INSTITUTION, COURT = 30, 50


def case(status: str = CaseStatus.IN_MEDIATION) -> CaseView:
    return CaseView(
        case_id=7, status=status, institution_id=INSTITUTION, court_id=COURT,
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            AGENT: frozenset({"agent"}), READ_AGENT: frozenset({"agent"}),
            MEDIATOR: frozenset({"mediator"}),
        },
        mediator_id=MEDIATOR,
        agent_scopes={AGENT: frozenset({"general"}), READ_AGENT: frozenset({"read_file"})},
    )


def who(role: Role | None, user_id: int = 100, *, level: str = IdentityLevel.BASIC,
        institutions: frozenset[int] = frozenset(), courts: frozenset[int] = frozenset()) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, identity_level=level,
                 institution_ids=institutions, court_ids=courts)


ACTORS: dict[str, Actor] = {
    "anonymous": who(None),
    "applicant": who(Role.PARTY, APPLICANT),
    "unverified applicant": who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE),
    "respondent": who(Role.PARTY, RESPONDENT),
    "applicant's agent (general)": who(Role.AGENT, AGENT),
    "agent with read_file only": who(Role.AGENT, READ_AGENT),
    "revoked agent": who(Role.AGENT, 6),  # its participation ended: not in the view
    "party of another case": who(Role.PARTY, OTHER_PARTY),
    "assigned mediator": who(Role.MEDIATOR, MEDIATOR, institutions=frozenset({INSTITUTION})),
    "other mediator": who(Role.MEDIATOR, 11, institutions=frozenset({INSTITUTION})),
    "admin of this institution": who(Role.INSTITUTION_ADMIN, 12,
                                     institutions=frozenset({INSTITUTION})),
    "admin of another institution": who(Role.INSTITUTION_ADMIN, 13, institutions=frozenset({31})),
    "judge of this court": who(Role.JUDGE, 14, courts=frozenset({COURT})),
    "clerk of this court": who(Role.CLERK, 15, courts=frozenset({COURT})),
    "judge of another court": who(Role.JUDGE, 16, courts=frozenset({51})),
    "platform admin": who(Role.ADMIN, 17),
}

PARTY_SIDE = {"applicant", "respondent", "applicant's agent (general)"}
STAFF = {"assigned mediator", "admin of this institution", "judge of this court",
         "clerk of this court"}


@pytest.mark.parametrize("permission", [Permission.TIMELINE_READ, Permission.THREAD_LIST])
@pytest.mark.parametrize("status", [CaseStatus.SUBMITTED, CaseStatus.IN_MEDIATION,
                                    CaseStatus.FAILED])
def test_timeline_and_thread_list_are_for_participants_and_staff_L3(
    permission: Permission, status: str
) -> None:
    got = {name for name, actor in ACTORS.items() if decide(actor, permission, case(status))}
    assert got == PARTY_SIDE | STAFF


@pytest.mark.parametrize("status", [CaseStatus.SUBMITTED, CaseStatus.IN_MEDIATION,
                                    CaseStatus.WITHDRAWN])
def test_the_parties_side_and_the_case_staff_open_threads(status: str) -> None:
    """A party writes to staff; the mediator, institution admin, judge or clerk of the case
    writes to a party. Other cases' staff, read-only agents and the platform admin do not."""
    got = {name for name, actor in ACTORS.items()
           if decide(actor, Permission.THREAD_CREATE, case(status))}
    assert got == PARTY_SIDE | STAFF


@pytest.mark.parametrize("status,open_", [
    (CaseStatus.SUBMITTED, False), (CaseStatus.UNDER_REVIEW, False), (CaseStatus.REJECTED, False),
    (CaseStatus.ACCEPTED, True), (CaseStatus.IN_MEDIATION, True), (CaseStatus.CONFIRMED, True),
])
def test_query_password_reset_is_for_parties_after_acceptance_L3(status: str, open_: bool) -> None:
    got = {name for name, actor in ACTORS.items()
           if decide(actor, Permission.QUERY_PASSWORD_RESET, case(status))}
    assert got == (PARTY_SIDE if open_ else set())


def thread(addressee: str, *, side: str = "applicant", kind: str = "message",
           escalated_to: str | None = None) -> ThreadView:
    users = frozenset({APPLICANT, AGENT, READ_AGENT}) if side == "applicant" else frozenset(
        {RESPONDENT})
    return ThreadView(case=case(), kind=kind, addressee=addressee, side_user_ids=users,
                      escalated_to=escalated_to)


APPLICANT_SIDE = {"applicant", "applicant's agent (general)"}

THREAD_TABLE = [
    # (thread, who reads it) — never the other side (L11), never the unaddressed staff
    (thread("mediator"), APPLICANT_SIDE | {"assigned mediator"}),
    (thread("mediator", escalated_to="institution"),
     APPLICANT_SIDE | {"assigned mediator", "admin of this institution"}),
    (thread("institution"), APPLICANT_SIDE | {"admin of this institution"}),
    (thread("judge"), APPLICANT_SIDE | {"judge of this court", "clerk of this court"}),
    (thread("court", kind="complaint"),
     APPLICANT_SIDE | {"judge of this court", "clerk of this court"}),
    (thread("institution", kind="complaint"), APPLICANT_SIDE | {"admin of this institution"}),
    (thread("mediator", side="respondent"), {"respondent", "assigned mediator"}),
    # Threads staff open to a party: that party's side and the writer's group.
    (thread("judge", side="respondent"),
     {"respondent", "judge of this court", "clerk of this court"}),
    (thread("institution", side="respondent"), {"respondent", "admin of this institution"}),
]


@pytest.mark.parametrize("permission", [Permission.THREAD_READ, Permission.THREAD_REPLY])
@pytest.mark.parametrize("index", range(len(THREAD_TABLE)))
def test_a_thread_reaches_its_side_and_its_addressees_only_L11(
    permission: Permission, index: int
) -> None:
    view, expected = THREAD_TABLE[index]
    got = {name for name, actor in ACTORS.items() if decide(actor, permission, view)}
    assert got == expected


def test_thread_rules_need_a_thread() -> None:
    assert not decide(ACTORS["applicant"], Permission.THREAD_READ, case())
    assert not decide(ACTORS["applicant"], Permission.THREAD_READ, None)


def test_progress_query_is_public_L3() -> None:
    assert all(decide(actor, Permission.PROGRESS_QUERY) for actor in ACTORS.values())
