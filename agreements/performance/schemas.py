"""Request and response bodies of the performance API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from odr.http.api import StrictModel

ItemStatus = Literal["pending", "performed", "defaulted"]


class DefaultBody(StrictModel):
    note: str = Field(min_length=1, max_length=1000)


class PersonOut(BaseModel):
    user_id: int
    name: str


class PartyRef(BaseModel):
    party_id: int
    name: str


class ItemOut(BaseModel):
    id: int
    agreement_id: int
    term_key: str
    description: str
    amount_fen: int | None
    due_on: date
    overdue: bool = Field(description="the due date has passed (Asia/Shanghai)")
    obligors: list[PartyRef]
    obligees: list[PartyRef]
    status: ItemStatus
    obligor_confirmed_at: datetime | None
    obligor_confirmed_by: PersonOut | None
    obligee_confirmed_at: datetime | None
    obligee_confirmed_by: PersonOut | None
    reminded_at: datetime | None
    defaulted_at: datetime | None
    default_recorded_by: PersonOut | None
    default_note: str


class EnforcementOut(BaseModel):
    basis: Literal["confirmed", "mediation_statement"]
    court_id: int
    court_name: str = Field(description="the court to apply to")
    document_id: int | None = Field(description="the ruling or statement to bring")
    document_title: str
    bring: list[str]
    apply_by: date = Field(description="two years from the last day of performance (CPL 250)")
    rule: str
    text: str


class ContractRemedyOut(BaseModel):
    text: str
    may_apply_for_confirmation: bool
    confirmation_last_day: date | None
    rule: str


class PerformanceOut(BaseModel):
    case_id: int
    case_status: str
    items: list[ItemOut]
    enforcement: EnforcementOut | None = Field(
        description="a term defaulted and a court made the agreement enforceable")
    contract_remedy: ContractRemedyOut | None = Field(
        description="a term defaulted and no court made the agreement enforceable")
