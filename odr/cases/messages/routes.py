"""Routes: message threads and complaints of a case (issue 3, point 7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.cases.messages.access import readable_thread
from odr.cases.messages.schemas import MessageCreate, ThreadCreate, ThreadDetail, ThreadList
from odr.cases.messages.service import add_message, open_thread
from odr.cases.messages.uploads import routes as upload_routes
from odr.cases.messages.views import thread_detail, visible_threads
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import load_case_for_update
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize


@endpoint(permission=Permission.THREAD_LIST, resp=ThreadList, tags=("messages",))
async def list_threads(request: Request, actor: Actor) -> Response:
    """The case's threads the caller may read: their side's own, or those addressed to them."""
    services = services_of(request)
    now = services.clock.now()
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, request.path_params["case_id"])
        if case is None:
            raise NotFound("no such case")
        view = await case_view(uow.session, case, now)
        authorize(actor, Permission.THREAD_LIST, view)
        items = await visible_threads(uow.session, view, actor, now)
    return ok(ThreadList(items=items))


@endpoint(permission=Permission.THREAD_CREATE, json=ThreadCreate, resp=ThreadDetail, status=201,
          tags=("messages",))
async def create_thread(request: Request, actor: Actor, json: ThreadCreate) -> Response:
    """A party (or its agent) writes to the mediator, judge, institution or court, or complains;
    the case's mediator, institution admin, judge or clerk writes to a party (`party_id`).

    Only the author's side (the party written to's side, for staff) and the addressed staff can read it — never the other
    side (L11). A reply deadline starts (messages 2, complaints 5 working days by
    default); a repeated complaint on the same matter is flagged for supervision.
    """
    services = services_of(request)
    now = services.clock.now()
    async with services.db.uow() as uow:
        case = await load_case_for_update(uow, request.path_params["case_id"])
        view = await case_view(uow.session, case, now)
        authorize(actor, Permission.THREAD_CREATE, view)
        thread = await open_thread(uow, services, case, view, actor, json)
        detail = await thread_detail(uow.session, thread, view, actor)
    return ok(detail, 201)


@endpoint(permission=Permission.THREAD_READ, resp=ThreadDetail, tags=("messages",))
async def get_thread(request: Request, actor: Actor) -> Response:
    services = services_of(request)
    async with services.db.reader() as uow:
        _case, thread, tview = await readable_thread(uow, request, actor, Permission.THREAD_READ,
                                               lock=False)
        detail = await thread_detail(uow.session, thread, tview.case, actor)
    return ok(detail)


@endpoint(permission=Permission.THREAD_REPLY, json=MessageCreate, resp=ThreadDetail, status=201,
          tags=("messages",))
async def post_message(request: Request, actor: Actor, json: MessageCreate) -> Response:
    """Add a message: staff answering closes the reply deadline; the side writing again restarts it."""
    services = services_of(request)
    async with services.db.uow() as uow:
        case, thread, tview = await readable_thread(uow, request, actor, Permission.THREAD_REPLY,
                                              lock=True)
        await add_message(uow, services, case, tview, thread, actor, json)
        detail = await thread_detail(uow.session, thread, tview.case, actor)
    return ok(detail, 201)


routes = [
    Route("/api/v1/cases/{case_id:int}/threads", list_threads, methods=["GET"]),
    Route("/api/v1/cases/{case_id:int}/threads", create_thread, methods=["POST"]),
    Route("/api/v1/threads/{thread_id:int}", get_thread, methods=["GET"]),
    Route("/api/v1/threads/{thread_id:int}/messages", post_message, methods=["POST"]),
    *upload_routes,
]
