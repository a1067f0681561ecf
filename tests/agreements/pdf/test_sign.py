"""PAdES signing: pyHanko validates the signed PDF against the platform root only; a changed
byte or an appended incremental update fails; the RFC 3161 timestamp is there and trusted."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from agreements.pdf.render import render_agreement
from agreements.pdf.sign import sign_pdf_at
from agreements.pki.ca import OrgIdentity, OrgKind, _make_root
from agreements.pki.signers import PdfSigner, root_certificate_pem, signer_for, trust_roots
from odr.settings import Settings
from tests.agreements.pdf.support import sample_data

NOW = datetime(2026, 11, 2, 2, 10, tzinfo=UTC)
SFCDMC = OrgIdentity(OrgKind.INSTITUTION, "SFCDMC", "上海市金融消费纠纷调解中心")


@pytest.fixture
def pki_settings(tmp_path: Path, pki_dir: Path) -> Settings:
    return Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                    var_dir=tmp_path / "var", agreement_pki_dir=pki_dir)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_agreement(sample_data())


def _sign(settings: Settings, pdf: bytes, signer: PdfSigner | None = None) -> bytes:
    return asyncio.run(sign_pdf_at(settings, pdf, signer or signer_for(settings, SFCDMC), NOW,
                                   reason="调解协议生效", location="上海"))


async def _validate(pdf: bytes, roots: list[asn1_x509.Certificate]) -> PdfSignatureStatus:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [embedded] = reader.embedded_regular_signatures

    def context() -> ValidationContext:
        return ValidationContext(trust_roots=roots, allow_fetching=False,
                                 revocation_mode="soft-fail", moment=NOW)

    return await async_validate_pdf_signature(
        embedded, signer_validation_context=context(), ts_validation_context=context())


@pytest.fixture
async def signed(pki_settings: Settings, unsigned: bytes) -> bytes:
    return await sign_pdf_at(pki_settings, unsigned, signer_for(pki_settings, SFCDMC), NOW,
                             reason="调解协议生效", location="上海")


async def test_pyhanko_validates_the_signed_pdf_chained_to_the_dev_root_with_a_timestamp(
    pki_settings: Settings, signed: bytes
) -> None:
    status = await _validate(signed, trust_roots(pki_settings))
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    root = x509.load_pem_x509_certificate(root_certificate_pem(pki_settings))
    assert status.validation_path is not None
    anchor = status.validation_path.trust_anchor.certificate  # type: ignore[attr-defined]
    assert anchor.dump() == root.public_bytes(serialization.Encoding.DER)
    assert status.signing_cert.subject.native["common_name"] == "上海市金融消费纠纷调解中心"
    ts = status.timestamp_validity
    assert ts is not None and ts.intact and ts.valid and ts.trusted
    assert ts.timestamp == NOW  # the injected clock's time, stamped by the local authority
    assert status.signer_reported_dt == NOW


async def test_a_changed_byte_in_the_signed_content_fails(
    pki_settings: Settings, signed: bytes, unsigned: bytes
) -> None:
    tampered = bytearray(signed)
    at = unsigned.index(b"/Keywords (") + len(b"/Keywords (")
    tampered[at] = ord("X") if tampered[at] != ord("X") else ord("Y")
    status = await _validate(bytes(tampered), trust_roots(pki_settings))
    assert not status.intact
    assert not status.bottom_line


async def test_an_incremental_update_appended_after_signing_fails(
    pki_settings: Settings, signed: bytes
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    info = writer.trailer["/Info"]
    info["/Keywords"] = generic.TextStringObject("odr-kind=agreement odr-code=FORGED")
    writer.update_container(info)
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    status = await _validate(out.getvalue(), trust_roots(pki_settings))
    assert status.intact  # the signed revision itself is untouched ...
    assert status.coverage is not SignatureCoverageLevel.ENTIRE_FILE  # ... but it is not the file
    assert not status.bottom_line  # certified with no changes allowed: the update breaks it


async def test_a_signature_is_not_trusted_under_another_root(
    pki_settings: Settings, signed: bytes
) -> None:
    _key, other_root = _make_root()
    other = asn1_x509.Certificate.load(other_root.public_bytes(serialization.Encoding.DER))
    status = await _validate(signed, [other])
    assert status.intact
    assert not status.trusted
    assert not status.bottom_line


def test_court_and_institution_signers_are_made_lazily_and_loaded_once(
    pki_settings: Settings, pki_dir: Path
) -> None:
    court = OrgIdentity(OrgKind.COURT, "TESTCOURT9", "测试人民法院")
    assert not (pki_dir / "TESTCOURT9.chain.pem").exists()
    first = signer_for(pki_settings, court)
    assert (pki_dir / "TESTCOURT9.chain.pem").exists()
    again = signer_for(pki_settings, court)
    assert first.certificate.dump() == again.certificate.dump()
    assert first.algorithm == "ecdsa" and first.name == "测试人民法院"
    assert first.field_name == "odr-court-TESTCOURT9"
    pdf = _sign(pki_settings, render_agreement(sample_data()), first)
    assert asyncio.run(_validate(pdf, trust_roots(pki_settings))).bottom_line


def test_production_keys_are_loaded_and_never_generated(tmp_path: Path, pki_dir: Path) -> None:
    """agreement_signing_dir: <code>.key.pem (password-protected) + <code>.chain.pem, an RSA key."""
    from agreements.pki.ca import KeyAlgorithm, _issue, _load_root

    production = tmp_path / "keys"
    production.mkdir()
    root_key, root = _load_root(pki_dir)
    org = OrgIdentity(OrgKind.INSTITUTION, "PRODINST", "生产调解中心")
    key, cert = _issue(root_key, root, org, KeyAlgorithm.RSA_2048)
    (production / "PRODINST.key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret")))
    pem = serialization.Encoding.PEM
    (production / "PRODINST.chain.pem").write_bytes(cert.public_bytes(pem) + root.public_bytes(pem))
    (production / "root.cert.pem").write_bytes(root.public_bytes(pem))
    for name in ("tsa.key.pem", "tsa.chain.pem"):
        (production / name).write_bytes((pki_dir / name).read_bytes())
    settings = Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                        var_dir=tmp_path / "var", agreement_signing_dir=production,
                        agreement_signing_key_password="s3cret")
    signer = signer_for(settings, org)
    assert signer.algorithm == "rsa"
    pdf = _sign(settings, render_agreement(sample_data()), signer)
    assert asyncio.run(_validate(pdf, trust_roots(settings))).bottom_line
    with pytest.raises(LookupError):
        signer_for(settings, OrgIdentity(OrgKind.INSTITUTION, "MISSING", "无密钥"))
    assert not (production / "MISSING.key.pem").exists()
    assert not (settings.var_dir / "pki").exists()
