"""The documents API's bodies and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from odr.cases.models import CaseDocument, DocumentKind, DocumentVisibility
from odr.http.api import StrictModel


class UploadFields(StrictModel):
    """The form fields sent before the file."""

    title: str = Field(min_length=1, max_length=300)
    kind: DocumentKind | None = None  # required for a new document; a new version keeps its kind
    visibility: DocumentVisibility | None = None  # default: all (a new version keeps its own)
    replaces_id: int | None = None  # a new version of this document
    confidential: bool = False  # L11: kept out of anything sent to a court


class DocumentOut(BaseModel):
    id: int
    case_id: int
    lineage_id: int
    version: int
    kind: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    visibility: str
    side: str | None
    confidential: bool
    uploaded_by_id: int | None
    created_at: datetime
    content_url: str

    @classmethod
    def of(cls, doc: CaseDocument) -> DocumentOut:
        return cls(
            id=doc.id, case_id=doc.case_id, lineage_id=doc.lineage_id or doc.id,
            version=doc.version, kind=doc.kind, title=doc.title, filename=doc.filename,
            content_type=doc.content_type, size=doc.size, sha256=doc.blob_sha256,
            visibility=doc.visibility, side=doc.side, confidential=doc.confidential,
            uploaded_by_id=doc.uploaded_by_id, created_at=doc.created_at,
            content_url=f"/api/v1/cases/{doc.case_id}/documents/{doc.id}/content",
        )


class DocumentList(BaseModel):
    items: list[DocumentOut]
