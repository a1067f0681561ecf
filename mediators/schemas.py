"""Request and response bodies of the mediators API; what people type is checked here (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from mediators.facts import LANGUAGES
from mediators.models import ConflictKind, MediatorStatus
from odr.categories import DisputeCategory
from odr.http.api import StrictModel

Text = Field(min_length=1, max_length=1000)


def _languages(value: list[str]) -> list[str]:
    unknown = [v for v in value if v not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language code(s) {unknown}; known: {sorted(LANGUAGES)}")
    if len(set(value)) != len(value):
        raise ValueError("a language is listed twice")
    return value


class ProfileFields(StrictModel):
    title: str = Field(default="", max_length=100)
    bio_zh: str = Field(default="", max_length=2000)
    bio_en: str = Field(default="", max_length=2000)
    specialties: list[DisputeCategory] = Field(min_length=1, max_length=9)
    languages: list[str] = Field(default_factory=lambda: ["zh"], min_length=1, max_length=10)
    max_concurrent_cases: int = Field(ge=1, le=500)

    _check_languages = field_validator("languages")(_languages)


class ProfileIn(ProfileFields):
    user_id: int = Field(ge=1)


class ProfilePatch(StrictModel):
    title: str | None = Field(default=None, max_length=100)
    bio_zh: str | None = Field(default=None, max_length=2000)
    bio_en: str | None = Field(default=None, max_length=2000)
    specialties: list[DisputeCategory] | None = Field(default=None, min_length=1, max_length=9)
    languages: list[str] | None = Field(default=None, min_length=1, max_length=10)
    max_concurrent_cases: int | None = Field(default=None, ge=1, le=500)

    @field_validator("languages")
    @classmethod
    def _langs(cls, value: list[str] | None) -> list[str] | None:
        return _languages(value) if value is not None else None

    @model_validator(mode="after")
    def _something(self) -> ProfilePatch:
        if not self.model_fields_set:
            raise ValueError("change at least one field")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class WindowIn(StrictModel):
    weekday: int = Field(ge=0, le=6, description="0 Monday ... 6 Sunday")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, Asia/Shanghai")
    end: str = Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")

    def minutes(self) -> tuple[int, int, int]:
        start = int(self.start[:2]) * 60 + int(self.start[3:])
        end = int(self.end[:2]) * 60 + int(self.end[3:])
        return self.weekday, start, end

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        _, start, end = self.minutes()
        if start >= end:
            raise ValueError("a window starts before it ends")
        return self


class AvailabilityIn(StrictModel):
    windows: list[WindowIn] = Field(max_length=50)


class LeaveIn(StrictModel):
    starts_on: date
    ends_on: date
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> LeaveIn:
        if self.ends_on < self.starts_on:
            raise ValueError("the leave ends before it starts")
        if (self.ends_on - self.starts_on).days > 366:
            raise ValueError("a leave lasts at most a year")
        return self


class ConflictIn(StrictModel):
    kind: ConflictKind
    name: str = Field(min_length=1, max_length=200)
    id_doc_number: str | None = Field(default=None, min_length=4, max_length=32,
                                      pattern=r"^[0-9A-Za-z\-]+$")
    note: str = Field(default="", max_length=1000)


class StatusIn(StrictModel):
    status: MediatorStatus
    reason: str = Text


class ChoiceIn(StrictModel):
    institution_id: int = Field(ge=1)
    mediator_id: int = Field(ge=1)
    party_id: int | None = Field(default=None, ge=1)


class DesignationIn(StrictModel):
    mediator_id: int | None = Field(default=None, ge=1)
    institution_id: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=1000)


class OverrideIn(StrictModel):
    mediator_id: int = Field(ge=1)
    reason: str = Text


class DeclineIn(StrictModel):
    reason: str = Text


class DisclosureIn(StrictModel):
    statement: str = Field(min_length=1, max_length=5000)


class DisclosureAnswerIn(StrictModel):
    agree: bool
    reason: str = Field(default="", max_length=1000)
    party_id: int | None = Field(default=None, ge=1)


class ReplacementIn(StrictModel):
    reason: str = Text
    party_id: int | None = Field(default=None, ge=1)


class BatchIn(StrictModel):
    dry_run: bool = False


class RosterQuery(StrictModel):
    category: DisputeCategory | None = None
    institution_id: int | None = Field(default=None, ge=1)


# ---------------------------------------------------------------- responses


class CourtRef(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str


class PublicMediatorOut(BaseModel):
    id: int
    name: str
    title: str
    bio_zh: str
    bio_en: str
    specialties: list[str]
    languages: list[str]
    institution_id: int
    status: str


class RosterInstitutionOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    categories: list[str]
    district: str
    address: str
    phone: str
    charges_fees: bool
    description_zh: str
    description_en: str
    inviting_court: CourtRef | None
    mediators: list[PublicMediatorOut]


class RosterOut(BaseModel):
    institutions: list[RosterInstitutionOut]


class WindowOut(BaseModel):
    weekday: int
    start_minute: int
    end_minute: int


class LeaveOut(BaseModel):
    id: int
    starts_on: date
    ends_on: date
    reason: str
    current: bool


class ConflictOut(BaseModel):
    id: int
    kind: str
    name: str
    id_doc_last4: str | None
    note: str
    declared_at: datetime


class ProfileOut(PublicMediatorOut):
    max_concurrent_cases: int
    open_cases: int
    status_reason: str | None
    availability: list[WindowOut]
    leaves: list[LeaveOut]
    conflicts: list[ConflictOut]
    statistics: dict[str, Any]


class ProfileList(BaseModel):
    items: list[ProfileOut]


class StatusOut(BaseModel):
    profile: ProfileOut
    cases_handed_on: list[int]


class AssignmentOut(BaseModel):
    id: int
    case_id: int
    mediator_id: int
    mediator_name: str
    institution_id: int
    method: str
    status: str
    reason: str | None
    party_replacement: bool
    assigned_at: datetime
    responded_at: datetime | None
    decline_reason: str | None
    ended_at: datetime | None
    end_reason: str | None
    explanation: dict[str, Any] | None = None  # institution and court staff only


class AssignmentList(BaseModel):
    items: list[AssignmentOut]


class MediatorAssignmentOut(AssignmentOut):
    """One row of the mediator's workspace: the assignment with its case and L6 deadline."""

    case_number: str
    case_title: str
    case_category: str
    case_status: str
    respond_by: datetime | None = None  # L6: when a pending assignment must be answered
    respond_by_day: date | None = None  # the same, as the local (Asia/Shanghai) last day


