"""The one authorization policy: may this actor do this action on this object?

Decided from role x relationship to the object x the object's state, never by
role alone. Every route and socket event names a ``Permission``; the route
layer asks ``authorize`` (or, for lists, ``visible_case_scope``) before work.
Pure Python: no database, no framework, so the whole table can be walked in tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from odr.accounts.models import IdentityLevel, Role
from odr.cases.lifecycle import TERMINAL, CaseStatus
from odr.errors import Forbidden, Unauthenticated


class Permission(StrEnum):
    """``<scope>:<resource>:<action>``."""

    PUBLIC_READ = "public:site:read"  # health, roster, notice, API document
    ACCOUNT_REGISTER = "public:account:register"
    ACCOUNT_LOGIN = "public:account:login"
    ACCOUNT_RECOVER = "public:account:recover"  # password reset by one-time code
    ACCOUNT_OTP = "public:account:otp"  # ask for a one-time code (some purposes need sign-in)
    SELF_READ = "self:account:read"
    SELF_UPDATE = "self:account:update"
    SELF_VERIFY_IDENTITY = "self:identity:verify"
    SELF_REAUTHENTICATE = "self:session:reauthenticate"
    SELF_NOTIFICATIONS = "self:notification:read"
    USER_CREATE = "admin:user:create"
    USER_LIST = "admin:user:list"
    AUDIT_READ = "admin:audit:read"
    CASE_LIST = "case:case:list"
    CASE_READ = "case:case:read"
    STORAGE_UPLOAD = "case:file:upload"
    # Respondents, consents and agents (odr.cases.parties; L1, L2, L3, L8)
    INVITATION_READ = "public:invitation:read"  # the summary behind an SMS link (throttled)
    INVITATION_CLAIM = "case:invitation:claim"
    RESPONDENT_ANSWER = "case:respondent:answer"
    CONSENT_READ = "case:consent:read"
    CONSENT_RECORD = "case:consent:record"
    AUTHORIZATION_READ = "case:authorization:read"
    AUTHORIZATION_GRANT = "case:authorization:grant"
    AUTHORIZATION_REVOKE = "case:authorization:revoke"
    # Progress query, timeline, message threads and complaints (odr.cases.progress, .messages; L3, L11)
    PROGRESS_QUERY = "public:progress:query"  # case number + query password, throttled (L3)
    QUERY_PASSWORD_RESET = "case:query_password:reset"
    TIMELINE_READ = "case:timeline:read"
    THREAD_LIST = "case:thread:list"
    THREAD_CREATE = "case:thread:create"
    THREAD_READ = "case:thread:read"  # decided on a ThreadView
    THREAD_REPLY = "case:thread:reply"  # decided on a ThreadView
    # Evidence, online file reading, ending and transfer (odr.cases.documents, .ending; L11, L14)
    DOCUMENT_UPLOAD = "case:document:upload"
    DOCUMENT_LIST = "case:document:list"
    DOCUMENT_READ = "case:document:read"  # decided on a DocumentView
    FILE_READING_APPLY = "case:file_reading:apply"
    FILE_READING_LIST = "case:file_reading:list"
    FILE_READING_DECIDE = "case:file_reading:decide"
    FILE_READING_VIEW = "case:file_reading:view"  # decided on a DocumentView; the grant by the route
    CASE_END = "case:case:end"
    TRANSFER_PACKAGE_READ = "case:transfer_package:read"
    # Intake and review (odr.cases.intake; L1)
    CASE_FILE = "case:application:file"
    CASE_REFER = "case:referral:create"
    CASE_WALK_IN = "case:walk_in:create"
    REVIEW_QUEUE = "case:review:list"
    CASE_REVIEW = "case:case:review"  # start review, accept, reject
    CASE_AMEND = "case:application:amend"  # fix a rejected application, resubmit it
    # Legal clocks (odr.cases.deadlines; L5, L6, L13, L36)
    CALENDAR_READ = "public:calendar:read"
    DEADLINE_LIST = "case:deadline:list"
    MEDIATION_PERIOD_PAUSE = "case:mediation_period:pause"  # pause and resume (L13 appraisal)
    EXTENSION_PROPOSE = "case:extension:propose"  # the mediator proposes (L13)
    EXTENSION_ANSWER = "case:extension:answer"  # each party agrees or refuses (L13)

    # Electronic service and paper copies (odr.eservice; L33-L35)
    SERVICE_READ = "case:service:read"  # addresses, service records, receipts, paper-copy requests
    SERVICE_ADDRESS_CONFIRM = "case:service_address:confirm"  # the address-confirmation form (L33)
    DOCUMENT_SERVE = "case:document:serve"  # serve a document electronically (L33-L34)
    SERVICE_OPEN = "case:service:open"  # the recipient opens a service link (the service checks who)
    PAPER_COPY_REQUEST = "case:paper_copy:request"  # L35
    PAPER_COPY_SEND = "case:paper_copy:send"
    # Mediators and assignment (mediators/; L4-L7). Roster reads are PUBLIC_READ.
    MEDIATOR_READ = "institution:mediator:read"  # decided on a MediatorView: its admins, itself
    MEDIATOR_MANAGE = "institution:mediator:manage"  # profile, capacity, status: its admins
    MEDIATOR_SELF_UPDATE = "institution:mediator:update"  # hours, leave, conflicts: admins, itself
    ASSIGNMENT_QUEUE = "institution:assignment:manage"  # the admin queue and batch runs
    MEDIATOR_CHOOSE = "case:mediator:choose"  # L5: a party's joint choice
    MEDIATOR_DESIGNATE = "case:mediator:designate"  # L5: the institution or court designates
    MEDIATOR_OVERRIDE = "case:mediator:override"  # the institution admin, with a reason
    ASSIGNMENT_RESPOND = "case:assignment:respond"  # L6: the mediator accepts or declines
    ASSIGNMENT_LIST = "case:assignment:list"  # who mediated the case, and choices
    ASSIGNMENT_EXPLAIN = "case:assignment:explain"  # why (score parts): institution or court staff
    CONFLICT_DISCLOSE = "case:conflict:disclose"  # L7: the mediator
    CONFLICT_ANSWER = "case:conflict:answer"  # L7: each party
    MEDIATOR_REPLACE = "case:mediator:replace"  # L7: ask for another mediator, or refuse it

@dataclass(frozen=True)
class Actor:
    """Who is asking: the user and their organisational memberships."""

    user_id: int | None
    role: str | None
    institution_ids: frozenset[int] = field(default_factory=frozenset)
    court_ids: frozenset[int] = field(default_factory=frozenset)
    identity_level: str = IdentityLevel.NONE

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, role=None)


@dataclass(frozen=True)
class CaseView:
    """What the policy needs to know of a case, as of the request.

    ``participants`` holds only participations still running (an agent's
    revoked or expired authorization is gone); ``agent_scopes`` the scopes of
    each agent's currently valid authorizations (``odr.cases.models.AgentScope``).
    """

    case_id: int
    status: str
    institution_id: int | None
    court_id: int | None
    participants: dict[int, frozenset[str]]  # user_id -> case roles
    channel: str = "self_filed"
    mediator_id: int | None = None
    agent_scopes: dict[int, frozenset[str]] = field(default_factory=dict)
    # The institution a self-filed applicant asked for, while none is assigned (review).
    preferred_institution_id: int | None = None

    def roles_of(self, user_id: int | None) -> frozenset[str]:
        if user_id is None:
            return frozenset()
        return self.participants.get(user_id, frozenset())

    def is_party(self, user_id: int | None) -> bool:
        return bool(self.roles_of(user_id) & PARTY_ROLES)

    def is_agent_with(self, user_id: int | None, scope: str) -> bool:
        if user_id is None or "agent" not in self.roles_of(user_id):
            return False
        return scope in self.agent_scopes.get(user_id, frozenset())

    def is_mediator(self, user_id: int | None) -> bool:
        return user_id is not None and (
            self.mediator_id == user_id or "mediator" in self.roles_of(user_id)
        )


PARTY_ROLES = frozenset({"applicant", "respondent"})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True, "allowed")

Rule = Callable[[Actor, object], Decision]


def _anyone(_actor: Actor, _obj: object) -> Decision:
    return ALLOW


def _signed_in(actor: Actor, _obj: object) -> Decision:
    return ALLOW if actor.authenticated else Decision(False, "sign in first")


def _role_in(*roles: Role) -> Rule:
    def rule(actor: Actor, _obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if actor.role in roles:
            return ALLOW
        return Decision(False, f"role {actor.role} may not do this")

    return rule


def _case_read(actor: Actor, obj: object) -> Decision:
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not isinstance(obj, CaseView):
        return Decision(False, "no case given")
    if obj.roles_of(actor.user_id):
        if actor.identity_level == IdentityLevel.NONE:
            return Decision(False, "verify your identity before reading case information")
        return ALLOW
    if actor.role == Role.INSTITUTION_ADMIN and obj.institution_id in actor.institution_ids:
        return ALLOW
    if actor.role in (Role.JUDGE, Role.CLERK) and obj.court_id in actor.court_ids:
        return ALLOW
    return Decision(False, "not a participant of this case")


# Building blocks for case rules: each answers one relationship question.
def is_verified(actor: Actor) -> bool:
    return actor.authenticated and actor.identity_level != IdentityLevel.NONE


def acts_for_party(actor: Actor, case: CaseView, scope: str = "general") -> bool:
    """A verified party of the case, or a verified agent whose authorization carries ``scope``."""
    if not is_verified(actor):
        return False
    return case.is_party(actor.user_id) or case.is_agent_with(actor.user_id, scope)


def is_case_mediator(actor: Actor, case: CaseView) -> bool:
    return actor.role == Role.MEDIATOR and case.is_mediator(actor.user_id)


def is_institution_staff(actor: Actor, case: CaseView) -> bool:
    return (
        actor.role == Role.INSTITUTION_ADMIN
        and case.institution_id is not None
        and case.institution_id in actor.institution_ids
    )


def is_court_staff(actor: Actor, case: CaseView) -> bool:
    return (
        actor.role in (Role.JUDGE, Role.CLERK)
        and case.court_id is not None
        and case.court_id in actor.court_ids
    )


def is_case_staff(actor: Actor, case: CaseView) -> bool:
    """The case's mediator, its institution's admins, or its court's judges and clerks."""
    return is_case_mediator(actor, case) or is_institution_staff(actor, case) or is_court_staff(
        actor, case
    )


