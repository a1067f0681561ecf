"""Is this PDF one the platform signed, unchanged, and which document is it?

``verify_pdf`` validates the PAdES signature with pyHanko: the signature is
intact and covers the whole file (nothing appended after signing), the
signer's certificate chains to the platform root (the only trust root), and
the RFC 3161 timestamp is intact and trusted. Then it names the document:
the ``odr-*`` keywords the renderer put in the signed revision say which
agreement (verification code, version) or ruling / mediation statement it
claims to be; the database confirms it, and the file's SHA-256 is compared
with the stored copy's. A validly signed file whose identity the database
does not know is reported as such (``document`` is None), never as intact.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.content import AgreementContent
from agreements.models import Agreement, AgreementVersion, ConfirmationApplication, CourtFiling
from agreements.pdf.layout import parse_keywords
from agreements.pki.signers import trust_roots
from odr.cases.models import Case, CaseDocument
from odr.services import Services

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
DocumentKind = Literal["agreement", "ruling", "mediation_statement", "case_document"]


class NotAPdf(ValueError):
    """The bytes are not a PDF file at all (the route answers 4xx)."""


class IdentifiedDocument(BaseModel):
    kind: DocumentKind
    code: str | None = None  # the verification code printed on it
    case_id: int
    agreement_id: int | None = None
    version: int | None = None  # the agreement version the PDF shows
    effective_version: int | None = None
    matches_stored_copy: bool  # the file's SHA-256 equals the stored signed PDF's
    stored_sha256: str | None = None
    title: str = ""


class VerificationResult(BaseModel):
    """The verdict. ``intact`` only when every check passed and the document is known."""

    intact: bool
    problems: list[str]
    sha256: str  # of the file checked
    signed: bool
    signature_intact: bool = False  # the signed bytes hash to what was signed
    covers_whole_file: bool = False  # nothing appended after the signature
    chain_trusted: bool = False  # the signer chains to the platform root
    timestamp_valid: bool = False  # an RFC 3161 timestamp, intact and trusted
    signer: str = ""  # the certificate's common name (institution / court)
    signer_unit: str = ""  # e.g. "institution:SFCDMC"
    signed_at: datetime | None = None  # the time the signer claims
    timestamp: datetime | None = None  # the timestamp authority's time
    claimed: dict[str, str] = {}  # the odr-* keywords of the signed revision
    document: IdentifiedDocument | None = None


def _check_pdf(data: bytes) -> None:
    if not data[:1024].lstrip().startswith(PDF_MAGIC):
        raise NotAPdf("this file is not a PDF")


def _keywords(reader: PdfFileReader) -> dict[str, str]:
    try:
        info = reader.trailer_view.get("/Info")
        if info is None:
            return {}
        value = info.get_object().get("/Keywords")
        return parse_keywords(str(value)) if value is not None else {}
    except Exception:  # a damaged info dictionary: nothing claimed
        return {}


def _signer_fields(status: PdfSignatureStatus) -> tuple[str, str]:
    subject: dict[str, Any] = status.signing_cert.subject.native
    return str(subject.get("common_name", "")), str(subject.get("organizational_unit_name", ""))


async def _validate(services: Services, reader: PdfFileReader,
                    result: VerificationResult) -> None:
    signatures = reader.embedded_regular_signatures
    if not signatures:
        result.problems.append("the PDF carries no digital signature")
        return
    result.signed = True
    if len(signatures) > 1:
        result.problems.append("the PDF carries more than one signature")
    embedded = signatures[-1]
    roots = trust_roots(services.settings)
    moment = services.clock.now()

    def context() -> ValidationContext:
        return ValidationContext(trust_roots=roots, allow_fetching=False,
                                 revocation_mode="soft-fail", moment=moment)

    status = await async_validate_pdf_signature(
        embedded, signer_validation_context=context(), ts_validation_context=context()
    )
    result.signature_intact = bool(status.intact and status.valid)
    result.covers_whole_file = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    result.chain_trusted = bool(status.trusted)
    ts = status.timestamp_validity
    result.timestamp_valid = bool(ts and ts.intact and ts.valid and ts.trusted)
    result.timestamp = ts.timestamp if ts else None
    result.signed_at = status.signer_reported_dt
    result.signer, result.signer_unit = _signer_fields(status)
    if not result.signature_intact:
        result.problems.append("the signature does not match the content: the file was changed")
    if not result.covers_whole_file:
        result.problems.append("content was added to the file after it was signed")
    if not result.chain_trusted:
        result.problems.append("the signing certificate does not chain to the platform root")
    if ts is None:
        result.problems.append("the signature has no trusted timestamp")
    elif not result.timestamp_valid:
        result.problems.append("the timestamp is not valid or not trusted")
    if status.docmdp_ok is False:
        result.problems.append("the document was modified in a way its certification forbids")


async def _identify(session: AsyncSession, claimed: dict[str, str],
                    sha256: str) -> IdentifiedDocument | None:
    kind, code = claimed.get("kind"), claimed.get("code")
    if kind == "agreement" and code:
        agreement = (await session.execute(
            select(Agreement).where(Agreement.verification_code == code)
        )).scalar_one_or_none()
        if agreement is not None:
            version = int(claimed["version"]) if claimed.get("version", "").isdigit() else None
            return IdentifiedDocument(
                kind="agreement", code=code, case_id=agreement.case_id,
                agreement_id=agreement.id, version=version,
                effective_version=agreement.effective_version,
                matches_stored_copy=agreement.pdf_sha256 == sha256,
                stored_sha256=agreement.pdf_sha256, title="调解协议书",
            )
    if kind == "ruling" and code:
        application = (await session.execute(
            select(ConfirmationApplication).where(ConfirmationApplication.ruling_code == code)
        )).scalar_one_or_none()
        if application is not None:
            stored = await _document_sha(session, application.ruling_document_id)
            return IdentifiedDocument(
                kind="ruling", code=code, case_id=application.case_id,
                agreement_id=application.agreement_id, matches_stored_copy=stored == sha256,
                stored_sha256=stored, title="民事裁定书",
            )
    if kind == "mediation_statement" and code:
        filing = (await session.execute(
            select(CourtFiling).where(CourtFiling.outcome_code == code)
        )).scalar_one_or_none()
        if filing is not None:
            stored = await _document_sha(session, filing.outcome_document_id)
            return IdentifiedDocument(
                kind="mediation_statement", code=code, case_id=filing.case_id,
                agreement_id=filing.agreement_id, matches_stored_copy=stored == sha256,
                stored_sha256=stored, title="民事调解书",
            )
    document = (await session.execute(
        select(CaseDocument).where(CaseDocument.blob_sha256 == sha256)
        .order_by(CaseDocument.id).limit(1)
    )).scalar_one_or_none()
    if document is not None:
        return IdentifiedDocument(
            kind="case_document", code=code, case_id=document.case_id,
            matches_stored_copy=True, stored_sha256=sha256, title=document.title,
        )
    return None


async def _document_sha(session: AsyncSession, document_id: int | None) -> str | None:
    if document_id is None:
        return None
    document = await session.get(CaseDocument, document_id)
    return document.blob_sha256 if document else None


async def verify_pdf(services: Services, data: bytes) -> VerificationResult:
    """Check ``data`` (a PDF's bytes). Raises ``NotAPdf`` for anything that is not a PDF."""
    _check_pdf(data)
    sha256 = hashlib.sha256(data).hexdigest()
    result = VerificationResult(intact=False, problems=[], sha256=sha256, signed=False)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        result.claimed = _keywords(reader)
        await _validate(services, reader, result)
    except (PdfError, SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        log.info("PDF verification failed: %s", exc)
        result.problems.append("the PDF or its signature is damaged and cannot be read")
    async with services.db.reader() as reader_uow:
        result.document = await _identify(reader_uow.session, result.claimed, sha256)
    if result.document is None:
        result.problems.append("the platform has no record of this document")
    elif result.document.kind == "agreement" and not result.document.matches_stored_copy:
        result.problems.append("this is not the signed copy the platform stored for the agreement")
    result.intact = not result.problems and result.signed
    return result


# ---- the public look-up by verification code ----------------------------------------


class PartyName(BaseModel):
    side: str
    name_masked: str


class CodeLookup(BaseModel):
    """What anyone holding a printed code may see (masked: no full names, no ID numbers)."""

    kind: DocumentKind
    code: str
    case_number_masked: str
    status: str
    version: int | None = None
    effective_at: datetime | None = None
    parties: list[PartyName] = []
    pdf_sha256: str | None = None  # compare with the file in hand
    issued_at: datetime | None = None  # rulings / statements


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳小明 -> 欧**明, organisations keep their first two and last two."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    if len(name) <= 4:
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def mask_case_number(number: str) -> str:
    """Keep the year part and the last two characters: (2026)沪金调字第00012号 -> (2026)*******12号."""
    if len(number) <= 6:
        return "*" * len(number)
    head = number.index(")") + 1 if number.startswith("(") and ")" in number[:8] else 2
    return number[:head] + "*" * max(len(number) - head - 3, 1) + number[-3:]


async def lookup_code(services: Services, code: str) -> CodeLookup | None:
    """The public summary behind a printed verification code, or None."""
    code = code.strip()
    async with services.db.reader() as uow:
        session = uow.session
        agreement = (await session.execute(
            select(Agreement).where(Agreement.verification_code == code)
        )).scalar_one_or_none()
        if agreement is not None:
            case = await session.get(Case, agreement.case_id)
            number = agreement.effective_version or agreement.current_version
            version = (await session.execute(
                select(AgreementVersion.content).where(
                    AgreementVersion.agreement_id == agreement.id,
                    AgreementVersion.number == number)
            )).scalar_one_or_none()
            content = AgreementContent.model_validate(version) if version else None
            return CodeLookup(
                kind="agreement", code=code,
                case_number_masked=mask_case_number(case.number if case else ""),
                status=agreement.status, version=number, effective_at=agreement.effective_at,
                parties=[PartyName(side=p.side, name_masked=mask_name(p.name))
                         for p in (content.parties if content else [])],
                pdf_sha256=agreement.pdf_sha256,
            )
        application = (await session.execute(
            select(ConfirmationApplication).where(ConfirmationApplication.ruling_code == code)
        )).scalar_one_or_none()
        if application is not None:
            case = await session.get(Case, application.case_id)
            return CodeLookup(
                kind="ruling", code=code,
                case_number_masked=mask_case_number(case.number if case else ""),
                status=application.status, issued_at=application.ruled_at,
                pdf_sha256=await _document_sha(session, application.ruling_document_id),
            )
        filing = (await session.execute(
            select(CourtFiling).where(CourtFiling.outcome_code == code)
        )).scalar_one_or_none()
        if filing is not None:
            case = await session.get(Case, filing.case_id)
            return CodeLookup(
                kind="mediation_statement", code=code,
                case_number_masked=mask_case_number(case.number if case else ""),
                status=filing.status, issued_at=filing.handled_at,
                pdf_sha256=await _document_sha(session, filing.outcome_document_id),
            )
    return None
