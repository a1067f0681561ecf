"""Administrator API: create staff accounts, list accounts."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.accounts.admin import AccountInput, create_account
from odr.accounts.models import User
from odr.accounts.schemas import UserOut
from odr.accounts.service import user_out
from odr.http.api import StrictModel, endpoint, ok, services_of
from odr.policy import Actor, Permission


class UserListQuery(StrictModel):
    role: str | None = None
    q: str | None = Field(default=None, max_length=64, description="username or name contains")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class UserList(BaseModel):
    items: list[UserOut]
    total: int


@endpoint(permission=Permission.USER_CREATE, json=AccountInput, resp=UserOut, status=201,
          tags=("admin",))
async def create_user(request: Request, actor: Actor, json: AccountInput) -> Response:
    """Create an account of any role (staff with their institution or court)."""
    services = services_of(request)
    async with services.db.reader() as uow:
        me = await uow.session.get(User, actor.user_id)
        label = me.username if me else "admin"
    user_id = await create_account(services, json, actor_label=label, actor_id=actor.user_id)
    async with services.db.reader() as uow:
        user = await uow.session.get(User, user_id)
        assert user is not None
        out = await user_out(uow, user)
    return ok(out, status=201)


@endpoint(permission=Permission.USER_LIST, query=UserListQuery, resp=UserList, tags=("admin",))
async def list_users(request: Request, actor: Actor, query: UserListQuery) -> Response:
    """Accounts, newest first, filtered by role or a name fragment."""
    condition: ColumnElement[bool] = User.id.is_not(None)
    if query.role:
        condition = condition & (User.role == query.role)
    if query.q:
        pattern = f"%{query.q.lower()}%"
        condition = condition & (
            func.lower(User.username).like(pattern) | func.lower(User.real_name).like(pattern)
        )
    async with services_of(request).db.reader() as uow:
        total = (await uow.session.execute(select(func.count()).select_from(User).where(condition))).scalar_one()
        users = (
            await uow.session.execute(
                select(User).where(condition).order_by(User.id.desc())
                .limit(query.limit).offset(query.offset)
            )
        ).scalars().all()
        items = [await user_out(uow, u) for u in users]
    return ok(UserList(items=items, total=total))


routes = [
    Route("/api/v1/admin/users", create_user, methods=["POST"]),
    Route("/api/v1/admin/users", list_users, methods=["GET"]),
]