def case_rule(
    check: Callable[[Actor, CaseView], bool],
    refusal: str,
    *,
    states: frozenset[str] | None = None,
    state_refusal: str = "not possible in the case's current status",
) -> Rule:
    """A rule on a ``CaseView``: ``check`` for the relationship, ``states`` for the status."""

    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, CaseView):
            return Decision(False, "no case given")
        if not check(actor, obj):
            return Decision(False, refusal)
        if states is not None and obj.status not in states:
            return Decision(False, f"{state_refusal} ({obj.status})")
        return ALLOW

    return rule


# Rules of the parties part (odr.cases.parties). The policy answers "some party";
# the service then checks the very party a request names (odr.cases.parties.authorizations).
_OPEN_CASE = frozenset(CaseStatus) - TERMINAL
_BEFORE_MEDIATION = frozenset(
    {CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED, CaseStatus.MEDIATOR_ASSIGNED}
)


def _verified_identity(actor: Actor, _obj: object) -> Decision:
    if not actor.authenticated:
        return Decision(False, "sign in first")
    if not is_verified(actor):
        return Decision(False, "verify your identity (ID document and mobile) first (L2)")
    return ALLOW


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


def _party_side_or_staff(actor: Actor, case: CaseView) -> bool:
    return acts_for_party(actor, case, "general") or is_case_staff(actor, case)


