"""Every permission a route or socket event names: ``<scope>:<resource>:<action>``."""

from __future__ import annotations

from enum import StrEnum


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
    RTC_ICE_SERVERS = "self:ice_servers:read"  # STUN/TURN list with the caller's own TURN credential
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

    # Meetings over HTTP (odr.meetings; L2, L9, L10, L12): decided on a MeetingView
    MEETING_SCHEDULE = "case:meeting:schedule"
    MEETING_LIST = "case:meeting:list"  # decided on a CaseView
    MEETING_READ = "case:meeting:read"
    MEETING_CHANGE = "case:meeting:change"  # reschedule or cancel
    MEETING_INVITE_GUEST = "case:meeting:invite_guest"
    MEETING_ROOM_TOKEN = "case:meeting:room_token"
    MEETING_GUEST_ENTRY = "public:meeting:guest_entry"  # the one-time link (and the code it sends)
    MEETING_RESCHEDULE_REQUEST = "case:meeting:reschedule_request"
    MEETING_RESCHEDULE_DECIDE = "case:meeting:reschedule_decide"
    MEETING_NO_SHOW = "case:meeting:no_show"
    MEETING_ATTENDANCE_READ = "case:meeting:attendance"
    MEETING_RECORD_READ = "case:meeting:record_read"  # the session record and undisputed facts
    # Live room events (signaling; L2, L9-L12, L29): decided on a RoomView
    ROOM_ENTRY = "room:entry:check"  # own entry code, warning acknowledgement
    ROOM_ADMIT = "room:lobby:admit"  # admit, deny, back to the lobby, visual ID check
    ROOM_CHAT = "room:chat:send"
    ROOM_HAND = "room:hand:raise"
    ROOM_MUTE = "room:participant:mute"
    ROOM_REMOVE = "room:participant:remove"
    ROOM_LOCK = "room:room:lock"
    ROOM_DELEGATE = "room:control:delegate"
    ROOM_WARN = "room:participant:warn"
    ROOM_GRANT_LEAVE = "room:participant:grant_leave"
    ROOM_END = "room:meeting:end"
    ROOM_CAUCUS = "room:caucus:manage"
    ROOM_RECORDING_CONSENT = "room:recording:consent"
    ROOM_RECORDING_CONTROL = "room:recording:control"
    ROOM_RECORD_WRITE = "room:record:write"  # session record, propose an undisputed fact
    ROOM_FACT_CONFIRM = "room:fact:confirm"
    ROOM_LEAVE = "room:seat:leave"
    ROOM_MEDIA = "room:media:negotiate"  # SDP and ICE with the media node
    MEDIA_NODE_EVENT = "media:node:event"  # heartbeat, routes ack, stats (media nodes only)
    RECORDING_READ = "case:recording:read"  # segments, manifest, playback (decided on a MeetingView)

    # Agreements (agreements.*; L15-L19): decided on a CaseView
    AGREEMENT_READ = "case:agreement:read"  # drafts, versions, diff, signatures
    AGREEMENT_DRAFT = "case:agreement:draft"  # create from a template, edit (new version), abandon
    AGREEMENT_RECORD_ORAL = "case:agreement:record_oral"  # L18
    AGREEMENT_SIGN = "case:agreement:sign"  # a party, or its agent with sign_agreement (code too)
    AGREEMENT_MEDIATOR_SIGN = "case:agreement:mediator_sign"
    AGREEMENT_SEAL = "case:agreement:seal"  # the institution admin applies the e-seal
    AGREEMENT_VERIFY = "public:agreement:verify"  # PDF upload or verification code
    PKI_READ = "public:pki:read"  # the platform's root certificate and institutions' chains
    # Judicial confirmation (agreements.confirmation; L20-L27): decided on a ConfirmationView
    CONFIRMATION_COURTS = "case:confirmation:courts"  # competent courts (CaseView)
    CONFIRMATION_APPLY = "case:confirmation:apply"  # start or join (CaseView; apply_confirmation)
    CONFIRMATION_READ = "case:confirmation:read"
    CONFIRMATION_PARTY_ACT = "case:confirmation:party_act"  # withdraw, supplement materials
    CONFIRMATION_QUEUE = "court:confirmation:queue"  # no object: the court's own queue
    CONFIRMATION_COURT_ACT = "court:confirmation:act"  # accept, refuse, supplements, judge, meeting
    CONFIRMATION_RULE = "court:confirmation:rule"  # the designated judge: extend, rule (L25, L26)
    # After-filing agreements and record filing (L37): decided on a CourtFilingView
    COURT_FILING_QUEUE = "court:filing:queue"  # no object
    COURT_FILING_READ = "case:filing:read"
    COURT_FILING_HANDLE = "court:filing:handle"  # record, issue statement, rule withdrawal
    # Performance of agreed terms: decided on a CaseView
    PERFORMANCE_READ = "case:performance:read"
    PERFORMANCE_CONFIRM = "case:performance:confirm"  # a party side confirms (obligor or obligee)
    PERFORMANCE_DEFAULT = "case:performance:default"  # obligee side or the mediator records a default
