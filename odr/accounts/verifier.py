"""Real-name identity verification behind one small interface (L2).

An account is verified against an identity document and a mobile number
(OLR 7, FLOW 5). What "verified" means depends on the verifier in use:

- ``ChecksumAndMobileVerifier`` (the default) proves the document number is
  well formed (checksum, birth date) and that the holder controls the mobile
  (a one-time code was answered). It yields level ``basic``.
- A production adapter for an identity-authentication service yields
  ``strong``. Such an adapter implements ``IdentityVerifier``:

  * ``name``: a short stable id stored on the user (``identity_verifier``)
    and in the audit entry, e.g. ``"ctid"`` or ``"carrier-3factor"``;
  * ``async verify(subject)``: send ``real_name`` + ``id_doc_number`` (and,
    for a carrier three-factor check, ``mobile``) to the service over an
    authenticated channel with a timeout; return ``strong`` when the service
    confirms that name, number (and mobile) belong together, otherwise
    ``none`` with the service's reason in words a person can act on. It must
    not raise for a negative answer, only for the service being unreachable
    (the caller then keeps the previous level). It must not log the number.

The verifier in use is chosen in one place, ``verifier_for(services)``: an
adapter is installed as ``services.extras["identity_verifier"]`` at start-up.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from odr.accounts.identity import document_problem
from odr.accounts.models import IdentityLevel
from odr.policy import ALLOW, Decision
from odr.services import Services
from odr.settings import Settings

EXTRAS_KEY = "identity_verifier"


@dataclass(frozen=True)
class VerificationSubject:
    """What a verifier may look at. ``id_doc_number`` is in clear: never log it."""

    user_id: int
    real_name: str
    id_doc_type: str | None
    id_doc_number: str | None
    mobile: str | None
    mobile_verified_at: datetime | None

    def __repr__(self) -> str:  # keep the document number out of logs and tracebacks
        return f"VerificationSubject(user_id={self.user_id}, id_doc_type={self.id_doc_type!r})"


@dataclass(frozen=True)
class VerificationResult:
    level: IdentityLevel
    reason: str


class IdentityVerifier(abc.ABC):
    """Decides the identity level of an account holder; see the module docstring."""

    name: str

    @abc.abstractmethod
    async def verify(self, subject: VerificationSubject) -> VerificationResult: ...


class ChecksumAndMobileVerifier(IdentityVerifier):
    """Level ``basic``: a valid document number and a mobile proven by one-time code."""

    name = "checksum+mobile"

    async def verify(self, subject: VerificationSubject) -> VerificationResult:
        if not subject.id_doc_type or not subject.id_doc_number:
            return VerificationResult(IdentityLevel.NONE, "no identity document on the account")
        problem = document_problem(subject.id_doc_type, subject.id_doc_number)
        if problem:
            return VerificationResult(IdentityLevel.NONE, problem)
        if not subject.mobile or subject.mobile_verified_at is None:
            return VerificationResult(
                IdentityLevel.NONE, "confirm your mobile number with the code sent to it"
            )
        return VerificationResult(
            IdentityLevel.BASIC, "document number checked and mobile number confirmed"
        )


def verifier_for(services: Services) -> IdentityVerifier:
    """The verifier in use: an installed adapter, else the checksum-and-mobile default."""
    installed = services.extras.get(EXTRAS_KEY)
    if isinstance(installed, IdentityVerifier):
        return installed
    return ChecksumAndMobileVerifier()


class HasIdentityLevel(Protocol):
    @property
    def identity_level(self) -> str: ...


def signing_decision(holder: HasIdentityLevel, settings: Settings) -> Decision:
    """May this account holder sign (an agreement, a record)? With the reason if not.

    ``require_strong_identity_for_signing`` is the production setting: a
    signature must then rest on an identity-authentication service, and the
    checksum-and-mobile level is not enough.
    """
    level = holder.identity_level
    if level == IdentityLevel.STRONG:
        return ALLOW
    if level == IdentityLevel.BASIC:
        if settings.require_strong_identity_for_signing:
            return Decision(
                False,
                "signing needs identity confirmed by an identity-authentication service; "
                "a checked document number and mobile number are not enough",
            )
        return ALLOW
    return Decision(False, "verify your identity (document and mobile number) before signing")


def may_sign(holder: HasIdentityLevel, settings: Settings) -> bool:
    return bool(signing_decision(holder, settings))
