"""Adding documents to a case, and the policy's picture of each.

``add_document`` is the one way a ``CaseDocument`` row is written, for uploads
and for generated files alike (transfer packages, agreements, service
receipts). A document is never changed: a new version is a new row in the
same lineage with the next version number, the old row stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from odr.cases.documents.names import check_filename
from odr.cases.models import (
    Case,
    CaseDocument,
    CaseParticipant,
    CaseParty,
    DocumentKind,
    DocumentVisibility,
    EventVisibility,
)
from odr.cases.transitions import Who, active_participation, add_event
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.policy import CaseView, DocumentView
from odr.storage.models import StoredBlob
from odr.storage.uploads import HEAD_BYTES, record_blob, sniff

if TYPE_CHECKING:
    from odr.services import Services

SIDES = ("applicant", "respondent")

SideUsers = dict[str, frozenset[int]]


async def add_document(
    uow: UnitOfWork,
    services: Services,
    case: Case,
    *,
    title: str,
    kind: DocumentKind | str,
    filename: str,
    data: bytes | None = None,
    blob: StoredBlob | None = None,
    content_type: str | None = None,
    visibility: DocumentVisibility | str = DocumentVisibility.ALL,
    side: str | None = None,
    confidential: bool = False,
    who: Who | None = None,
    replaces: CaseDocument | None = None,
) -> CaseDocument:
    """Store a document of ``case`` (a new lineage, or a new version of ``replaces``).

    Give either ``data`` (bytes to store now, e.g. a generated PDF; its
    content type is sniffed unless given) or ``blob`` (already stored by
    ``store_upload``). ``who`` is the uploader (``None``: the platform).
    Writes the timeline event ``document_added`` (staff-only unless the
    document is visible to all) and its audit entry. The caller checks the
    policy; ``replaces`` must be a document of the same case.
    """
    if (data is None) == (blob is None):
        raise ValueError("give exactly one of data or blob")
    if replaces is not None and replaces.case_id != case.id:
        raise ValueError("a new version must stay in the same case")
    if blob is None:
        assert data is not None
        detected = content_type or sniff(data[:HEAD_BYTES]) or "application/octet-stream"
        ref = await services.storage.put_bytes(data)
        blob = await record_blob(uow, services.clock, ref, detected)
    visibility = DocumentVisibility(visibility)
    now = services.clock.now()
    lineage_id = None
    version = 1
    if replaces is not None:
        lineage_id = replaces.lineage_id or replaces.id
        version = await _next_version(uow.session, case.id, lineage_id)
    document = CaseDocument(
        case_id=case.id, lineage_id=lineage_id, version=version, kind=str(DocumentKind(kind)),
        title=title, filename=check_filename(filename), blob_sha256=blob.sha256,
        content_type=content_type or blob.content_type, size=blob.size,
        visibility=str(visibility), side=side, confidential=confidential,
        uploaded_by_id=who.user_id if who else None, created_at=now,
    )
    uow.session.add(document)
    await uow.session.flush()
    if document.lineage_id is None:
        document.lineage_id = document.id
    shared = visibility == DocumentVisibility.ALL
    await add_event(
        uow, services, case, "document_added", who or Who.system(),
        data={"document_id": document.id, "lineage_id": document.lineage_id,
              "version": version, "title": title, "kind": document.kind},
        visibility=EventVisibility.ALL if shared else EventVisibility.STAFF,
    )
    return document


async def _next_version(session: AsyncSession, case_id: int, lineage_id: int) -> int:
    current = (
        await session.execute(
            select(func.max(CaseDocument.version)).where(
                CaseDocument.case_id == case_id, CaseDocument.lineage_id == lineage_id
            )
        )
    ).scalar_one()
    return int(current or 0) + 1


async def is_latest(session: AsyncSession, document: CaseDocument) -> bool:
    newest = await _next_version(session, document.case_id, document.lineage_id or document.id)
    return document.version == newest - 1


async def side_users(session: AsyncSession, case_id: int, now: datetime) -> SideUsers:
    """The users on each side at ``now``: the parties themselves and their agents."""
    rows = (
        await session.execute(
            select(CaseParticipant.user_id, CaseParticipant.role, CaseParty.side)
            .outerjoin(CaseParty, CaseParty.id == CaseParticipant.party_id)
            .where(
                CaseParticipant.case_id == case_id,
                CaseParticipant.role.in_((*SIDES, "agent")),
                active_participation(now),
            )
        )
    ).all()
    found: dict[str, set[int]] = {side: set() for side in SIDES}
    for user_id, role, party_side in rows:
        side = party_side or (role if role in SIDES else None)
        if side in found:
            found[side].add(user_id)
    return {side: frozenset(users) for side, users in found.items()}


def sides_of(user_id: int | None, sides: SideUsers) -> list[str]:
    """The sides ``user_id`` stands on (normally one)."""
    return [side for side, users in sides.items() if user_id in users]


def document_view(case: CaseView, document: CaseDocument, sides: SideUsers) -> DocumentView:
    return DocumentView(
        case=case, visibility=document.visibility, kind=document.kind, side=document.side,
        side_user_ids=sides.get(document.side or "", frozenset()),
        confidential=document.confidential, uploaded_by_id=document.uploaded_by_id,
    )


async def case_documents(session: AsyncSession, case_id: int) -> Sequence[CaseDocument]:
    """Every version of every document of the case, oldest first."""
    return (
        await session.execute(
            select(CaseDocument).where(CaseDocument.case_id == case_id)
            .order_by(CaseDocument.lineage_id, CaseDocument.version, CaseDocument.id)
        )
    ).scalars().all()


def latest_versions(documents: Iterable[CaseDocument]) -> list[CaseDocument]:
    """The newest version of each lineage, in the order the lineages began."""
    newest: dict[int, CaseDocument] = {}
    for document in documents:
        key = document.lineage_id or document.id
        if key not in newest or document.version > newest[key].version:
            newest[key] = document
    return sorted(newest.values(), key=lambda d: (d.lineage_id or d.id))


async def get_document(session: AsyncSession, case_id: int, document_id: int) -> CaseDocument:
    """A document of this case, or 404 (a document of another case is "no such document")."""
    document = await session.get(CaseDocument, document_id)
    if document is None or document.case_id != case_id:
        raise NotFound("no such document in this case", code="document_not_found")
    return document
