"""Request and response bodies of the drafting API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agreements.content import AgreementContent
from agreements.drafting.service import PersonalStatus
from agreements.drafting.templates import AgreementTemplate
from odr.http.api import StrictModel

Language = Literal["zh-CN", "en"]


class TemplateQuery(StrictModel):
    category: str | None = Field(default=None, max_length=40)
    language: Language | None = None


class TemplateList(BaseModel):
    templates: list[AgreementTemplate]


class CreateRequest(StrictModel):
    language: Language = "zh-CN"
    personal_status: PersonalStatus = PersonalStatus.NONE  # L19: anything else is refused
    meeting_id: int | None = None  # the session it is drafted in


class EditRequest(StrictModel):
    base_version: int = Field(ge=1)
    content: AgreementContent
    note: str = Field(default="", max_length=500)


class AbandonRequest(StrictModel):
    reason: str = Field(min_length=1, max_length=500)


class OralRequest(StrictModel):
    content: AgreementContent
    note: str = Field(default="", max_length=500)
    personal_status: PersonalStatus = PersonalStatus.NONE  # L19


class DiffQuery(StrictModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: int = Field(alias="from", ge=1)
    to: int = Field(ge=1)


class AgreementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    kind: str
    status: str
    category: str
    language: str
    current_version: int
    verification_code: str
    meeting_id: int | None
    created_by_id: int
    created_at: datetime
    effective_at: datetime | None
    effective_version: int | None
    abandoned_at: datetime | None
    abandon_reason: str
    pdf_state: str
    pdf_document_id: int | None
    pdf_sha256: str | None


class AgreementList(BaseModel):
    agreements: list[AgreementOut]


class VersionSummary(BaseModel):
    number: int
    content_sha256: str
    changed_fields: list[str]
    change_note: str
    author_id: int
    author_name: str
    created_at: datetime


class VersionOut(VersionSummary):
    content: AgreementContent


class VersionList(BaseModel):
    agreement_id: int
    current_version: int
    versions: list[VersionSummary]


class ProblemOut(BaseModel):
    field: str
    code: str
    message: str


class SignatureOut(BaseModel):
    id: int
    role: str
    party_id: int | None
    signer_user_id: int
    signer_name: str
    authorization_id: int | None  # an agent signing with the special authority
    version_number: int
    content_sha256: str
    signed_at: datetime
    valid: bool  # counts for the current version
    voided_at: datetime | None
    void_reason: str


class SignerOut(BaseModel):
    role: str
    party_id: int | None
    name: str
    signed: bool
    signature_id: int | None


class AgreementDetail(BaseModel):
    agreement: AgreementOut
    status: str
    version: VersionOut
    problems: list[ProblemOut]  # L15: empty when it may be signed
    signatures: list[SignatureOut]  # valid and voided, oldest first
    required: list[SignerOut]  # who must still sign the current version (L16)
    signers: list[SignerOut]  # every required signer, signed or not


class ChangeOut(BaseModel):
    field: str
    change: str  # added | removed | changed
    old: Any = None
    new: Any = None


class DiffOut(BaseModel):
    agreement_id: int
    from_version: int
    to_version: int
    changes: list[ChangeOut]
