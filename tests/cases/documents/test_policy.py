"""The documents and file-reading rules as tables: role x relationship x status x document (L11)."""

from __future__ import annotations

import pytest

from odr.accounts.models import IdentityLevel, Role
from odr.policy import OBJECT_PERMISSIONS, Actor, CaseView, DocumentView, Permission, decide

# user ids: 1 applicant, 2 respondent, 3 applicant's general agent, 4 applicant's read-file agent,
# 5 revoked agent (no longer a participant), 6 agent without scopes, 7 assigned mediator,
# 8 other mediator, 9 admin of institution 3, 10 admin of institution 4, 11 judge of court 5,
# 12 clerk of court 5, 13 judge of court 6, 14 party of another case, 15 platform admin.
PARTICIPANTS = {
    1: frozenset({"applicant"}), 2: frozenset({"respondent"}), 3: frozenset({"agent"}),
    4: frozenset({"agent"}), 6: frozenset({"agent"}), 7: frozenset({"mediator"}),
}
SCOPES = {3: frozenset({"general", "sign_agreement"}), 4: frozenset({"read_file"}), 6: frozenset()}


def case(status: str = "in_mediation") -> CaseView:
    return CaseView(case_id=70, status=status, institution_id=3, court_id=5,
                    participants=PARTICIPANTS, channel="delegated", mediator_id=7, agent_scopes=SCOPES)


def who(role: Role, user_id: int, *, institutions: tuple[int, ...] = (), courts: tuple[int, ...] = (),
        level: str = IdentityLevel.BASIC) -> Actor:
    return Actor(user_id=user_id, role=role, institution_ids=frozenset(institutions),
                 court_ids=frozenset(courts), identity_level=level)


ACTORS: dict[str, Actor] = {
    "applicant": who(Role.PARTY, 1),
    "unverified applicant": who(Role.PARTY, 1, level=IdentityLevel.NONE),
    "respondent": who(Role.PARTY, 2),
    "applicant's general agent": who(Role.AGENT, 3),
    "applicant's read-file agent": who(Role.AGENT, 4),
    "revoked agent": who(Role.AGENT, 5),
    "agent without scope": who(Role.AGENT, 6),
    "assigned mediator": who(Role.MEDIATOR, 7, institutions=(3,)),
    "other mediator": who(Role.MEDIATOR, 8, institutions=(3,)),
    "admin of the institution": who(Role.INSTITUTION_ADMIN, 9, institutions=(3,)),
    "admin of another institution": who(Role.INSTITUTION_ADMIN, 10, institutions=(4,)),
    "judge of the court": who(Role.JUDGE, 11, courts=(5,)),
    "clerk of the court": who(Role.CLERK, 12, courts=(5,)),
    "judge of another court": who(Role.JUDGE, 13, courts=(6,)),
    "party of another case": who(Role.PARTY, 14),
    "platform admin": who(Role.ADMIN, 15),
}
NAMES = list(ACTORS)


def allowed_for(permission: Permission, obj: object) -> set[str]:
    return {name for name, actor in ACTORS.items() if decide(actor, permission, obj)}


STAFF = {"assigned mediator", "admin of the institution", "judge of the court", "clerk of the court"}
PARTY_SIDE = {"applicant", "respondent", "applicant's general agent"}
AGENT_GENERAL = {"applicant's general agent"}


def test_my_permissions_are_object_permissions() -> None:
    mine = {
        Permission.DOCUMENT_UPLOAD, Permission.DOCUMENT_LIST, Permission.DOCUMENT_READ,
        Permission.FILE_READING_APPLY, Permission.FILE_READING_LIST, Permission.FILE_READING_DECIDE,
        Permission.FILE_READING_VIEW, Permission.CASE_END, Permission.TRANSFER_PACKAGE_READ,
    }
    assert mine <= OBJECT_PERMISSIONS


@pytest.mark.parametrize("status", ["submitted", "accepted", "in_mediation", "agreement_effective"])
def test_upload_while_open_by_parties_agents_and_staff(status: str) -> None:
    assert allowed_for(Permission.DOCUMENT_UPLOAD, case(status)) == PARTY_SIDE | STAFF


@pytest.mark.parametrize("status", ["failed", "withdrawn", "confirmed"])
def test_upload_after_the_end_by_staff_only(status: str) -> None:
    assert allowed_for(Permission.DOCUMENT_UPLOAD, case(status)) == STAFF
    refusal = decide(ACTORS["applicant"], Permission.DOCUMENT_UPLOAD, case(status)).reason
    assert "once the case has ended" in refusal


