"""Rules of the cases part (odr.cases.*, odr.eservice): parties, progress,
messages, intake, documents, ending, deadlines, electronic service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from odr.accounts.models import Role
from odr.cases.lifecycle import TERMINAL, CaseStatus
from odr.policy.core import (
    ALLOW,
    Actor,
    CaseView,
    Decision,
    Rule,
    acts_for_party,
    anyone,
    case_rule,
    is_case_mediator,
    is_case_staff,
    is_court_staff,
    is_institution_staff,
    is_verified,
    role_in,
    verified_identity,
    verified_in,
)
from odr.policy.permissions import Permission

# Rules of the parties part (odr.cases.parties). The policy answers "some party";
# the service then checks the very party a request names (odr.cases.parties.authorizations).
_OPEN_CASE = frozenset(CaseStatus) - TERMINAL
_BEFORE_MEDIATION = frozenset(
    {CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED, CaseStatus.MEDIATOR_ASSIGNED}
)


def _participant_or_staff(actor: Actor, case: CaseView) -> bool:
    return (is_verified(actor) and bool(case.roles_of(actor.user_id))) or is_case_staff(actor, case)


def _respondent_side(actor: Actor, case: CaseView) -> bool:
    """A verified respondent of the case, or a verified agent with general authority."""
    if not is_verified(actor):
        return False
    return "respondent" in case.roles_of(actor.user_id) or case.is_agent_with(
        actor.user_id, "general"
    )


def _principal_or_staff(actor: Actor, case: CaseView) -> bool:
    """A verified party itself (not its agent), or the case's staff."""
    return (is_verified(actor) and case.is_party(actor.user_id)) or is_case_staff(actor, case)


# Rules of the progress and messages parts (odr.cases.progress, odr.cases.messages).
_IN_MEDIATION = frozenset({CaseStatus.IN_MEDIATION})  # the L13 period runs (odr.cases.deadlines)
_AFTER_ACCEPTANCE = frozenset(CaseStatus) - {
    CaseStatus.SUBMITTED, CaseStatus.UNDER_REVIEW, CaseStatus.REJECTED,
}


@dataclass(frozen=True)
class ThreadView:
    """What the policy needs to know of a message thread.

    ``side_user_ids`` are the users of the author's side (its parties and their
    agents, running participations); ``addressee`` and ``escalated_to`` name the
    staff groups addressed (mediator | judge | institution | court). The other
    side is never in it (L11).
    """

    case: CaseView
    kind: str
    addressee: str
    side_user_ids: frozenset[int]
    escalated_to: str | None = None


def on_thread_side(actor: Actor, thread: ThreadView) -> bool:
    """A verified party of the thread's side, or its agent with general authority."""
    return (
        actor.user_id in thread.side_user_ids
        and acts_for_party(actor, thread.case, "general")
    )


def is_thread_staff(actor: Actor, thread: ThreadView) -> bool:
    """Staff the thread is addressed (or escalated) to; a complaint never reaches the mediator."""
    groups = {thread.addressee, thread.escalated_to}
    case = thread.case
    return (
        ("mediator" in groups and is_case_mediator(actor, case))
        or ("institution" in groups and is_institution_staff(actor, case))
        or (bool(groups & {"judge", "court"}) and is_court_staff(actor, case))
    )


def _thread_rule(check: Callable[[Actor, ThreadView], bool], refusal: str) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, ThreadView):
            return Decision(False, "no thread given")
        return ALLOW if check(actor, obj) else Decision(False, refusal)

    return rule


def party_side_or_staff(actor: Actor, case: CaseView) -> bool:
    return acts_for_party(actor, case, "general") or is_case_staff(actor, case)


def _thread_audience(actor: Actor, thread: ThreadView) -> bool:
    return on_thread_side(actor, thread) or is_thread_staff(actor, thread)



