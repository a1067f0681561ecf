"""In-app notifications: the signed-in user's own list and marking them read.

Only ``inapp`` messages are listed: an SMS or e-mail went elsewhere (and an
SMS may carry a one-time code that has no place on a shared screen). Another
user's notification answers 404, so its existence is not disclosed.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, func, select, update
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.errors import NotFound
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.notify.models import Notification
from odr.policy import Actor, Permission


class NotificationListQuery(StrictModel):
    unread_only: bool = False
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class NotificationOut(BaseModel):
    id: int
    template: str
    locale: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int


class MarkedRead(BaseModel):
    marked: int
    unread: int


def _own_inapp(actor: Actor) -> ColumnElement[bool]:
    return and_(
        Notification.user_id == actor.user_id,
        Notification.channel == "inapp",
        Notification.sent_at.is_not(None),
    )


def _unread(actor: Actor) -> ColumnElement[bool]:
    return and_(_own_inapp(actor), Notification.read_at.is_(None))


@endpoint(
    permission=Permission.SELF_NOTIFICATIONS,
    query=NotificationListQuery,
    resp=NotificationList,
    tags=("notifications",),
)
async def list_notifications(request: Request, actor: Actor, query: NotificationListQuery) -> Response:
    """My in-app notifications, newest first, with the number still unread."""
    scope = _unread(actor) if query.unread_only else _own_inapp(actor)
    async with services_of(request).db.reader() as uow:
        count = select(func.count()).select_from(Notification)
        total = (await uow.session.execute(count.where(scope))).scalar_one()
        unread = (await uow.session.execute(count.where(_unread(actor)))).scalar_one()
        rows = (
            await uow.session.execute(
                select(Notification)
                .where(scope)
                .order_by(Notification.created_at.desc(), Notification.id.desc())
                .limit(query.limit)
                .offset(query.offset)
            )
        ).scalars().all()
        items = [NotificationOut.model_validate(r, from_attributes=True) for r in rows]
    return ok(NotificationList(items=items, total=total, unread=unread))


@endpoint(permission=Permission.SELF_NOTIFICATIONS, resp=NotificationOut, tags=("notifications",))
async def mark_read(request: Request, actor: Actor) -> Response:
    """Mark one of my notifications read (again is harmless: the first time is kept)."""
    services = services_of(request)
    notification_id = request.path_params["notification_id"]
    async with services.db.uow() as uow:
        row = (
            await uow.session.execute(
                select(Notification).where(Notification.id == notification_id, _own_inapp(actor))
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("no such notification")
        if row.read_at is None:
            row.read_at = services.clock.now()
        out = NotificationOut.model_validate(row, from_attributes=True)
    return ok(out)


@endpoint(permission=Permission.SELF_NOTIFICATIONS, resp=MarkedRead, tags=("notifications",))
async def mark_all_read(request: Request, actor: Actor) -> Response:
    """Mark all my notifications read."""
    services = services_of(request)
    async with services.db.uow() as uow:
        result = await uow.session.execute(
            update(Notification).where(_unread(actor)).values(read_at=services.clock.now())
        )
    return ok(MarkedRead(marked=result.rowcount or 0, unread=0))  # type: ignore[attr-defined]


routes = [
    Route("/api/v1/notifications", list_notifications, methods=["GET"]),
    Route("/api/v1/notifications/read-all", mark_all_read, methods=["POST"]),
    Route("/api/v1/notifications/{notification_id:int}/read", mark_read, methods=["POST"]),
]