def _thread_audience(actor: Actor, thread: ThreadView) -> bool:
    return on_thread_side(actor, thread) or is_thread_staff(actor, thread)


# Rules of the intake part (odr.cases.intake).
def _verified_in(*roles: Role) -> Rule:
    def rule(actor: Actor, _obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if actor.role not in roles:
            return Decision(False, f"role {actor.role} may not do this")
        if not is_verified(actor):
            return Decision(False, "verify your identity (ID document and mobile) first (L2)")
        return ALLOW

    return rule


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


RULES: dict[Permission, Rule] = {
    Permission.PUBLIC_READ: _anyone,
    Permission.ACCOUNT_REGISTER: _anyone,
    Permission.ACCOUNT_LOGIN: _anyone,
    Permission.ACCOUNT_RECOVER: _anyone,
    Permission.ACCOUNT_OTP: _anyone,
    Permission.SELF_READ: _signed_in,
    Permission.SELF_UPDATE: _signed_in,
    Permission.SELF_VERIFY_IDENTITY: _signed_in,
    Permission.SELF_REAUTHENTICATE: _signed_in,
    Permission.SELF_NOTIFICATIONS: _signed_in,
    Permission.USER_CREATE: _role_in(Role.ADMIN),
    Permission.USER_LIST: _role_in(Role.ADMIN),
    Permission.AUDIT_READ: _role_in(Role.ADMIN),
    Permission.CASE_LIST: _signed_in,
    Permission.CASE_READ: _case_read,
    Permission.STORAGE_UPLOAD: _role_in(
        Role.PARTY, Role.AGENT, Role.MEDIATOR, Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK
    ),
    Permission.INVITATION_READ: _anyone,
    Permission.INVITATION_CLAIM: _verified_identity,
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
    Permission.PROGRESS_QUERY: _anyone,
    Permission.QUERY_PASSWORD_RESET: case_rule(
        acts_for_party, "only a verified party of this case (or its agent) resets its query password",
        states=_AFTER_ACCEPTANCE, state_refusal="query passwords are issued once the case is accepted",
    ),
    Permission.TIMELINE_READ: case_rule(_party_side_or_staff, "not a participant of this case"),
    Permission.THREAD_LIST: case_rule(_party_side_or_staff, "not a participant of this case"),
    Permission.THREAD_CREATE: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) writes here"
    ),
    Permission.THREAD_READ: _thread_rule(_thread_audience, "this thread is not addressed to you"),
    Permission.THREAD_REPLY: _thread_rule(_thread_audience, "this thread is not addressed to you"),
    Permission.DOCUMENT_UPLOAD: _document_upload,
    Permission.DOCUMENT_LIST: case_rule(_party_side_or_staff, "not a participant of this case"),
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
    Permission.CASE_FILE: _verified_in(Role.PARTY, Role.AGENT),
    Permission.CASE_REFER: _role_in(Role.JUDGE, Role.CLERK),
    Permission.CASE_WALK_IN: _role_in(Role.INSTITUTION_ADMIN),
    Permission.REVIEW_QUEUE: _role_in(Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK),
    Permission.CASE_REVIEW: case_rule(
        reviews_case, "only staff of the case's institution or court review its application"
    ),
    Permission.CASE_AMEND: case_rule(
        _applicant_side, "only the applicant (or its agent) changes or resubmits the application"
    ),
    Permission.CALENDAR_READ: _anyone,
    Permission.DEADLINE_LIST: case_rule(_party_side_or_staff, "not a participant of this case"),
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
    Permission.SERVICE_READ: case_rule(_party_side_or_staff, "not a participant of this case"),
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


