"""verify_pdf and the CLI: which agreement and version a signed PDF is, whether it is intact;
the ID numbers decrypted for the PDF are audited one entry per decryption."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import select

from agreements.models import Agreement
from agreements.pdf.data import DECRYPT_ACTION, agreement_pdf_data
from agreements.pdf.render import render_agreement
from agreements.pdf.sign import sign_pdf
from agreements.pki.signers import signer_for_institution
from agreements.verification.verify import NotAPdf, mask_case_number, mask_name, verify_pdf
from odr.audit.models import AuditEntry
from odr.services import Services
from tests.agreements.pdf.support import effective_agreement, pdftotext

REPO = Path(__file__).resolve().parents[3]


def _append_update(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Rotate"] = generic.NumberObject(180)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def test_verify_pdf_names_the_agreement_and_version_of_an_intact_copy_L16_L17(
    services: Services,
) -> None:
    made = await effective_agreement(services)
    result = await verify_pdf(services, made.pdf)
    assert result.intact, result.problems
    assert result.problems == []
    assert result.signed and result.signature_intact and result.covers_whole_file
    assert result.chain_trusted and result.timestamp_valid
    assert result.timestamp == services.clock.now()
    assert result.signer == "上海市金融消费纠纷调解中心"
    assert result.signer_unit == "institution:SFCDMC"
    assert result.document is not None
    assert result.document.kind == "agreement"
    assert result.document.agreement_id == made.agreement.id
    assert result.document.version == 1
    assert result.document.code == made.agreement.verification_code
    assert result.document.matches_stored_copy


async def test_tampered_copies_are_not_intact(services: Services) -> None:
    made = await effective_agreement(services)
    changed = bytearray(made.pdf)
    at = made.pdf.index(b"/Author (") + len(b"/Author (")
    changed[at] ^= 0x01
    result = await verify_pdf(services, bytes(changed))
    assert not result.intact and not result.signature_intact
    assert "the signature does not match the content: the file was changed" in result.problems

    appended = await verify_pdf(services, _append_update(made.pdf))
    assert not appended.intact
    assert appended.signature_intact and not appended.covers_whole_file
    assert "content was added to the file after it was signed" in appended.problems


async def test_an_unsigned_pdf_or_a_signed_pdf_the_platform_never_stored_is_not_intact(
    services: Services,
) -> None:
    made = await effective_agreement(services, store_pdf=False)
    async with services.db.uow() as uow:
        agreement = await uow.session.get(Agreement, made.agreement.id)
        assert agreement is not None
        data = await agreement_pdf_data(uow, services, agreement)
    unsigned = render_agreement(data)
    result = await verify_pdf(services, unsigned)
    assert not result.intact and not result.signed
    assert "the PDF carries no digital signature" in result.problems

    # Validly signed by the institution, but not the copy the platform stored (none yet).
    signer = await signer_for_institution(services, made.institution_id)
    signed = await sign_pdf(services, unsigned, signer, reason="test", location="test")
    other = await verify_pdf(services, signed)
    assert other.signature_intact and other.chain_trusted and other.timestamp_valid
    assert other.document is not None and not other.document.matches_stored_copy
    assert not other.intact


async def test_a_file_that_is_not_a_pdf_is_refused(services: Services) -> None:
    with pytest.raises(NotAPdf):
        await verify_pdf(services, b"PK\x03\x04 a zip file")


async def test_each_id_number_decryption_for_the_pdf_writes_one_audit_entry(
    services: Services, tmp_path: Path
) -> None:
    made = await effective_agreement(services)
    async with services.db.reader() as uow:
        entries = list((await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == DECRYPT_ACTION)
        )).scalars())
    assert sorted(e.subject_id for e in entries) == sorted(str(p.id) for p in made.parties)
    assert {e.subject_type for e in entries} == {"case_party"}
    assert {e.data["purpose"] for e in entries} == {"agreement_pdf"}
    assert {e.data["agreement_id"] for e in entries} == {made.agreement.id}
    # ... and the full numbers are what the PDF prints (L15)
    text = pdftotext(made.pdf, tmp_path)
    for party in made.parties:
        number = services.crypto.decrypt(party.id_doc_number_enc, context="case_party.id_doc")
        assert number in text


def test_masking_for_the_public_lookup() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("浦江商业银行股份有限公司上海分行") == "浦江" + "*" * 12 + "分行"
    assert mask_case_number("(2026)沪金调字第00012号") == "(2026)********12号"


def _cli(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    settings = services.settings
    env = {**os.environ, "ODR_ENVIRONMENT": "test", "ODR_DATABASE_URL": settings.resolved_database_url,
           "ODR_VAR_DIR": str(settings.var_dir),
           "ODR_AGREEMENT_PKI_DIR": str(settings.pki_dir)}
    return subprocess.run([sys.executable, "-m", "odr.cli", "agreements", "verify", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a subprocess per call: one backend
async def test_cli_exits_0_only_for_an_intact_pdf(services: Services, tmp_path: Path) -> None:
    made = await effective_agreement(services)
    good, bad, junk = tmp_path / "good.pdf", tmp_path / "bad.pdf", tmp_path / "junk.pdf"
    good.write_bytes(made.pdf)
    bad.write_bytes(_append_update(made.pdf))
    junk.write_bytes(b"hello")
    ok = _cli(services, str(good))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout and made.agreement.verification_code in ok.stdout
    tampered = _cli(services, str(bad))
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    assert "NOT intact" in tampered.stdout
    assert _cli(services, str(junk)).returncode == 2
