"""Public lists of courts and institutions (the roster page grows in issue 4)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.http.api import endpoint, ok, services_of
from odr.orgs.models import Court, Institution
from odr.policy import Actor, Permission


class CourtOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    district: str


class InstitutionOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    categories: list[str]
    district: str
    charges_fees: bool
    inviting_court_id: int | None


class CourtList(BaseModel):
    items: list[CourtOut]


class InstitutionList(BaseModel):
    items: list[InstitutionOut]


@endpoint(permission=Permission.PUBLIC_READ, resp=CourtList, tags=("organisations",))
async def list_courts(request: Request, actor: Actor) -> Response:
    """Courts on the platform."""
    async with services_of(request).db.reader() as uow:
        rows = (await uow.session.execute(select(Court).order_by(Court.id))).scalars().all()
        items = [CourtOut.model_validate(r, from_attributes=True) for r in rows]
    return ok(CourtList(items=items))


@endpoint(permission=Permission.PUBLIC_READ, resp=InstitutionList, tags=("organisations",))
async def list_institutions(request: Request, actor: Actor) -> Response:
    """The designated mediation institutions (L4 roster basics)."""
    async with services_of(request).db.reader() as uow:
        rows = (
            await uow.session.execute(
                select(Institution).where(Institution.active.is_(True)).order_by(Institution.id)
            )
        ).scalars().all()
        items = [InstitutionOut.model_validate(r, from_attributes=True) for r in rows]
    return ok(InstitutionList(items=items))


routes = [
    Route("/api/v1/courts", list_courts, methods=["GET"]),
    Route("/api/v1/institutions", list_institutions, methods=["GET"]),
]