# Rules of the mediators part (mediators/; L4-L7).
@dataclass(frozen=True)
class MediatorView:
    """A mediator's profile, or (``user_id`` None) an institution's roster as a whole."""

    institution_id: int
    user_id: int | None = None


def _admin_of(actor: Actor, view: MediatorView) -> bool:
    return actor.role == Role.INSTITUTION_ADMIN and view.institution_id in actor.institution_ids


def _mediator_itself(actor: Actor, view: MediatorView) -> bool:
    return (
        actor.role == Role.MEDIATOR and view.user_id is not None and actor.user_id == view.user_id
    )


def _mediator_rule(check: Callable[[Actor, MediatorView], bool], refusal: str) -> Rule:
    def rule(actor: Actor, obj: object) -> Decision:
        if not actor.authenticated:
            return Decision(False, "sign in first")
        if not isinstance(obj, MediatorView):
            return Decision(False, "no mediator or institution given")
        return ALLOW if check(actor, obj) else Decision(False, refusal)

    return rule


def _admin_or_itself(actor: Actor, view: MediatorView) -> bool:
    return _admin_of(actor, view) or _mediator_itself(actor, view)


def _designates(actor: Actor, case: CaseView) -> bool:
    return is_institution_staff(actor, case) or is_court_staff(actor, case)


_CHOOSING = frozenset({CaseStatus.ACCEPTED, CaseStatus.INSTITUTION_ASSIGNED})
_WITH_MEDIATOR = frozenset({CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION})

