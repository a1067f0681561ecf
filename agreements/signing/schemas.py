"""Request and response bodies of the signing API (``agreements.signing.routes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from agreements.signing.images import MAX_DATA_URL_CHARS
from odr.http.api import StrictModel

Role = Literal["party", "mediator", "seal"]


class StillNeeded(BaseModel):
    role: Role
    party_id: int | None = None


class SigningOut(BaseModel):
    """What the caller may sign on the agreement's current version, and whether it is ready."""

    agreement_id: int
    status: str
    version: int
    content_sha256: str
    can_sign_for: list[int] = Field(description="parties the caller may sign for and that have not signed")
    as_mediator: bool = Field(description="the caller may sign as mediator now")
    as_seal: bool = Field(description="the caller may apply the institution's seal now")
    reauth_fresh: bool
    reauth_expires_at: datetime | None
    signed_party_ids: list[int]
    mediator_signed: bool
    seal_applied: bool
    missing: list[StillNeeded] = Field(description="who must still sign before it takes effect (L16)")
    problems: list[dict[str, str]] = Field(description="L15 content problems; signing waits for none")


class SignCodeIn(StrictModel):
    role: Role
    party_id: int | None = None


class SignCodeOut(BaseModel):
    sent: bool
    expires_in: int = Field(description="seconds until the code expires")
    mobile: str | None = Field(description="the masked mobile it went to")


class SignatureIn(StrictModel):
    role: Role
    party_id: int | None = None
    version: int = Field(ge=1)
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    code: str = Field(min_length=1, max_length=12)
    signature_png: str | None = Field(
        default=None, max_length=MAX_DATA_URL_CHARS,
        description="data:image/png;base64,... (not for the seal)",
    )
    device_id: str = Field(min_length=1, max_length=200)


class SignatureOut(BaseModel):
    id: int
    agreement_id: int
    role: Role
    party_id: int | None
    version: int
    content_sha256: str
    signer_user_id: int
    signed_at: datetime
    image_url: str | None
    agreement_status: str
    effective: bool
    effective_at: datetime | None
    missing: list[StillNeeded]
