"""The pluggable identity verifier and the signing rule built on it (L2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from odr.accounts.models import IdentityLevel
from odr.accounts.verification import recheck_identity
from odr.accounts.verifier import (
    EXTRAS_KEY,
    ChecksumAndMobileVerifier,
    IdentityVerifier,
    VerificationResult,
    VerificationSubject,
    may_sign,
    signing_decision,
)
from odr.services import Services
from odr.settings import Settings
from tests.accounts.support import MOBILE, RESIDENT_ID, audit_actions, code_sent_to, register
from tests.factories import make_user

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def subject(**changes: object) -> VerificationSubject:
    fields: dict[str, object] = {
        "user_id": 1,
        "real_name": "张三",
        "id_doc_type": "resident_id",
        "id_doc_number": RESIDENT_ID,
        "mobile": MOBILE,
        "mobile_verified_at": NOW,
    }
    fields.update(changes)
    return VerificationSubject(**fields)  # type: ignore[arg-type]


@dataclass
class Holder:
    identity_level: str


async def test_checksum_and_mobile_gives_basic_identity_L2() -> None:
    result = await ChecksumAndMobileVerifier().verify(subject())
    assert result.level == IdentityLevel.BASIC


async def test_unconfirmed_mobile_or_bad_document_gives_no_identity_L2() -> None:
    verifier = ChecksumAndMobileVerifier()
    unconfirmed = await verifier.verify(subject(mobile_verified_at=None))
    assert unconfirmed.level == IdentityLevel.NONE and "mobile" in unconfirmed.reason
    bad = await verifier.verify(subject(id_doc_number="110105194912310021"))
    assert bad.level == IdentityLevel.NONE and "check character" in bad.reason


def test_subject_repr_never_shows_the_document_number_L2() -> None:
    assert RESIDENT_ID not in repr(subject())


def test_basic_identity_may_sign_when_strong_is_not_required_L2() -> None:
    settings = Settings(_env_file=None, require_strong_identity_for_signing=False)  # type: ignore[call-arg]
    assert may_sign(Holder(IdentityLevel.BASIC), settings)
    assert may_sign(Holder(IdentityLevel.STRONG), settings)
    assert not may_sign(Holder(IdentityLevel.NONE), settings)


def test_basic_identity_refused_for_signing_in_production_L2() -> None:
    production = Settings(_env_file=None, require_strong_identity_for_signing=True)  # type: ignore[call-arg]
    decision = signing_decision(Holder(IdentityLevel.BASIC), production)
    assert not decision
    assert "identity-authentication service" in decision.reason
    assert not may_sign(Holder(IdentityLevel.BASIC), production)
    assert may_sign(Holder(IdentityLevel.STRONG), production)
    assert "verify your identity" in signing_decision(Holder(IdentityLevel.NONE), production).reason


class FakeAuthenticationService(IdentityVerifier):
    """Stands in for a real identity-authentication adapter."""

    name = "fake-ctid"

    def __init__(self) -> None:
        self.seen: list[VerificationSubject] = []

    async def verify(self, subject: VerificationSubject) -> VerificationResult:
        self.seen.append(subject)
        return VerificationResult(IdentityLevel.STRONG, "confirmed by the authentication service")


async def test_installed_verifier_decides_the_level_on_mobile_confirmation_L2(
    client: httpx.AsyncClient, services: Services
) -> None:
    adapter = FakeAuthenticationService()
    services.extras[EXTRAS_KEY] = adapter
    await register(client)
    code = await code_sent_to(services, MOBILE, "verify_mobile")
    response = await client.post("/api/v1/auth/verify-mobile", json={"code": code})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["identity_level"] == "strong"
    [seen] = adapter.seen
    # The adapter receives the decrypted document number and the confirmed mobile.
    assert seen.id_doc_number == RESIDENT_ID and seen.mobile == MOBILE
    assert seen.mobile_verified_at is not None


async def test_identity_recheck_is_audited_and_drops_a_failed_identity_L2(
    services: Services,
) -> None:
    user = await make_user(services)
    result = await recheck_identity(services, user.id, occasion="meeting:1")
    assert result.level == IdentityLevel.BASIC
    unverified = await make_user(services, identity_level="none")
    result = await recheck_identity(services, unverified.id, occasion="meeting:1")
    assert result.level == IdentityLevel.NONE
    assert (await audit_actions(services)).count("identity.recheck") == 2
