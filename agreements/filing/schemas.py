"""Request and response bodies of the court filing API (L37)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from odr.http.api import StrictModel

FilingStatus = Literal["submitted", "recorded", "statement_issued", "withdrawal_ruled"]


class FilingQuery(StrictModel):
    status: FilingStatus | None = None


class RecordBody(StrictModel):
    note: str = Field(default="", max_length=1000)


class StatementBody(StrictModel):
    text: str = Field(default="", max_length=5000, description="the court's review, printed")


class WithdrawalBody(StrictModel):
    reason: str = Field(min_length=1, max_length=2000)


class FilingOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_title: str
    case_status: str
    channel: str
    court_id: int
    court_name: str
    kind: Literal["return", "record"]
    status: FilingStatus
    submitted_at: datetime
    agreement_id: int
    agreement_verification_code: str
    agreement_document_id: int | None = Field(description="the agreement's signed PDF")
    handled_by_id: int | None
    handled_at: datetime | None
    outcome_document_id: int | None = Field(description="the statement or the ruling")
    outcome_code: str | None
    note: str
    actions: list[Literal["record", "statement", "withdrawal_ruling"]] = Field(
        description="what the court may still do on it")


class FilingList(BaseModel):
    items: list[FilingOut]


class IssuedOut(BaseModel):
    filing: FilingOut
    document_id: int
    outcome_code: str
    served_party_ids: list[int]
    paper_party_ids: list[int] = Field(description="no e-service consent (L33): serve on paper")
