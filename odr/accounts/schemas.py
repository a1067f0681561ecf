"""Request and response bodies of the account API.

Field validators normalise what people type (spaces in numbers, +86) and
refuse malformed values with a message naming the field, so a bad request is
a 422 before anything is written.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from odr.accounts.identity import (
    document_problem,
    mobile_problem,
    normalize_document,
    normalize_mobile,
)
from odr.accounts.models import IdDocType
from odr.accounts.otp import Purpose
from odr.accounts.passwords import password_problem
from odr.http.api import StrictModel

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
CODE_PATTERN = r"^\d{6}$"

Locale = Literal["zh-CN", "en"]


def _mobile(value: str) -> str:
    number = normalize_mobile(value)
    problem = mobile_problem(number)
    if problem:
        raise ValueError(problem)
    return number


def _new_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(f"password too weak: {problem}")
    return value


class RegisterIn(StrictModel):
    username: str = Field(
        max_length=32, description="3-32 letters, digits, _ . -; case-insensitive"
    )
    password: str = Field(max_length=128)
    real_name: str = Field(min_length=1, max_length=100)
    id_doc_type: IdDocType
    id_doc_number: str = Field(max_length=40)
    mobile: str = Field(max_length=20)
    role: Literal["party", "agent"]
    locale: Locale = "zh-CN"

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.lower()
        if not USERNAME_RE.fullmatch(value):
            raise ValueError(
                "3-32 letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _new_password(value)

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
        return _mobile(value)


class OtpRequestIn(StrictModel):
    mobile: str = Field(max_length=20)
    purpose: Purpose

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        return _mobile(value)

    @field_validator("purpose")
    @classmethod
    def _requestable(cls, value: Purpose) -> Purpose:
        if value == Purpose.ROOM_ENTRY:  # sent by the meetings API with the room token
            raise ValueError("room entry codes come with the room token")
        if value == Purpose.AGREEMENT_SIGN:  # sent by the agreements API to the signer
            raise ValueError("signing codes are asked for on the agreement's signing page")
        return value


class OtpSentOut(BaseModel):
    sent: bool
    expires_in: int = Field(description="seconds until the code expires")


class VerifyMobileIn(StrictModel):
    code: str = Field(pattern=CODE_PATTERN)


class LoginIn(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class LoginOtpIn(StrictModel):
    mobile: str = Field(max_length=20)
    code: str = Field(pattern=CODE_PATTERN)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        return _mobile(value)


class PasswordResetIn(StrictModel):
    mobile: str = Field(max_length=20)
    code: str = Field(pattern=CODE_PATTERN)
    new_password: str = Field(max_length=128)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        return _mobile(value)

    @field_validator("new_password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _new_password(value)


class PasswordChangeIn(StrictModel):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(max_length=128)

    @field_validator("new_password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _new_password(value)


class MobileChangeIn(StrictModel):
    new_mobile: str = Field(max_length=20)
    code: str = Field(pattern=CODE_PATTERN)
    password: str = Field(min_length=1, max_length=128)

    @field_validator("new_mobile")
    @classmethod
    def _mobile(cls, value: str) -> str:
        return _mobile(value)


class ReauthenticateIn(StrictModel):
    """Exactly one of ``password`` or ``code`` (a ``login`` code sent to the verified mobile)."""

    password: str | None = Field(default=None, min_length=1, max_length=128)
    code: str | None = Field(default=None, pattern=CODE_PATTERN)

    @model_validator(mode="after")
    def _one_proof(self) -> ReauthenticateIn:
        if (self.password is None) == (self.code is None):
            raise ValueError("send either password or code")
        return self


class UserOut(BaseModel):
    id: int
    username: str
    real_name: str
    role: str
    id_doc_type: str | None
    id_doc_masked: str | None = Field(description="only the last four characters are shown")
    mobile_masked: str | None
    mobile_verified: bool
    mobile_verified_at: datetime | None
    identity_level: str
    locale: str
    institution_ids: list[int]
    court_ids: list[int]


class UserEnvelope(BaseModel):
    user: UserOut


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str