def reviews_case(actor: Actor, case: CaseView) -> bool:
    """Staff of the case's institution or court; with no institution yet, the preferred one's admins."""
    if is_institution_staff(actor, case) or is_court_staff(actor, case):
        return True
    return (
        actor.role == Role.INSTITUTION_ADMIN
        and case.institution_id is None
        and case.preferred_institution_id is not None
        and case.preferred_institution_id in actor.institution_ids
    )


def _applicant_side(actor: Actor, case: CaseView) -> bool:
    """A verified applicant of the case, or a verified agent with general authority.

    The policy cannot tell an applicant's agent from a respondent's; the
    intake service checks the agent's side before it changes anything.
    """
    if not is_verified(actor):
        return False
    return "applicant" in case.roles_of(actor.user_id) or case.is_agent_with(
        actor.user_id, "general"
    )


# Rules of the documents and ending parts (odr.cases.documents, odr.cases.ending).
@dataclass(frozen=True)
class DocumentView:
    """What the policy needs to know of one case document.

    ``side_user_ids`` are the users standing on the document's ``side`` (its
    parties and their agents, running participations); empty for staff uploads.
    """

    case: CaseView
    visibility: str  # odr.cases.models.DocumentVisibility
    kind: str
    side: str | None = None
    side_user_ids: frozenset[int] = frozenset()
    confidential: bool = False
    uploaded_by_id: int | None = None


_DOCUMENT_UPLOAD_BY_STAFF = case_rule(is_case_staff, "not staff of this case")
_DOCUMENT_UPLOAD_BY_PARTY = case_rule(
    acts_for_party,
    "only the case's parties (or their agents with general authority), its mediator or its "
    "staff add documents",
    states=_OPEN_CASE, state_refusal="parties cannot add documents once the case has ended",
)


def _document_upload(actor: Actor, obj: object) -> Decision:
    """Staff in any status; a party or its general agent only while the case is open."""
    by_staff = _DOCUMENT_UPLOAD_BY_STAFF(actor, obj)
    return by_staff if by_staff else _DOCUMENT_UPLOAD_BY_PARTY(actor, obj)


def kept_from_court(doc: DocumentView) -> bool:
    """L11: confidential material (caucus content, concessions) and mediator-only notes.

    They never reach a court. The transfer package itself is made for the
    court, so it is the exception.
    """
    if doc.kind == "transfer_package":
        return False
    return doc.confidential or doc.visibility == "mediator_only"


def _party_sees(actor: Actor, doc: DocumentView) -> bool:
    if doc.visibility == "all":
        return True
    if doc.visibility == "own_side":
        return actor.user_id in doc.side_user_ids
    # mediator_only: never any party or agent, except the very user who sent it
    return doc.uploaded_by_id is not None and doc.uploaded_by_id == actor.user_id


def _document_read(actor: Actor, obj: object) -> Decision:
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not isinstance(obj, DocumentView):
        return Decision(False, "no document given")
    case = obj.case
    if is_case_mediator(actor, case) or is_institution_staff(actor, case):
        return ALLOW
    if is_court_staff(actor, case):
        if kept_from_court(obj):
            return Decision(False, "confidential and mediator-only material is kept from the court (L11)")
        return ALLOW
    if acts_for_party(actor, case, "general") and _party_sees(actor, obj):
        return ALLOW
    return Decision(False, "this document is not shared with you")


def reads_file(actor: Actor, case: CaseView) -> bool:
    """A verified agent of the case who may apply for online file reading (网上阅卷)."""
    return is_verified(actor) and (
        case.is_agent_with(actor.user_id, "read_file") or case.is_agent_with(actor.user_id, "general")
    )


def _reader_or_staff(actor: Actor, case: CaseView) -> bool:
    return reads_file(actor, case) or is_case_staff(actor, case)


