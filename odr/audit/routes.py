"""Read the audit log (platform administrators). Verification is ``odr audit verify``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.audit.models import AuditEntry
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission


class AuditQuery(StrictModel):
    before_seq: int | None = Field(default=None, ge=1, description="page backwards from here")
    action: str | None = Field(default=None, max_length=100)
    subject_type: str | None = Field(default=None, max_length=64)
    subject_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=500)


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]


@endpoint(permission=Permission.AUDIT_READ, query=AuditQuery, resp=AuditPage, tags=("admin",))
async def list_audit(request: Request, actor: Actor, query: AuditQuery) -> Response:
    """Audit entries, newest first."""
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(query.limit)
    if query.before_seq:
        stmt = stmt.where(AuditEntry.seq < query.before_seq)
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if query.subject_type:
        stmt = stmt.where(AuditEntry.subject_type == query.subject_type)
    if query.subject_id:
        stmt = stmt.where(AuditEntry.subject_id == query.subject_id)
    async with services_of(request).db.reader() as uow:
        rows = (await uow.session.execute(stmt)).scalars().all()
        items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return ok(AuditPage(items=items))


routes = [Route("/api/v1/admin/audit", list_audit, methods=["GET"])]