def test_document_list_for_parties_general_agents_and_staff() -> None:
    for status in ("in_mediation", "failed"):
        assert allowed_for(Permission.DOCUMENT_LIST, case(status)) == PARTY_SIDE | STAFF


def doc(visibility: str, *, side: str | None = "applicant", confidential: bool = False,
        kind: str = "evidence", uploaded_by: int | None = 1) -> DocumentView:
    side_users = {"applicant": frozenset({1, 3, 4}), "respondent": frozenset({2})}
    return DocumentView(case=case(), visibility=visibility, kind=kind, side=side,
                        side_user_ids=side_users.get(side or "", frozenset()),
                        confidential=confidential, uploaded_by_id=uploaded_by)


MEDIATOR_AND_INSTITUTION = {"assigned mediator", "admin of the institution"}
DOCUMENT_TABLE = [
    ("shared with both sides", doc("all"), PARTY_SIDE | STAFF),
    ("the applicant's own-side material", doc("own_side"),
     {"applicant", "applicant's general agent"} | STAFF),
    ("the respondent's own-side material", doc("own_side", side="respondent", uploaded_by=2),
     {"respondent"} | STAFF),
    ("the respondent's note for the mediator only (L11)",
     doc("mediator_only", side="respondent", uploaded_by=2), {"respondent"} | MEDIATOR_AND_INSTITUTION),
    ("the mediator's caucus note (L11)", doc("mediator_only", side=None, uploaded_by=7),
     MEDIATOR_AND_INSTITUTION),
    ("a confidential concession shared with both sides (L11)", doc("all", confidential=True),
     PARTY_SIDE | MEDIATOR_AND_INSTITUTION),
    ("the transfer package", doc("mediator_only", side=None, kind="transfer_package", uploaded_by=None),
     STAFF),
]


@pytest.mark.parametrize(("what", "document", "expected"), DOCUMENT_TABLE, ids=[t[0] for t in DOCUMENT_TABLE])
def test_who_reads_which_document_L11(what: str, document: DocumentView, expected: set[str]) -> None:
    assert allowed_for(Permission.DOCUMENT_READ, document) == expected


def test_no_party_or_agent_reads_the_other_sides_mediator_only_document_L11() -> None:
    note = doc("mediator_only", side="respondent", uploaded_by=2)
    for name in ("applicant", "applicant's general agent", "applicant's read-file agent"):
        assert not decide(ACTORS[name], Permission.DOCUMENT_READ, note)


READERS = {"applicant's general agent", "applicant's read-file agent"}


def test_file_reading_application_by_agents_only() -> None:
    assert allowed_for(Permission.FILE_READING_APPLY, case()) == READERS
    assert allowed_for(Permission.FILE_READING_LIST, case()) == READERS | STAFF


def test_file_reading_decided_by_the_mediator_or_the_court() -> None:
    assert allowed_for(Permission.FILE_READING_DECIDE, case()) == {
        "assigned mediator", "judge of the court", "clerk of the court"
    }


FILE_READING_TABLE = [
    ("shared with both sides", doc("all"), READERS),
    ("the reader's side's own material", doc("own_side"), READERS),
    ("the other side's own material", doc("own_side", side="respondent", uploaded_by=2), set()),
    ("mediator-only (L11)", doc("mediator_only", side="applicant"), set()),
    ("confidential (L11)", doc("all", confidential=True), set()),
    ("the transfer package", doc("mediator_only", side=None, kind="transfer_package"), set()),
]


@pytest.mark.parametrize(("what", "document", "expected"), FILE_READING_TABLE,
                         ids=[t[0] for t in FILE_READING_TABLE])
def test_what_an_agent_reads_online_L11(what: str, document: DocumentView, expected: set[str]) -> None:
    assert allowed_for(Permission.FILE_READING_VIEW, document) == expected


def test_document_rules_need_their_object() -> None:
    assert not decide(ACTORS["assigned mediator"], Permission.DOCUMENT_READ, case())
    assert not decide(ACTORS["assigned mediator"], Permission.DOCUMENT_UPLOAD, doc("all"))
    assert not decide(Actor.anonymous(), Permission.DOCUMENT_LIST, case())