def _file_reading_view(actor: Actor, obj: object) -> Decision:
    """The reader's side's material, never anything confidential or mediator-only (L11)."""
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not isinstance(obj, DocumentView):
        return Decision(False, "no document given")
    if not reads_file(actor, obj.case):
        return Decision(False, "only an agent of this case reads its file online")
    hidden = obj.kind == "transfer_package" or obj.confidential or obj.visibility == "mediator_only"
    if hidden or (obj.visibility == "own_side" and actor.user_id not in obj.side_user_ids):
        return Decision(False, "this document is not part of the file open for reading")
    return ALLOW


def _file_reading_decider(actor: Actor, case: CaseView) -> bool:
    return is_case_mediator(actor, case) or is_court_staff(actor, case)


def _ends_mediation(actor: Actor, case: CaseView) -> bool:
    return is_case_mediator(actor, case) or is_institution_staff(actor, case)


# Rules of the electronic-service part (odr.eservice). The policy answers "some party";
# the service then limits a party to its own records and links (odr.eservice.service).
def _office_staff(actor: Actor, case: CaseView) -> bool:
    """Staff of the case's institution or court (not the mediator): they post paper copies."""
    return is_institution_staff(actor, case) or is_court_staff(actor, case)


CASE_RULES: dict[Permission, Rule] = {
    Permission.INVITATION_READ: anyone,
    Permission.INVITATION_CLAIM: verified_identity,
    Permission.RESPONDENT_ANSWER: case_rule(
        _respondent_side, "only a respondent of this case (or its agent) answers the invitation",
        states=_BEFORE_MEDIATION,
        state_refusal="the respondent answers only before mediation starts and while the case is open",
    ),
    Permission.CONSENT_READ: case_rule(_participant_or_staff, "not a participant of this case"),
    Permission.CONSENT_RECORD: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) gives consent",
        states=_OPEN_CASE, state_refusal="the case has ended",
    ),
    Permission.AUTHORIZATION_READ: case_rule(_participant_or_staff, "not a participant of this case"),
    Permission.AUTHORIZATION_GRANT: case_rule(
        _principal_or_staff, "only the party itself or the case's staff authorizes an agent",
        states=_OPEN_CASE, state_refusal="the case has ended",
    ),
    Permission.AUTHORIZATION_REVOKE: case_rule(
        _principal_or_staff, "only the party itself or the case's staff revokes an authorization"
    ),
    Permission.PROGRESS_QUERY: anyone,
    Permission.QUERY_PASSWORD_RESET: case_rule(
        acts_for_party, "only a verified party of this case (or its agent) resets its query password",
        states=_AFTER_ACCEPTANCE, state_refusal="query passwords are issued once the case is accepted",
    ),
    Permission.TIMELINE_READ: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.THREAD_LIST: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.THREAD_CREATE: case_rule(
        party_side_or_staff, "only a party of this case (or its agent with general authority) "
        "writes to its staff, and only its mediator, institution or court staff write to a party",
    ),
    Permission.THREAD_READ: _thread_rule(_thread_audience, "this thread is not addressed to you"),
    Permission.THREAD_REPLY: _thread_rule(_thread_audience, "this thread is not addressed to you"),
    Permission.DOCUMENT_UPLOAD: _document_upload,
    Permission.DOCUMENT_LIST: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.DOCUMENT_READ: _document_read,
    Permission.FILE_READING_APPLY: case_rule(
        reads_file, "only an agent of this case (a lawyer with file-reading or general authority) "
        "applies to read its file",
    ),
    Permission.FILE_READING_LIST: case_rule(_reader_or_staff, "not a participant of this case"),
    Permission.FILE_READING_DECIDE: case_rule(
        _file_reading_decider, "only the case's mediator or a judge or clerk of its court decides",
    ),
    Permission.FILE_READING_VIEW: _file_reading_view,
    Permission.CASE_END: case_rule(
        _ends_mediation, "only the case's mediator or its institution's staff end the mediation"
    ),
    Permission.TRANSFER_PACKAGE_READ: case_rule(
        is_case_staff, "only the case's staff see the transfer package"
    ),
    Permission.CASE_FILE: verified_in(Role.PARTY, Role.AGENT),
    Permission.CASE_REFER: role_in(Role.JUDGE, Role.CLERK),
    Permission.CASE_WALK_IN: role_in(Role.INSTITUTION_ADMIN),
    Permission.REVIEW_QUEUE: role_in(Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK),
    Permission.CASE_REVIEW: case_rule(
        reviews_case, "only staff of the case's institution or court review its application"
    ),
    Permission.CASE_AMEND: case_rule(
        _applicant_side, "only the applicant (or its agent) changes or resubmits the application"
    ),
    Permission.CALENDAR_READ: anyone,
    Permission.DEADLINE_LIST: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.MEDIATION_PERIOD_PAUSE: case_rule(
        is_case_mediator, "only the case's mediator pauses or resumes the mediation period",
        states=_IN_MEDIATION, state_refusal="the mediation period runs only while in mediation",
    ),
    Permission.EXTENSION_PROPOSE: case_rule(
        is_case_mediator, "only the case's mediator proposes to extend the mediation period",
        states=_IN_MEDIATION, state_refusal="the mediation period runs only while in mediation",
    ),
    Permission.EXTENSION_ANSWER: case_rule(
        acts_for_party,
        "only a party of this case (or its agent with general authority) answers an extension",
        states=_IN_MEDIATION, state_refusal="the mediation period runs only while in mediation",
    ),
    Permission.SERVICE_READ: case_rule(party_side_or_staff, "not a participant of this case"),
    Permission.SERVICE_ADDRESS_CONFIRM: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) "
        "confirms its service address",
    ),
    Permission.DOCUMENT_SERVE: case_rule(
        is_case_staff, "only the case's mediator or staff serve its documents"
    ),
    Permission.SERVICE_OPEN: case_rule(
        acts_for_party, "only the recipient (or its agent with general authority) opens a service"
    ),
    Permission.PAPER_COPY_REQUEST: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) asks "
        "for a paper copy",
    ),
    Permission.PAPER_COPY_SEND: case_rule(
        _office_staff, "only staff of the case's institution or court send paper copies"
    ),
}