class MediatorAssignmentList(BaseModel):
    items: list[MediatorAssignmentOut]


class ChoiceOut(BaseModel):
    party_id: int
    side: str
    institution_id: int
    mediator_id: int
    at: datetime


class ChoicesOut(BaseModel):
    window_open: bool
    window_last_day: date | None
    parties: int
    choices: list[ChoiceOut]
    assignment: AssignmentOut | None = None


class CandidateOut(BaseModel):
    mediator_id: int
    name: str
    cost: int
    parts: dict[str, int]
    load: int
    capacity: int


class ProposalOut(BaseModel):
    institution_id: int | None
    institution: dict[str, Any] | None
    candidates: list[CandidateOut]
    refused: dict[str, list[str]]
    why_none: str | None
    tie_break: str


class DesignationOut(BaseModel):
    assigned: bool
    assignment: AssignmentOut | None
    queued_reason: str | None


class DisclosureAnswerOut(BaseModel):
    party_id: int
    agree: bool
    reason: str
    at: datetime


class DisclosureOut(BaseModel):
    id: int
    case_id: int
    mediator_id: int
    statement: str
    status: str
    created_at: datetime
    resolved_at: datetime | None
    answers: list[DisclosureAnswerOut]


class DisclosureList(BaseModel):
    items: list[DisclosureOut]


class CaseStatusOut(BaseModel):
    case_id: int
    status: str
    mediator_id: int | None


class QueueItemOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    category: str
    institution_id: int | None
    reason_code: str
    reason: str
    details: dict[str, Any]
    created_at: datetime


class QueueList(BaseModel):
    items: list[QueueItemOut]


class BatchOut(BaseModel):
    cases: int
    assigned: list[dict[str, Any]]
    queued: list[int]
    cost: int
    lower_bound: int
    optimal: bool
    dry_run: bool


class AssignmentStatusQuery(StrictModel):
    status: Literal["pending", "accepted", "declined", "timed_out", "replaced", "released"] | None = None
