"""The transfer package a failed mediation sends to the court: one per case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class TransferPackage(Base):
    """The summary PDF and the ZIP of materials, both stored as ``CaseDocument`` rows.

    ``included_document_ids`` lists the documents in the ZIP; ``excluded_count``
    how many were left out as confidential or mediator-only (L11).
    """

    __tablename__ = "transfer_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    pdf_document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))
    zip_document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))
    included_document_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    excluded_count: Mapped[int] = mapped_column(default=0)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime]
