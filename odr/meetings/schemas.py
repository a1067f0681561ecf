"""Request and response bodies of the meetings API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from odr.accounts.identity import (
    document_problem,
    mobile_problem,
    normalize_document,
    normalize_mobile,
)
from odr.accounts.models import IdDocType
from odr.http.api import StrictModel


def _reason() -> Any:
    return Field(min_length=1, max_length=1000)
CODE_PATTERN = r"^\d{6}$"


# ---- scheduling -----------------------------------------------------------------------


class ScheduleIn(StrictModel):
    kind: Literal["mediation", "hearing"]
    title: str = Field(min_length=1, max_length=300)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    mode: Literal["joint", "separate"] = Field(
        default="joint", description="separate: a session for one side only, with consent (L10)"
    )
    side: Literal["applicant", "respondent"] | None = Field(
        default=None, description="the side a separate session is for"
    )
    host_user_id: int | None = Field(
        default=None,
        description="hearings: the presiding judge, when a clerk schedules (default: the caller)",
    )
    co_host_user_ids: list[int] = Field(
        default_factory=list, max_length=5,
        description="hearings: clerks or judges of the case's court seated as co-hosts",
    )
    observer_user_ids: list[int] = Field(
        default_factory=list, max_length=10, description="staff of the case seated as observers"
    )

    @model_validator(mode="after")
    def _shape(self) -> ScheduleIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.mode == "separate" and self.side is None:
            raise ValueError("a separate session names the side it is for (L10)")
        if self.mode == "joint" and self.side is not None:
            raise ValueError("a joint session is for both sides: leave side out")
        if self.kind == "hearing" and self.mode == "separate":
            raise ValueError("hearings are held with both sides")
        if self.kind == "mediation" and (self.host_user_id or self.co_host_user_ids):
            raise ValueError("the case's mediator hosts a mediation session")
        return self


class MoveIn(StrictModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = _reason()

    @model_validator(mode="after")
    def _order(self) -> MoveIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CancelIn(StrictModel):
    reason: str = _reason()


class SeatOut(BaseModel):
    id: int
    role: str
    side: str | None
    display_name: str
    state: str
    guest: bool
    you: bool = Field(description="this is the caller's seat")
    user_id: int | None
    invite_used: bool | None = Field(default=None, description="guests: the link was used")
    no_show_reason: str | None = Field(
        default=None, description="shown to the host and the case's staff only"
    )


class MeetingOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    kind: str
    mode: str
    side: str | None
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    host_user_id: int
    locked: bool
    recording_state: str
    cancelled_reason: str | None
    opened_at: datetime | None
    ended_at: datetime | None
    my_seat_id: int | None
    seats: list[SeatOut]


class MeetingSummary(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_title: str
    kind: str
    mode: str
    side: str | None
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    my_role: str | None = Field(description="the caller's seat role, if seated")


class MeetingList(BaseModel):
    items: list[MeetingSummary]


# ---- separate sessions consent (L10) --------------------------------------------------


class SeparateConsentIn(StrictModel):
    party_id: int
    decision: Literal["agree", "refuse", "withdraw"]
    reason: str | None = Field(default=None, max_length=1000)


class SeparateConsentOut(BaseModel):
    party_id: int
    decision: str
    at: datetime
    all_agreed: bool = Field(description="every party of the case agrees to separate sessions")


# ---- guests ---------------------------------------------------------------------------


class GuestIn(StrictModel):
    role: Literal["witness", "interpreter"]
    name: str = Field(min_length=1, max_length=100)
    mobile: str = Field(max_length=20)
    id_doc_type: IdDocType | None = None
    id_doc_number: str | None = Field(default=None, max_length=40)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        number = normalize_mobile(value)
        problem = mobile_problem(number)
        if problem:
            raise ValueError(problem)
        return number

    @model_validator(mode="after")
    def _document(self) -> GuestIn:
        if (self.id_doc_type is None) != (self.id_doc_number is None):
            raise ValueError("give both id_doc_type and id_doc_number, or neither")
        if self.id_doc_type is not None and self.id_doc_number is not None:
            self.id_doc_number = normalize_document(self.id_doc_number)
            problem = document_problem(self.id_doc_type, self.id_doc_number)
            if problem:
                raise ValueError(problem)
        return self


class GuestLinkOut(BaseModel):
    """What a guest's link shows: the time and the case's title, nothing more."""

    starts_at: datetime
    ends_at: datetime
    case_title: str
    mobile_masked: str = Field(description="where the entry code goes")


class CodeSentOut(BaseModel):
    sent: bool
    expires_in: int = Field(description="seconds until the code expires")


class GuestEnterIn(StrictModel):
    code: str = Field(pattern=CODE_PATTERN)


# ---- room tokens ----------------------------------------------------------------------


class RoomTokenOut(BaseModel):
    token: str
    expires_at: datetime
    meeting_id: int
    seat: SeatOut
    entry_code_required: bool = Field(
        description="the room asks for the fresh one-time code sent by SMS (L2)"
    )
    ice_servers: list[dict[str, Any]] | None = Field(
        default=None, description="STUN/TURN servers for the browser's RTCPeerConnection"
    )


# ---- reschedule requests, no-shows, attendance, records -------------------------------


class RescheduleRequestIn(StrictModel):
    reason: str = _reason()
    proposed_starts_at: AwareDatetime | None = None


class RescheduleDecisionIn(StrictModel):
    accept: bool
    reason: str | None = Field(default=None, max_length=1000)
    starts_at: AwareDatetime | None = Field(
        default=None, description="the new start (default: the time the party proposed)"
    )
    ends_at: AwareDatetime | None = Field(
        default=None, description="the new end (default: the same length as before)"
    )

    @model_validator(mode="after")
    def _reason(self) -> RescheduleDecisionIn:
        if not self.accept and not self.reason:
            raise ValueError("give a reason to refuse")
        return self


class RescheduleRequestOut(BaseModel):
    id: int
    meeting_id: int
    requested_by_id: int
    requested_by_name: str
    reason: str
    proposed_starts_at: datetime | None
    status: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision_reason: str | None
    created_at: datetime


class RescheduleRequestList(BaseModel):
    items: list[RescheduleRequestOut]


NoShowCause = Literal["no_reason", "network_failure", "equipment_failure", "other_valid_reason"]


class NoShowIn(StrictModel):
    cause: NoShowCause = Field(
        description="L29: absence without a valid reason counts as refusing to appear; "
        "network or equipment failure is a valid reason"
    )
    reason: str = _reason()


class AttendanceOut(BaseModel):
    id: int
    seat_id: int
    display_name: str
    role: str
    side: str | None
    kind: str
    at: datetime
    by_user_id: int | None
    detail: dict[str, Any]


class AttendanceList(BaseModel):
    items: list[AttendanceOut]


class SessionRecordOut(BaseModel):
    version: int
    body: str
    sha256: str
    author_id: int
    at: datetime


class ConfirmationOut(BaseModel):
    seat_id: int
    user_id: int
    side: str
    at: datetime
    valid: bool = Field(description="signed over the fact's current text (its sha256)")


class FactOut(BaseModel):
    id: int
    text: str
    sha256: str
    proposed_by_id: int
    proposed_at: datetime
    confirmed_at: datetime | None
    withdrawn_at: datetime | None
    confirmations: list[ConfirmationOut]


class RecordOut(BaseModel):
    session_record: SessionRecordOut | None
    versions: int
    facts: list[FactOut]
