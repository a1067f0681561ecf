"""Loading a thread for one reader: 404 unless the policy lets them read it (L11)."""

from __future__ import annotations

from starlette.requests import Request

from odr.cases.messages.audience import thread_view
from odr.cases.messages.models import MessageThread
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import load_case_for_update
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import services_of
from odr.policy import Actor, Permission, ThreadView, authorize, decide

NO_THREAD = "no such thread"


async def readable_thread(
    uow: UnitOfWork, request: Request, actor: Actor, permission: Permission, *, lock: bool
) -> tuple[Case, MessageThread, ThreadView]:
    """The thread, its case and view; 404 for a thread the caller may not read (L11: not even
    whether it exists)."""
    services = services_of(request)
    thread = await uow.session.get(MessageThread, request.path_params["thread_id"])
    if thread is None:
        raise NotFound(NO_THREAD)
    if lock:
        case = await load_case_for_update(uow, thread.case_id)
        await uow.session.refresh(thread)  # read again under the case lock
    else:
        found = await uow.session.get(Case, thread.case_id)
        if found is None:
            raise NotFound(NO_THREAD)
        case = found
    now = services.clock.now()
    tview = await thread_view(uow.session, await case_view(uow.session, case, now), thread, now)
    if not decide(actor, permission, tview):
        raise NotFound(NO_THREAD)
    authorize(actor, permission, tview)
    return case, thread, tview
