"""The transfer package a failed mediation sends to the court (L14), without confidential material (L11).

Made once per case: a summary PDF (application, parties, the record so far,
the failure ground and reasons, any conduct that raised costs, the list of
materials) and a ZIP of those materials, both stored as staff-only
``CaseDocument`` rows of kind ``transfer_package`` and tied together by a
``TransferPackage`` row. Every confidential document (caucus content,
concessions) and every mediator-only document is left out — decided by the
policy's ``kept_from_court``, the same test the court's own reads pass.

Court channels get it from the outbox right after the case fails (kind
``cases.transfer_package``); for other channels staff make it on demand.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import zipfile
from collections.abc import AsyncIterator
from typing import IO, TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.accounts.models import User
from odr.cases.documents.service import add_document, case_documents, document_view, latest_versions
from odr.cases.ending.models import TransferPackage
from odr.cases.ending.render import (
    Material,
    PackageFacts,
    PartyFacts,
    SessionFacts,
    render_transfer_pdf,
)
from odr.cases.ending.service import CONSEQUENCE_ZH, consequence_of
from odr.cases.lifecycle import CaseEventKind, CaseStatus, EndGround
from odr.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseParty,
    DocumentKind,
    DocumentVisibility,
    EventVisibility,
)
from odr.cases.transitions import Who, add_event, load_case_for_update
from odr.errors import Conflict, NotFound
from odr.orgs.models import Court, Institution
from odr.outbox.handlers import register_handler
from odr.outbox.models import OutboxMessage
from odr.policy import CaseView, kept_from_court
from odr.storage.uploads import record_blob

if TYPE_CHECKING:
    from odr.services import Services

log = logging.getLogger(__name__)

PACKAGE_KIND = "cases.transfer_package"
ZIP_TYPE = "application/zip"
ZIP_CHUNK = 1024 * 1024


async def get_package(session: AsyncSession, case_id: int) -> TransferPackage | None:
    return (
        await session.execute(select(TransferPackage).where(TransferPackage.case_id == case_id))
    ).scalar_one_or_none()


async def gather_facts(session: AsyncSession, case: Case) -> tuple[PackageFacts, list[CaseDocument]]:
    """Everything the package shows, and the documents it carries, read in one transaction."""
    court = await session.get(Court, case.court_id) if case.court_id else None
    institution = await session.get(Institution, case.institution_id) if case.institution_id else None
    mediator = await session.get(User, case.mediator_id) if case.mediator_id else None
    parties = (
        await session.execute(
            select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.side, CaseParty.id)
        )
    ).scalars().all()
    events = (
        await session.execute(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id,
                (CaseEvent.kind.like("session\\_%", escape="\\"))
                | (CaseEvent.kind == CaseEventKind.END_WITHOUT_AGREEMENT),
            ).order_by(CaseEvent.id)
        )
    ).scalars().all()
    ended = [e for e in events if e.kind == CaseEventKind.END_WITHOUT_AGREEMENT]
    cost_conduct = ended[-1].data.get("cost_conduct") if ended else None
    view = CaseView(case_id=case.id, status=case.status, institution_id=case.institution_id,
                    court_id=case.court_id, participants={}, channel=case.channel)
    latest = [d for d in latest_versions(await case_documents(session, case.id))
              if d.kind != DocumentKind.TRANSFER_PACKAGE]
    included = [d for d in latest if not kept_from_court(document_view(view, d, {}))]
    facts = PackageFacts(
        number=case.number, title=case.title, category=case.category, channel=case.channel,
        procedure=case.procedure, court_case_number=case.court_case_number,
        claim_amount_fen=case.claim_amount_fen, claims=case.claims, facts=case.facts,
        court_name=court.name_zh if court else None,
        institution_name=institution.name_zh if institution else None,
        mediator_name=mediator.real_name if mediator else None,
        submitted_at=case.submitted_at, accepted_at=case.accepted_at,
        mediation_started_at=case.mediation_started_at, closed_at=case.closed_at,
        ground=case.end_ground or EndGround.OTHER, reasons=case.end_reasons or "",
        cost_conduct=str(cost_conduct) if cost_conduct else None,
        consequence=CONSEQUENCE_ZH[consequence_of(case.channel)],
        parties=[
            PartyFacts(side=x.side, kind=x.kind, name=x.name, id_last4=x.id_doc_last4,
                       mobile=x.mobile, address=x.address,
                       legal_representative=x.legal_representative)
            for x in parties
        ],
        sessions=[
            SessionFacts(at=e.at, kind=e.kind, summary=str(e.data.get("summary") or e.data.get("title") or ""))
            for e in events if e.kind.startswith("session_")
        ],
        included=[
            Material(document_id=d.id, title=d.title, kind=d.kind, filename=d.filename,
                     version=d.version, size=d.size, sha256=d.blob_sha256, side=d.side,
                     content_type=d.content_type, created_at=d.created_at)
            for d in included
        ],
        excluded_count=len(latest) - len(included),
    )
    return facts, list(included)


def _zip_name(index: int, material: Material) -> str:
    return f"{index:02d}_{material.filename}"


def _manifest(facts: PackageFacts) -> bytes:
    lines = [f"{facts.number} 移交材料清单", ""]
    for i, m in enumerate(facts.included, 1):
        lines.append(f"{_zip_name(i, m)}\t{m.title}\tv{m.version}\t{m.size}\tsha256:{m.sha256}")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def _write_zip(services: Services, facts: PackageFacts, out: IO[bytes]) -> None:
    """The materials (one blob in memory at a time) and a manifest, stored uncompressed."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for i, material in enumerate(facts.included, 1):
            data = await services.storage.get_bytes(material.sha256)
            await asyncio.to_thread(archive.writestr, _zip_name(i, material), data)
        await asyncio.to_thread(archive.writestr, "清单.txt", _manifest(facts))


