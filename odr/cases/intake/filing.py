"""Writing a new case: the case row, its parties, consents, agent authorization and evidence.

Channel rules (who files, what must be confirmed) live in ``service``; this
module only writes rows, in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from odr.cases.intake.money import cny_to_fen
from odr.cases.intake.numbers import allocate_case_number
from odr.cases.intake.schemas import DisputeIn, EvidenceIn, PartyIn
from odr.cases.lifecycle import CaseStatus
from odr.cases.models import (
    Case,
    CaseDocument,
    CaseParty,
    Consent,
    ConsentDecision,
    ConsentStage,
    DocumentKind,
    DocumentVisibility,
    Side,
)
from odr.db.uow import UnitOfWork
from odr.errors import ValidationFailed
from odr.storage.models import StoredBlob

if TYPE_CHECKING:
    from odr.services import Services

PARTY_DOC_CONTEXT = "case_party.id_doc"

_EXTENSIONS = {
    "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp",
    "video/mp4": "mp4", "video/webm": "webm", "audio/mpeg": "mp3", "audio/mp4": "m4a",
    "audio/wav": "wav", "audio/ogg": "ogg", "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


@dataclass
class Draft:
    """A case about to be written, whatever its channel."""

    channel: str
    dispute: DisputeIn
    applicants: list[PartyIn]
    respondents: list[PartyIn]
    number_scope: str
    created_by_id: int | None
    idempotency_key: str | None
    institution_id: int | None = None
    preferred_institution_id: int | None = None
    court_id: int | None = None
    procedure: str | None = None
    court_case_number: str | None = None
    evidence: list[str] = field(default_factory=list)


@dataclass
class Written:
    case: Case
    applicants: list[CaseParty]
    respondents: list[CaseParty]


async def write_case(uow: UnitOfWork, services: Services, draft: Draft) -> Written:
    """Allocate the number and write the case (status submitted) with its parties."""
    now = services.clock.now()
    number = await allocate_case_number(uow, draft.number_scope, now)
    d = draft.dispute
    case = Case(
        number=number, title=d.title, category=d.category, channel=draft.channel,
        procedure=draft.procedure, court_case_number=draft.court_case_number,
        status=CaseStatus.SUBMITTED, claim_amount_fen=cny_to_fen(d.claim_amount),
        claims=d.claims, facts=d.facts, institution_id=draft.institution_id,
        preferred_institution_id=draft.preferred_institution_id, court_id=draft.court_id,
        created_by_id=draft.created_by_id, idempotency_key=draft.idempotency_key, online=True,
        submitted_at=now, created_at=now, updated_at=now,
    )
    uow.session.add(case)
    await uow.session.flush()  # the unique (created_by_id, idempotency_key) is checked here
    applicants = add_parties(uow, services, case.id, Side.APPLICANT, draft.applicants, now)
    respondents = add_parties(uow, services, case.id, Side.RESPONDENT, draft.respondents, now)
    await uow.session.flush()
    return Written(case=case, applicants=applicants, respondents=respondents)


def party_row(services: Services, case_id: int, side: str, party: PartyIn, now: datetime) -> CaseParty:
    number = party.id_doc_number
    return CaseParty(
        case_id=case_id, side=side, kind=party.kind, name=party.name,
        id_doc_type=party.id_doc_type,
        id_doc_number_enc=services.crypto.encrypt(number, context=PARTY_DOC_CONTEXT),
        id_doc_lookup=services.crypto.lookup_hash(number, context=PARTY_DOC_CONTEXT),
        id_doc_last4=number[-4:], legal_representative=party.legal_representative,
        mobile=party.mobile, address=party.address, created_at=now,
    )


def add_parties(
    uow: UnitOfWork, services: Services, case_id: int, side: str, parties: list[PartyIn],
    now: datetime,
) -> list[CaseParty]:
    rows = [party_row(services, case_id, side, p, now) for p in parties]
    uow.session.add_all(rows)
    return rows


def add_online_consents(
    uow: UnitOfWork, case_id: int, parties: list[CaseParty], *, channel: str,
    by_user_id: int | None, notice_version: str | None, now: datetime,
) -> None:
    """Each party agrees to mediate online (L1), with time, channel and the notice it read."""
    uow.session.add_all([
        Consent(
            case_id=case_id, party_id=p.id, stage=ConsentStage.MEDIATION_ONLINE,
            decision=ConsentDecision.AGREE, channel=channel, by_user_id=by_user_id,
            notice_version=notice_version, at=now,
        )
        for p in parties
    ])


async def blobs(uow: UnitOfWork, hashes: list[str], field_name: str) -> dict[str, StoredBlob]:
    """The stored blobs named by ``hashes``; 422 naming the first one never uploaded."""
    if not hashes:
        return {}
    found = {
        b.sha256: b
        for b in (
            await uow.session.execute(select(StoredBlob).where(StoredBlob.sha256.in_(hashes)))
        ).scalars()
    }
    missing = [h for h in hashes if h not in found]
    if missing:
        raise ValidationFailed(
            f"no uploaded file has sha256 {missing[0]}; upload it with POST /api/v1/files first",
            code="unknown_file", details=[{"field": field_name, "sha256": h} for h in missing],
        )
    return found


def add_document(
    uow: UnitOfWork, case_id: int, blob: StoredBlob, *, kind: str, title: str, side: str | None,
    uploaded_by_id: int | None, now: datetime, filename: str | None = None,
) -> CaseDocument:
    """A document row for ``blob``; without its original ``filename`` it is named by kind and hash."""
    ext = _EXTENSIONS.get(blob.content_type, "bin")
    doc = CaseDocument(
        case_id=case_id, version=1, kind=kind, title=title,
        filename=filename or f"{kind}-{blob.sha256[:12]}.{ext}", blob_sha256=blob.sha256,
        content_type=blob.content_type, size=blob.size, visibility=DocumentVisibility.ALL,
        side=side, confidential=False, uploaded_by_id=uploaded_by_id, created_at=now,
    )
    uow.session.add(doc)
    return doc


def evidence_hashes(files: list[EvidenceIn | str]) -> list[str]:
    return [f if isinstance(f, str) else f.sha256 for f in files]


async def attach_evidence(
    uow: UnitOfWork, case_id: int, files: list[EvidenceIn | str], found: dict[str, StoredBlob], *,
    side: str | None, uploaded_by_id: int | None, now: datetime,
) -> list[CaseDocument]:
    """Evidence named at filing (``found`` from ``blobs``), each the first version of its lineage.

    A file sent with its name (``EvidenceIn``) keeps it, so the case's document
    list shows what the applicant uploaded; a bare hash gets a generated name.
    """
    docs = []
    for i, item in enumerate(files, start=1):
        sha = item if isinstance(item, str) else item.sha256
        named = None if isinstance(item, str) else item
        docs.append(add_document(
            uow, case_id, found[sha], kind=DocumentKind.EVIDENCE,
            title=(named.title if named and named.title else f"证据{i}"), side=side,
            uploaded_by_id=uploaded_by_id, now=now, filename=named.filename if named else None,
        ))
    if docs:
        await uow.session.flush()
        for doc in docs:
            doc.lineage_id = doc.id
    return docs
