"""Server-side login sessions and the actor they resolve to.

The cookie carries a random token; the database keeps only its SHA-256, so a
leaked database cannot be replayed as cookies. Each session has its own CSRF
token, which unsafe requests authenticated by cookie must echo in a header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from odr.accounts.models import LoginSession, Membership, User
from odr.db.engine import read_with
from odr.db.uow import UnitOfWork
from odr.policy import Actor
from odr.services import Services

SESSION_COOKIE = "odr_session"
CSRF_COOKIE = "odr_csrf"
CSRF_HEADER = "x-csrf-token"
TOUCH_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    token: str
    csrf_token: str
    session_id: int


@dataclass(frozen=True)
class ResolvedSession:
    actor: Actor
    session_id: int
    csrf_token: str


async def open_session(
    uow: UnitOfWork, services: Services, user: User, *, address: str = "", user_agent: str = ""
) -> OpenedSession:
    now = services.clock.now()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    row = LoginSession(
        token_hash=hash_token(token),
        csrf_token=csrf,
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(hours=services.settings.session_ttl_hours),
        last_seen_at=now,
        reauthenticated_at=now,
        address=address[:64],
        user_agent=user_agent[:300],
    )
    uow.session.add(row)
    await uow.session.flush()
    return OpenedSession(token=token, csrf_token=csrf, session_id=row.id)


async def actor_for_user(uow: UnitOfWork, user: User) -> Actor:
    memberships = (
        await uow.session.execute(select(Membership).where(Membership.user_id == user.id))
    ).scalars()
    institutions: set[int] = set()
    courts: set[int] = set()
    for m in memberships:
        if m.institution_id is not None:
            institutions.add(m.institution_id)
        if m.court_id is not None:
            courts.add(m.court_id)
    return Actor(
        user_id=user.id,
        role=user.role,
        institution_ids=frozenset(institutions),
        court_ids=frozenset(courts),
        identity_level=user.identity_level,
    )


# Every authenticated request runs this: the session, its user and the user's
# memberships in one round trip, as plain rows on a Core connection (no ORM
# session, no objects; see odr.db.engine.read_with), built once.
_sessions, _users, _memberships = LoginSession.__table__, User.__table__, Membership.__table__
_RESOLVE = (
    select(
        _sessions.c.id, _sessions.c.csrf_token, _sessions.c.expires_at,
        _sessions.c.last_seen_at, _sessions.c.revoked_at, _users.c.id.label("user_id"),
        _users.c.role, _users.c.identity_level, _users.c.is_active,
        _memberships.c.institution_id, _memberships.c.court_id,
    )
    .select_from(
        _sessions.join(_users, _users.c.id == _sessions.c.user_id)
        .outerjoin(_memberships, _memberships.c.user_id == _users.c.id)
    )
    .where(_sessions.c.token_hash == bindparam("token_hash"))
)


async def resolve_session(services: Services, token: str) -> ResolvedSession | None:
    """The live session behind a cookie token, or None if unknown, expired or revoked."""
    now = services.clock.now()
    params = {"token_hash": hash_token(token)}
    rows = await read_with(services.db.engine, lambda conn: conn.execute(_RESOLVE, params).all())
    if not rows:
        return None
    login = rows[0]  # one row per membership (at least one): the session columns repeat
    if login.revoked_at is not None or login.expires_at <= now or not login.is_active:
        return None
    actor = Actor(
        user_id=login.user_id,
        role=login.role,
        institution_ids=frozenset(r.institution_id for r in rows if r.institution_id is not None),
        court_ids=frozenset(r.court_id for r in rows if r.court_id is not None),
        identity_level=login.identity_level,
    )
    if now - login.last_seen_at > TOUCH_EVERY:
        async with services.db.uow() as wuow:
            await wuow.session.execute(
                update(LoginSession).where(LoginSession.id == login.id).values(last_seen_at=now)
            )
    return ResolvedSession(actor=actor, session_id=login.id, csrf_token=login.csrf_token)


async def revoke_session(uow: UnitOfWork, services: Services, session_id: int) -> None:
    await uow.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=services.clock.now())
    )


async def revoke_all_sessions(uow: UnitOfWork, services: Services, user_id: int) -> None:
    await uow.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=services.clock.now())
    )


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")
