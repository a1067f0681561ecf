"""Request and response bodies of the electronic-service API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from odr.http.api import StrictModel


class AddressOut(BaseModel):
    channel: str
    address: str
    confirmed: bool  # provided or confirmed by the party: reaching it completes a service


class PartyServiceAddress(BaseModel):
    party_id: int
    name: str
    side: str
    consents: bool
    basis: str | None  # confirmed | presumed_from_filing | presumed_from_prior_service
    decision: str | None  # the latest form's decision, if any
    decided_at: datetime | None
    reason: str  # why the party cannot be served electronically (empty when it can)
    addresses: list[AddressOut]


class ServiceAddressList(BaseModel):
    items: list[PartyServiceAddress]


class ServiceAddressForm(StrictModel):
    """The address-confirmation form (送达地址确认书)."""

    party_id: int | None = Field(default=None, description="needed when you act for several parties")
    decision: Literal["agree", "refuse"]
    mobile: str | None = Field(default=None, max_length=20, description="for SMS")
    email: str | None = Field(default=None, max_length=200)
    inapp: bool = Field(default=False, description="the platform's in-app messages")
    reason: str | None = Field(default=None, max_length=1000)


class ServeBody(StrictModel):
    recipients: list[int] | None = Field(
        default=None, max_length=100, description="party ids; default every party of the case"
    )


class ServedRecord(BaseModel):
    id: int
    channel: str
    address: str
    address_confirmed: bool


class ServedTo(BaseModel):
    party_id: int
    service_id: int
    status: Literal["served", "already_served"]
    consent_basis: str
    records: list[ServedRecord]


class ServeResult(BaseModel):
    document_id: int
    results: list[ServedTo]


class ServiceRecordOut(BaseModel):
    id: int
    service_id: int
    document_id: int
    document_title: str
    document_kind: str  # a ruling (judgment, ruling, mediation statement) may be asked for on paper (L35)
    party_id: int
    recipient_name: str
    consent_basis: str
    channel: str
    address: str
    address_confirmed: bool
    queued_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    completed_at: datetime | None
    completion_basis: str | None
    # The service (document x recipient): complete at its earliest valid record (L34).
    service_completed_at: datetime | None
    service_completion_basis: str | None
    counts_for_service: bool  # this record's completion is the one that counts
    receipt_url: str
    receipt_document_id: int | None


class ServiceRecordList(BaseModel):
    items: list[ServiceRecordOut]


class ServiceRecordQuery(StrictModel):
    document_id: int | None = None


class PaperCopyBody(StrictModel):
    document_id: int
    address: str = Field(min_length=5, max_length=300, description="postal address for the copy")
    party_id: int | None = Field(default=None, description="needed when you act for several parties")


class PaperCopySentBody(StrictModel):
    note: str | None = Field(default=None, max_length=500, description="e.g. the tracking number")


class PaperCopyOut(BaseModel):
    id: int
    case_id: int
    party_id: int
    document_id: int
    document_title: str
    address: str
    status: str
    requested_by_id: int | None
    requested_at: datetime
    sent_at: datetime | None
    note: str | None


class PaperCopyList(BaseModel):
    items: list[PaperCopyOut]