# Permissions decided on a loaded object: the route checks sign-in first, then
# asks ``authorize(actor, permission, obj)`` once it has the object.
CASE_OBJECT_PERMISSIONS: frozenset[Permission] = frozenset({
    Permission.RESPONDENT_ANSWER, Permission.CONSENT_READ, Permission.CONSENT_RECORD,
    Permission.AUTHORIZATION_READ, Permission.AUTHORIZATION_GRANT, Permission.AUTHORIZATION_REVOKE,
} | {
    Permission.QUERY_PASSWORD_RESET, Permission.TIMELINE_READ, Permission.THREAD_LIST,
    Permission.THREAD_CREATE, Permission.THREAD_READ, Permission.THREAD_REPLY,
} | {Permission.CASE_REVIEW, Permission.CASE_AMEND} | {
    Permission.DOCUMENT_UPLOAD, Permission.DOCUMENT_LIST, Permission.DOCUMENT_READ,
    Permission.FILE_READING_APPLY, Permission.FILE_READING_LIST, Permission.FILE_READING_DECIDE,
    Permission.FILE_READING_VIEW, Permission.CASE_END, Permission.TRANSFER_PACKAGE_READ,
} | {
    Permission.DEADLINE_LIST, Permission.MEDIATION_PERIOD_PAUSE, Permission.EXTENSION_PROPOSE,
    Permission.EXTENSION_ANSWER,
} | {
    Permission.SERVICE_READ, Permission.SERVICE_ADDRESS_CONFIRM, Permission.DOCUMENT_SERVE,
    Permission.SERVICE_OPEN, Permission.PAPER_COPY_REQUEST, Permission.PAPER_COPY_SEND,
})