RULES.update({
    Permission.MEDIATOR_READ: _mediator_rule(
        _admin_or_itself, "only the mediator itself and its institution's admins see this profile"
    ),
    Permission.MEDIATOR_MANAGE: _mediator_rule(
        _admin_of, "only an admin of the mediator's institution manages it"
    ),
    Permission.MEDIATOR_SELF_UPDATE: _mediator_rule(
        _admin_or_itself, "only the mediator itself and its institution's admins change this"
    ),
    Permission.ASSIGNMENT_QUEUE: _mediator_rule(
        _admin_of, "only an admin of this institution handles its assignments"
    ),
    Permission.MEDIATOR_CHOOSE: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) chooses",
        states=_CHOOSING, state_refusal="a mediator is chosen only before one is assigned",
    ),
    Permission.MEDIATOR_DESIGNATE: case_rule(
        _designates, "only staff of the case's institution or court designate its mediator",
        states=_CHOOSING, state_refusal="a mediator is designated only before one is assigned",
    ),
    Permission.MEDIATOR_OVERRIDE: case_rule(
        is_institution_staff, "only an admin of the case's institution overrides the assignment",
        states=_CHOOSING | _WITH_MEDIATOR,
        state_refusal="the assignment can be overridden only while the mediation is open",
    ),
    Permission.ASSIGNMENT_RESPOND: case_rule(
        is_case_mediator, "only the mediator assigned to this case answers the assignment",
        states=frozenset({CaseStatus.MEDIATOR_ASSIGNED}),
        state_refusal="the assignment is answered only while it waits for the mediator",
    ),
    Permission.ASSIGNMENT_LIST: case_rule(_party_side_or_staff, "not a participant of this case"),
    Permission.ASSIGNMENT_EXPLAIN: case_rule(
        _designates, "only staff of the case's institution or court see why a mediator was chosen"
    ),
    Permission.CONFLICT_DISCLOSE: case_rule(
        is_case_mediator, "only the case's mediator discloses its conflicts",
        states=_WITH_MEDIATOR, state_refusal="a conflict is disclosed while the mediator has the case",
    ),
    Permission.CONFLICT_ANSWER: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) answers",
        states=_WITH_MEDIATOR, state_refusal="the disclosure is answered while the mediator has the case",
    ),
    Permission.MEDIATOR_REPLACE: case_rule(
        acts_for_party, "only a party of this case (or its agent with general authority) asks",
        states=_WITH_MEDIATOR, state_refusal="a mediator is replaced only while it has the case",
    ),
})


# Permissions decided on a loaded object: the route checks sign-in first, then
# asks ``authorize(actor, permission, obj)`` once it has the object.
OBJECT_PERMISSIONS: frozenset[Permission] = frozenset({Permission.CASE_READ}) | {
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
}


OBJECT_PERMISSIONS = OBJECT_PERMISSIONS | {  # mediators/: MediatorView or CaseView
    Permission.MEDIATOR_READ, Permission.MEDIATOR_MANAGE, Permission.MEDIATOR_SELF_UPDATE,
    Permission.ASSIGNMENT_QUEUE, Permission.MEDIATOR_CHOOSE, Permission.MEDIATOR_DESIGNATE,
    Permission.MEDIATOR_OVERRIDE, Permission.ASSIGNMENT_RESPOND, Permission.ASSIGNMENT_LIST,
    Permission.ASSIGNMENT_EXPLAIN, Permission.CONFLICT_DISCLOSE, Permission.CONFLICT_ANSWER,
    Permission.MEDIATOR_REPLACE,
}

def decide(actor: Actor, permission: Permission, obj: object = None) -> Decision:
    rule = RULES.get(permission)
    if rule is None:  # a permission with no rule is denied, never allowed by default
        return Decision(False, f"no policy for {permission}")
    return rule(actor, obj)


def authorize(actor: Actor, permission: Permission, obj: object = None) -> None:
    """Raise 401/403 unless the policy allows."""
    decision = decide(actor, permission, obj)
    if decision:
        return
    if not actor.authenticated:
        raise Unauthenticated(decision.reason)
    raise Forbidden(decision.reason, details={"permission": str(permission)})
