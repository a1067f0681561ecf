"""API models of judicial confirmation (L20-L27), shared by the party and court routes.

``ConfirmationOut`` is the one picture of an application both sides read
(``GET /confirmation-applications/{cid}`` and every write's answer); the court
side adds its own request and queue models below the party ones.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from odr.http.api import StrictModel

# ---- shared pictures ----------------------------------------------------------------


class CourtRef(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    intermediate_rank: bool


class DeadlineRef(BaseModel):
    id: int
    kind: str  # confirmation_window (L21), confirmation_acceptance (L25), ...
    rule: str | None
    due_at: datetime  # 24:00 Asia/Shanghai of last_day, as UTC
    last_day: date
    status: str
    provisional: bool


# ---- competent courts (L22) and refusals (L21, L24, L37) ---------------------------


class CompetentCourtOut(BaseModel):
    court: CourtRef
    basis: str  # the first reason it is competent: invited_court, domicile, ...
    bases: list[str]  # every reason (a court may be competent several times over)
    places: list[str]  # the districts that made it competent
    intermediate_reason: str | None  # amount_threshold | specialised (instead of a basic court)


class RefusalOut(BaseModel):
    code: str  # excluded_matter (L24), entrusted_case (L37), window_closed (L21), no_agreement
    rule: str
    reason: str


class WindowOut(BaseModel):
    """L21: 30 days from the agreement's effective time, counted by L36."""

    effective_at: datetime
    last_day: date
    due_at: datetime
    provisional: bool
    open: bool
    rule: str = "L21"


class SubjectKindOut(BaseModel):
    key: str
    label_zh: str
    excluded: bool  # L24: the court does not accept it
    property_related: bool  # L23: property-right proofs are asked for


class CompetentCourtsOut(BaseModel):
    case_id: int
    agreement_id: int | None
    courts: list[CompetentCourtOut]
    refusal: RefusalOut | None
    window: WindowOut | None
    unmatched: list[str]  # places named on the case that the court registry does not cover
    subject_kinds: list[SubjectKindOut]


# ---- the application ---------------------------------------------------------------


class JoinOut(BaseModel):
    party_id: int
    side: str
    name: str
    user_id: int
    via_agent: bool
    authorization_id: int | None
    joined_at: datetime


class PendingPartyOut(BaseModel):
    party_id: int
    side: str
    name: str


class MaterialItemOut(BaseModel):
    key: str  # agreement, mediation_proof, identity, power_of_attorney, property_proof
    label_zh: str
    party_id: int | None
    required: bool
    present: bool
    source: str  # platform (the case record provides it) | party (linked documents)
    document_ids: list[int]


class MaterialsOut(BaseModel):
    """L23 (INT 354, JC 3): what the court needs, and what is there."""

    items: list[MaterialItemOut]
    complete: bool


class ConfirmationOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    agreement_id: int
    court: CourtRef
    competence_basis: str
    subject_kind: str
    property_location: str
    status: str  # agreements.models.ConfirmationStatus
    started_by_id: int
    created_at: datetime
    applied_at: datetime | None
    accepted_at: datetime | None
    judge_user_id: int | None
    supplement_note: str
    ruled_at: datetime | None
    rejection_ground: str | None
    closed_at: datetime | None
    close_reason: str
    application_document_id: int | None
    ruling_document_id: int | None
    joins: list[JoinOut]
    pending: list[PendingPartyOut]  # parties that have not joined yet (L20)
    materials: MaterialsOut
    deadlines: list[DeadlineRef]


# ---- party requests -----------------------------------------------------------------


class CourtsQuery(StrictModel):
    agreement_id: int | None = None
    subject_kind: str | None = Field(default=None, max_length=40)
    property_location: str | None = Field(default=None, max_length=300)


class ApplyIn(StrictModel):
    agreement_id: int
    court_id: int
    subject_kind: str = Field(min_length=1, max_length=40)
    property_location: str = Field(default="", max_length=300)
    party_id: int | None = None  # only when the caller acts for several parties
    device_id: str = Field(default="", max_length=200)


class JoinIn(StrictModel):
    party_id: int | None = None
    device_id: str = Field(default="", max_length=200)


class MaterialsIn(StrictModel):
    document_ids: list[int] = Field(min_length=1, max_length=50)
    item: str | None = Field(default=None, max_length=40)  # else inferred from each kind
    party_id: int | None = None  # the party an identity / power-of-attorney item is for


class WithdrawIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


# ---- court side (added by the court helper) ----------------------------------------


class AcceptIn(StrictModel):
    judge_user_id: int  # exactly one judge of the court applied to reviews (L25, JC 6)


class RefuseIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)  # e.g. an L24 kind, no jurisdiction


class SupplementIn(StrictModel):
    note: str = Field(min_length=1, max_length=1000)  # what is missing (L23)
    days: int = Field(ge=1, le=30)  # unanswered by then: deemed withdrawn (L27)


class ExtendIn(StrictModel):
    approved_by_id: int  # the president or another judge of the court (JC 5)
    reason: str = Field(min_length=1, max_length=500)


class QuestioningIn(StrictModel):
    starts_at: AwareDatetime
    duration_minutes: int = Field(default=60, ge=15, le=600)


RejectionGroundName = Literal[
    "breaks_mandatory_law", "harms_interests", "against_public_order", "not_voluntary",
    "content_unclear", "other_excluded",
]


class RuleIn(StrictModel):
    outcome: Literal["valid", "rejected"]
    ground: RejectionGroundName | None = None  # INT 358; required for a rejection (L26)
    reason: str = Field(min_length=1, max_length=4000)


class CourtQueueQuery(StrictModel):
    status: Literal["applied", "supplement_requested", "accepted"] | None = None


class CourtApplicationOut(BaseModel):
    """The court's picture of an application (the answer of every court act)."""

    id: int
    case_id: int
    case_number: str
    case_title: str
    agreement_id: int
    court_id: int
    status: str
    applied_at: datetime | None
    accepted_at: datetime | None
    judge_user_id: int | None
    supplement_note: str
    extended_at: datetime | None
    extension_approved_by_id: int | None
    questioning_meeting_id: int | None
    ruled_at: datetime | None
    rejection_ground: str | None
    ruling_reason: str
    ruling_document_id: int | None
    ruling_code: str | None
    closed_at: datetime | None
    close_reason: str
    claim_amount_fen: int
    agreed_sum_fen: int
    warning_count: int
    fee_fen: int = 0  # JC 11: no fee
    deadlines: list[DeadlineRef]


class CourtQueueOut(BaseModel):
    items: list[CourtApplicationOut]


class WarningOut(BaseModel):
    code: str  # same_ip | same_device | one_agent_both_sides | large_sum_fast
    message: str
    details: dict[str, Any]


class WarningsOut(BaseModel):
    application_id: int
    count: int
    warnings: list[WarningOut]
    rule: str = "OMR 23"


class RulingOut(BaseModel):
    application: CourtApplicationOut
    document_id: int
    ruling_code: str
    served_party_ids: list[int]  # served electronically (L33)
    paper_party_ids: list[int]  # no consent to e-service: served on paper


class QuestioningOut(BaseModel):
    application: CourtApplicationOut
    meeting_id: int
    starts_at: datetime
    ends_at: datetime
