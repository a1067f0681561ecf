"""Bodies of the intake and review API.

What a person types is normalised and checked here (ID numbers with their
checksums, mobiles, amounts, categories), so a malformed request is a 422
naming the field before anything is read or written. Checks that need the
database (does the institution exist, does it take the category, does the
file exist) are the service's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from odr.accounts.identity import (
    document_problem,
    mobile_problem,
    normalize_document,
    normalize_mobile,
)
from odr.accounts.models import IdDocType
from odr.cases.documents.names import check_filename
from odr.cases.intake.money import amount_problem
from odr.cases.models import AgentScope, PartyKind, Procedure
from odr.categories import DisputeCategory
from odr.errors import OdrError, ValidationFailed
from odr.http.api import StrictModel

SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_PARTIES_PER_SIDE = 20
MAX_EVIDENCE = 50

# The identity documents each kind of party may be named by.
DOCS_BY_KIND: dict[PartyKind, frozenset[IdDocType]] = {
    PartyKind.PERSON: frozenset({IdDocType.RESIDENT_ID, IdDocType.PASSPORT}),
    PartyKind.ORGANISATION: frozenset({IdDocType.USCC}),
}


class PartyIn(StrictModel):
    """An applicant or respondent: a natural person or an organisation."""

    kind: PartyKind
    name: str = Field(min_length=1, max_length=200)
    id_doc_type: IdDocType
    id_doc_number: str = Field(max_length=40)
    mobile: str = Field(max_length=20)
    address: str = Field(min_length=1, max_length=300, description="domicile or registered address")
    legal_representative: str | None = Field(
        default=None, max_length=100, description="organisations only: 法定代表人 or 负责人"
    )

    @field_validator("id_doc_number")
    @classmethod
    def _document(cls, value: str, info: ValidationInfo) -> str:
        number = normalize_document(value)
        doc_type = info.data.get("id_doc_type")
        if doc_type is not None:  # a bad type is reported on its own field
            problem = document_problem(doc_type, number)
            if problem:
                raise ValueError(problem)
        return number

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        number = normalize_mobile(value)
        problem = mobile_problem(number)
        if problem:
            raise ValueError(problem)
        return number

    @model_validator(mode="after")
    def _kind_matches(self) -> Self:
        allowed = DOCS_BY_KIND[self.kind]
        if self.id_doc_type not in allowed:
            names = " or ".join(sorted(allowed))
            raise ValueError(f"a party of kind {self.kind} is identified by {names}")
        if self.kind == PartyKind.ORGANISATION and not self.legal_representative:
            raise ValueError("an organisation names its legal representative")
        if self.kind == PartyKind.PERSON and self.legal_representative:
            raise ValueError("only an organisation has a legal representative")
        return self


class DisputeIn(StrictModel):
    """What the dispute is about: shared by every channel and by an amended application."""

    title: str = Field(min_length=1, max_length=300)
    category: str = Field(max_length=40, description="a DisputeCategory value")
    claim_amount: str = Field(
        max_length=40, description="CNY as a decimal string with at most two decimals: '12345.67'"
    )
    claims: str = Field(min_length=1, max_length=5000, description="诉求")
    facts: str = Field(min_length=1, max_length=20000, description="事实与理由")

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        try:
            return DisputeCategory(value).value
        except ValueError:
            known = ", ".join(c.value for c in DisputeCategory)
            raise ValueError(f"unknown dispute category {value!r}; choose one of {known}") from None

    @field_validator("claim_amount")
    @classmethod
    def _amount(cls, value: str) -> str:
        problem = amount_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def _no_repeated_party(parties: list[PartyIn]) -> None:
    seen: set[tuple[str, str]] = set()
    for party in parties:
        key = (party.id_doc_type, party.id_doc_number)
        if key in seen:
            raise ValueError(
                f"the same {party.id_doc_type} number is given for two parties; each party once"
            )
        seen.add(key)


class EvidenceIn(StrictModel):
    """A file uploaded with POST /api/v1/files, named as the user chose it."""

    sha256: str = Field(pattern=SHA256_PATTERN)
    filename: str = Field(min_length=1, max_length=255, description="the file's original name")
    title: str | None = Field(default=None, min_length=1, max_length=300)

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        try:
            return check_filename(value)
        except OdrError as err:
            raise ValueError(err.message) from None


class CaseIn(DisputeIn):
    applicants: list[PartyIn] = Field(min_length=1, max_length=MAX_PARTIES_PER_SIDE)
    respondents: list[PartyIn] = Field(min_length=1, max_length=MAX_PARTIES_PER_SIDE)
    evidence: list[EvidenceIn] = Field(
        default_factory=list, max_length=MAX_EVIDENCE,
        description="evidence files with their original names (preferred over evidence_sha256s)",
    )
    evidence_sha256s: list[str] = Field(
        default_factory=list, max_length=MAX_EVIDENCE,
        description="files uploaded with POST /api/v1/files, attached as evidence (named by "
        "kind and hash; send `evidence` to keep the original file names)",
    )

    @field_validator("evidence_sha256s")
    @classmethod
    def _hashes(cls, value: list[str]) -> list[str]:
        for sha in value:
            if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                raise ValueError("each evidence file is named by the sha256 POST /api/v1/files gave")
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _parties_once(self) -> Self:
        _no_repeated_party([*self.applicants, *self.respondents])
        return self

    def evidence_files(self) -> list[EvidenceIn | str]:
        """Every evidence file once, in the order sent: named ones first, then bare hashes."""
        named = {e.sha256: e for e in self.evidence}
        files: list[EvidenceIn | str] = list(named.values())
        files += [sha for sha in self.evidence_sha256s if sha not in named]
        if len(files) > MAX_EVIDENCE:
            raise ValidationFailed(f"at most {MAX_EVIDENCE} evidence files",
                                   details=[{"field": "evidence"}])
        return files


class AgentFilingIn(StrictModel):
    """An agent files for one of the applicants under a power of attorney."""

    principal_index: int = Field(ge=0, description="which applicant (0-based) the agent acts for")
    power_of_attorney_sha256: str = Field(pattern=SHA256_PATTERN)
    scopes: list[AgentScope] = Field(default_factory=lambda: [AgentScope.GENERAL], min_length=1)
    valid_until: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[AgentScope]) -> list[AgentScope]:
        return list(dict.fromkeys(value))


class ApplicationIn(CaseIn):
    """A party's (or agent's) online application (自行申请)."""

    preferred_institution_id: int | None = None
    notice_version: str | None = Field(default=None, max_length=40)
    consent_to_online_mediation: bool | None = Field(
        default=None, strict=True, description="true: the applicants consent to mediate online (L1)"
    )
    agent: AgentFilingIn | None = None

    @model_validator(mode="after")
    def _principal_exists(self) -> Self:
        if self.agent is not None and self.agent.principal_index >= len(self.applicants):
            raise ValueError("agent.principal_index names no applicant")
        return self


class ReferralIn(CaseIn):
    """A court refers a dispute: delegated (委派, before filing) or entrusted (委托, after)."""

    channel: Literal["delegated", "entrusted"]
    institution_id: int
    court_id: int | None = Field(default=None, description="needed only if you serve several courts")
    court_case_number: str | None = Field(default=None, min_length=1, max_length=80)
    procedure: Procedure | None = None

    @model_validator(mode="after")
    def _entrusted_needs_court_facts(self) -> Self:
        if self.channel == "entrusted":
            if not self.court_case_number:
                raise ValueError("an entrusted case (委托调解) names the court case number")
            if self.procedure is None:
                raise ValueError("an entrusted case (委托调解) names its procedure: ordinary or summary")
        elif self.procedure is not None:
            raise ValueError("only an entrusted case has a court procedure")
        return self


class WalkInIn(CaseIn):
    """An institution registers a dispute brought to its desk."""

    institution_id: int | None = Field(default=None, description="needed only if you serve several")
    consent_taken_in_person: bool | None = Field(
        default=None, strict=True,
        description="true: the applicants consented in person to mediate online (L1)",
    )


class AmendIn(DisputeIn):
    """A rejected application, fixed. ``respondents`` replaces them all when given."""

    preferred_institution_id: int | None = None
    respondents: list[PartyIn] | None = Field(
        default=None, min_length=1, max_length=MAX_PARTIES_PER_SIDE
    )

    @model_validator(mode="after")
    def _parties_once(self) -> Self:
        if self.respondents:
            _no_repeated_party(self.respondents)
        return self


class RejectIn(StrictModel):
    reason: str = Field(min_length=1, max_length=1000, description="shown to the applicant")


class CaseRef(BaseModel):
    id: int
    number: str
    status: str


class QueueQuery(StrictModel):
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class QueueItem(BaseModel):
    id: int
    number: str
    title: str
    category: str
    channel: str
    status: str
    claim_amount: str
    claim_amount_fen: int
    applicants: list[str]
    respondents: list[str]
    institution_id: int | None
    preferred_institution_id: int | None
    proposed_institution_id: int | None  # no preference: the institution routing proposed
    court_id: int | None
    submitted_at: datetime | None


class ReviewQueue(BaseModel):
    items: list[QueueItem]
    total: int
