"""The meetings part's HTTP permissions as a table: role x relationship x meeting/case status
(L2: a room token needs a verified identity; L10: a separate session seats one side only)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import CaseStatus
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, MeetingView, Permission, decide

P = Permission
MINE = (P.MEETING_SCHEDULE, P.MEETING_LIST, P.MEETING_READ, P.MEETING_CHANGE,
        P.MEETING_INVITE_GUEST, P.MEETING_ROOM_TOKEN, P.MEETING_RESCHEDULE_REQUEST,
        P.MEETING_RESCHEDULE_DECIDE, P.MEETING_NO_SHOW, P.MEETING_ATTENDANCE_READ,
        P.MEETING_RECORD_READ)

APPLICANT, RESPONDENT, AGENT_GENERAL, AGENT_READER, REVOKED_AGENT, MEDIATOR = 1, 2, 3, 4, 5, 6
JUDGE, CLERK, OUTSIDER, UNSEATED_JUDGE = 7, 8, 9, 10


def case(status: str = CaseStatus.IN_MEDIATION) -> CaseView:
    """Case 7 of institution 3 and court 5. The revoked agent's participation ended, so it is
    not among the participants (its seat row stays)."""
    return CaseView(
        case_id=7, status=status, institution_id=3, court_id=5, mediator_id=MEDIATOR,
        participants={
            APPLICANT: frozenset({"applicant"}), RESPONDENT: frozenset({"respondent"}),
            AGENT_GENERAL: frozenset({"agent"}), AGENT_READER: frozenset({"agent"}),
            MEDIATOR: frozenset({"mediator"}),
        },
        agent_scopes={AGENT_GENERAL: frozenset({"general"}),
                      AGENT_READER: frozenset({"read_file"})},
    )


def mediation(status: str = "scheduled", case_status: str = CaseStatus.IN_MEDIATION,
              seats: frozenset[int] | None = None) -> MeetingView:
    return MeetingView(
        case=case(case_status), meeting_id=11, kind="mediation", status=status,
        host_user_id=MEDIATOR,
        seat_user_ids=seats if seats is not None else frozenset(
            {APPLICANT, RESPONDENT, AGENT_GENERAL, AGENT_READER, REVOKED_AGENT, MEDIATOR}),
    )


def hearing(status: str = "scheduled", case_status: str = CaseStatus.IN_MEDIATION) -> MeetingView:
    return MeetingView(case=case(case_status), meeting_id=12, kind="hearing", status=status,
                       host_user_id=JUDGE,
                       seat_user_ids=frozenset({APPLICANT, RESPONDENT, JUDGE, CLERK}))


def who(role: Role | None, user_id: int = OUTSIDER, *, institutions: set[int] | None = None,
        courts: set[int] | None = None, level: str = IdentityLevel.BASIC) -> Actor:
    if role is None:
        return Actor.anonymous()
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions or ()),
                 court_ids=frozenset(courts or ()), identity_level=level)


def decisions(actor: Actor, meeting: MeetingView) -> str:
    """One letter per permission of MINE: T allowed, F refused (MEETING_LIST on the case)."""
    out = []
    for p in MINE:
        obj = meeting.case if p == P.MEETING_LIST else meeting
        out.append("T" if decide(actor, p, obj) else "F")
    return "".join(out)


#            schedule list read change invite token request decide no_show attendance record
NONE = "FFFFFFFFFFF"
PARTY = "FTTFFTTFFFT"
HOST = "TTTTTTFTTTT"
OFFICE = "FTTFFFFFFTT"  # institution admin, or court staff of a mediation: read, no seat

MEDIATION_TABLE: list[tuple[str, Actor, str]] = [
    ("anonymous", who(None), NONE),
    ("applicant, seated", who(Role.PARTY, APPLICANT), PARTY),
    ("applicant never verified (L2)", who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE), NONE),
    ("respondent, seated", who(Role.PARTY, RESPONDENT), PARTY),
    ("party of another case", who(Role.PARTY), NONE),
    ("agent with general authority, seated", who(Role.AGENT, AGENT_GENERAL), PARTY),
    ("agent with file reading only", who(Role.AGENT, AGENT_READER), NONE),
    ("revoked agent (seat row kept)", who(Role.AGENT, REVOKED_AGENT), NONE),
    ("assigned mediator, the host", who(Role.MEDIATOR, MEDIATOR, institutions={3}), HOST),
    ("mediator of the institution, not assigned", who(Role.MEDIATOR, institutions={3}), NONE),
    ("admin of the case's institution", who(Role.INSTITUTION_ADMIN, institutions={3}), OFFICE),
    ("admin of another institution", who(Role.INSTITUTION_ADMIN, institutions={4}), NONE),
    ("judge of the referring court", who(Role.JUDGE, courts={5}), OFFICE),
    ("clerk of the referring court", who(Role.CLERK, courts={5}), OFFICE),
    ("judge of another court", who(Role.JUDGE, courts={6}), NONE),
    ("platform admin", who(Role.ADMIN), NONE),
]


def test_these_permissions_are_decided_on_an_object() -> None:
    assert set(MINE) <= OBJECT_PERMISSIONS


@pytest.mark.parametrize(("description", "actor", "expected"), MEDIATION_TABLE,
                         ids=[t[0] for t in MEDIATION_TABLE])
def test_mediation_session_table_L2(description: str, actor: Actor, expected: str) -> None:
    assert decisions(actor, mediation()) == expected


HEARING_TABLE: list[tuple[str, Actor, str]] = [
    ("applicant, seated", who(Role.PARTY, APPLICANT), PARTY),
    ("presiding judge, the host", who(Role.JUDGE, JUDGE, courts={5}), HOST),
    ("clerk, co-host", who(Role.CLERK, CLERK, courts={5}), HOST),
    ("judge of the court without a seat", who(Role.JUDGE, UNSEATED_JUDGE, courts={5}),
     "TTTTTFFTTTT"),
    ("the case's mediator", who(Role.MEDIATOR, MEDIATOR, institutions={3}), "FTTFFFFFFFT"),
    ("admin of the case's institution", who(Role.INSTITUTION_ADMIN, institutions={3}), OFFICE),
    ("judge of another court", who(Role.JUDGE, JUDGE, courts={6}), NONE),
    ("party of another case", who(Role.PARTY), NONE),
]


@pytest.mark.parametrize(("description", "actor", "expected"), HEARING_TABLE,
                         ids=[t[0] for t in HEARING_TABLE])
def test_hearing_table(description: str, actor: Actor, expected: str) -> None:
    assert decisions(actor, hearing()) == expected


HOST_ACTOR = who(Role.MEDIATOR, MEDIATOR, institutions={3})
PARTY_ACTOR = who(Role.PARTY, APPLICANT)
STATUS_TABLE: list[tuple[str, Actor, MeetingView, str]] = [
    # an open room: no more changes or requests; tokens, guests and no-shows still
    ("host, meeting open", HOST_ACTOR, mediation("open"), "TTTFTTFFTTT"),
    ("party, meeting open", PARTY_ACTOR, mediation("open"), "FTTFFTFFFFT"),
    # ended: read, attendance, no-shows; no token, no guest
    ("host, meeting ended", HOST_ACTOR, mediation("ended"), "TTTFFFFFTTT"),
    ("party, meeting ended", PARTY_ACTOR, mediation("ended"), "FTTFFFFFFFT"),
    # cancelled: only reading is left
    ("host, meeting cancelled", HOST_ACTOR, mediation("cancelled"), "TTTFFFFFFTT"),
    ("party, meeting cancelled", PARTY_ACTOR, mediation("cancelled"), "FTTFFFFFFFT"),
    # a mediation is scheduled only while the case is in mediation
    ("host, case only accepted", HOST_ACTOR, mediation(case_status=CaseStatus.ACCEPTED),
     "FTTTTTFTTTT"),
    ("host, case ended", HOST_ACTOR, mediation(case_status=CaseStatus.FAILED), "FTTTTTFTTTT"),
    # a hearing while the case runs (incl. judicial confirmation applied), not once it ended
    ("judge, confirmation applied", who(Role.JUDGE, JUDGE, courts={5}),
     hearing(case_status=CaseStatus.CONFIRMATION_APPLIED), HOST),
    ("judge, case ended", who(Role.JUDGE, JUDGE, courts={5}),
     hearing(case_status=CaseStatus.FAILED), "FTTTTTFTTTT"),
]


@pytest.mark.parametrize(("description", "actor", "meeting", "expected"), STATUS_TABLE,
                         ids=[t[0] for t in STATUS_TABLE])
def test_meeting_and_case_status_table(description: str, actor: Actor, meeting: MeetingView,
                                       expected: str) -> None:
    assert decisions(actor, meeting) == expected


def test_a_separate_session_is_closed_to_the_other_side_L10() -> None:
    """Seats of a separate session hold one side: the other side's party reads nothing of it."""
    applicant_side = replace(mediation(), seat_user_ids=frozenset({APPLICANT, MEDIATOR}))
    assert decisions(who(Role.PARTY, RESPONDENT), applicant_side) == "FTFFFFFFFFF"
    assert decisions(who(Role.PARTY, APPLICANT), applicant_side) == PARTY


def test_guest_entry_is_public_and_the_room_token_needs_identity_L2() -> None:
    assert decide(Actor.anonymous(), P.MEETING_GUEST_ENTRY)
    refused = decide(who(Role.PARTY, APPLICANT, level=IdentityLevel.NONE), P.MEETING_ROOM_TOKEN,
                     mediation())
    assert not refused and "L2" in refused.reason
