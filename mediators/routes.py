"""The public roster (L4) and every route of the mediators part (``routes``, for ``odr.app``).

- ``GET /api/v1/roster?category=&institution_id=``: institutions (kind, categories,
  district, fees, inviting court) with their mediators' public profiles;
- ``GET /api/v1/roster/mediators/{id}``: one mediator's public profile.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediators import admin_routes, case_routes
from mediators.roster import public_profile, roster
from mediators.schemas import PublicMediatorOut, RosterOut, RosterQuery
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission


@endpoint(permission=Permission.PUBLIC_READ, query=RosterQuery, resp=RosterOut, tags=("roster",))
async def get_roster(request: Request, actor: Actor, query: RosterQuery) -> Response:
    """The published roster (L4): who mediates what, where, whether it charges, invited by whom."""
    async with services_of(request).db.reader() as uow:
        items = await roster(uow.session, category=query.category, institution_id=query.institution_id)
    return ok(RosterOut.model_validate({"institutions": items}))


@endpoint(permission=Permission.PUBLIC_READ, resp=PublicMediatorOut, tags=("roster",))
async def get_roster_mediator(request: Request, actor: Actor) -> Response:
    async with services_of(request).db.reader() as uow:
        found = await public_profile(uow.session, int(request.path_params["mediator_id"]))
    if found is None:
        raise NotFound("no such mediator on the roster")
    return ok(PublicMediatorOut.model_validate(found))


routes = [
    Route("/api/v1/roster", get_roster, methods=["GET"]),
    Route("/api/v1/roster/mediators/{mediator_id:int}", get_roster_mediator, methods=["GET"]),
    *admin_routes.routes,
    *case_routes.routes,
]