async def _file_chunks(f: IO[bytes]) -> AsyncIterator[bytes]:
    f.seek(0)
    while chunk := await asyncio.to_thread(f.read, ZIP_CHUNK):
        yield chunk


def _safe(number: str) -> str:
    return "".join("-" if ch in "/\\" else ch for ch in number)


async def ensure_transfer_package(services: Services, case_id: int, who: Who) -> TransferPackage:
    """The case's transfer package, made now if it does not exist yet (409 unless the case failed)."""
    async with services.db.reader() as uow:
        existing = await get_package(uow.session, case_id)
        if existing is not None:
            return existing
        case = await uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case")
        if case.status != CaseStatus.FAILED:
            raise Conflict(
                "a transfer package is made only once the mediation has ended without agreement",
                code="not_failed", details={"status": case.status},
            )
        facts, _ = await gather_facts(uow.session, case)
    generated_at = services.clock.now()
    pdf = await asyncio.to_thread(render_transfer_pdf, facts, generated_at)
    with tempfile.TemporaryFile() as spool:
        await _write_zip(services, facts, spool)
        zip_ref = await services.storage.put_stream(_file_chunks(spool))
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, case_id)
        existing = await get_package(uow.session, case_id)
        if existing is not None:  # made meanwhile by another worker or request
            return existing
        name = _safe(case.number)
        pdf_doc = await add_document(
            uow, services, case, title="调解不成移交材料（摘要）", kind=DocumentKind.TRANSFER_PACKAGE,
            filename=f"{name}-移交材料.pdf", data=pdf, content_type="application/pdf",
            visibility=DocumentVisibility.MEDIATOR_ONLY, who=who,
        )
        zip_blob = await record_blob(uow, services.clock, zip_ref, ZIP_TYPE)
        zip_doc = await add_document(
            uow, services, case, title="调解不成移交材料（附件）", kind=DocumentKind.TRANSFER_PACKAGE,
            filename=f"{name}-移交材料.zip", blob=zip_blob, content_type=ZIP_TYPE,
            visibility=DocumentVisibility.MEDIATOR_ONLY, who=who,
        )
        package = TransferPackage(
            case_id=case.id, pdf_document_id=pdf_doc.id, zip_document_id=zip_doc.id,
            included_document_ids=[m.document_id for m in facts.included],
            excluded_count=facts.excluded_count, generated_by_id=who.user_id,
            generated_at=generated_at,
        )
        uow.session.add(package)
        await uow.session.flush()
        await add_event(
            uow, services, case, "transfer_package_generated", who,
            data={"package_id": package.id, "pdf_document_id": pdf_doc.id,
                  "zip_document_id": zip_doc.id, "included": len(facts.included),
                  "excluded": facts.excluded_count},
            visibility=EventVisibility.STAFF,
        )
    return package


async def handle_transfer_package(services: Services, message: OutboxMessage) -> None:
    """Outbox handler: idempotent (one package per case, checked under the case's lock)."""
    case_id = int(message.payload["case_id"])
    try:
        await ensure_transfer_package(services, case_id, Who.system("transfer-package"))
    except (NotFound, Conflict) as exc:  # nothing to make: the case is gone or did not fail
        log.warning("no transfer package for case %s: %s", case_id, exc)


register_handler(PACKAGE_KIND, handle_transfer_package)
