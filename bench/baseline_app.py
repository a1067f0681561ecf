"""The floor the real case list is compared against: bare Starlette and raw asyncpg.

One route, ``GET /api/v1/cases``, that takes the same session cookie and runs
the SQL the real app runs for that request (session, user and memberships by
token hash in one query, then count and page under the policy's scope, then each listed case's nearest
open deadline), then
answers the same JSON byte for byte. When the app's SQL changes, change this. No middleware, no ORM, no validation models. The pool has
the same bounds as the app's SQLAlchemy pool (10 kept, 10 more under load).

Served by ``bench/api.py`` as ``uvicorn bench.baseline_app:app`` with
``BENCH_PG_DSN=postgresql://...`` in the environment.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

POOL_MIN = 10  # SQLAlchemy pool_size
POOL_MAX = 20  # pool_size + max_overflow
TOUCH_EVERY = timedelta(minutes=5)

SESSION_SQL = """\
SELECT login_sessions.id, login_sessions.csrf_token, login_sessions.expires_at,
 login_sessions.last_seen_at, login_sessions.revoked_at, users.id AS user_id, users.role,
 users.identity_level, users.is_active, memberships.institution_id, memberships.court_id
FROM login_sessions JOIN users ON users.id = login_sessions.user_id
 LEFT OUTER JOIN memberships ON memberships.user_id = users.id
WHERE login_sessions.token_hash = $1::VARCHAR"""

TOUCH_SQL = "UPDATE login_sessions SET last_seen_at=$1 WHERE login_sessions.id = $2::INTEGER"

NEXT_DEADLINES_SQL = """\
SELECT deadlines.case_id, deadlines.kind, deadlines.rule, deadlines.due_at, deadlines.last_day,
 deadlines.provisional FROM deadlines
WHERE deadlines.case_id = ANY($1::INTEGER[]) AND deadlines.status = 'open'
 AND (deadlines.subject_type IS NULL OR deadlines.subject_type != 'thread')
ORDER BY deadlines.case_id, deadlines.due_at, deadlines.id"""

CASE_COLUMNS = (
    "id", "number", "title", "category", "channel", "status", "claim_amount_fen",
    "institution_id", "court_id", "created_at", "updated_at",
)


def _scope(user_id: int, role: str, identity_level: str, institutions: list[int],
           courts: list[int]) -> tuple[str, list[Any]]:
    """The SQL form of the policy's case-read rule (odr.cases.queries.visible_case_scope)."""
    parts: list[str] = []
    args: list[Any] = []
    if identity_level != "none":
        args.append(user_id)
        args.append(datetime.now(UTC))
        parts.append(f"cases.id IN (SELECT case_participants.case_id FROM case_participants "
                     f"WHERE case_participants.user_id = ${len(args) - 1}::INTEGER "
                     f"AND (case_participants.ends_at IS NULL "
                     f"OR case_participants.ends_at > ${len(args)}))")
    if role == "institution_admin" and institutions:
        args.append(sorted(institutions))
        parts.append(f"cases.institution_id = ANY(${len(args)}::INTEGER[])")
    if role in ("judge", "clerk") and courts:
        args.append(sorted(courts))
        parts.append(f"cases.court_id = ANY(${len(args)}::INTEGER[])")
    return (" OR ".join(parts) if parts else "false"), args


def _iso(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _unauthenticated() -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "unauthenticated", "message": "sign in first", "details": None}},
        status_code=401,
    )


async def list_cases(request: Request) -> JSONResponse:
    token = request.cookies.get("odr_session")
    if not token:
        return _unauthenticated()
    try:
        limit = int(request.query_params.get("limit", "20"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        limit = offset = -1
    if not 1 <= limit <= 100 or offset < 0:
        return JSONResponse({"error": {"code": "validation_failed", "message": "the query is invalid",
                                       "details": None}}, status_code=422)
    now = datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as con:
        found = await con.fetch(SESSION_SQL, hashlib.sha256(token.encode()).hexdigest())
        row = found[0] if found else None  # one row per membership
        if (row is None or row["revoked_at"] is not None or row["expires_at"] <= now
                or not row["is_active"]):
            return _unauthenticated()
        if now - row["last_seen_at"] > TOUCH_EVERY:
            await con.execute(TOUCH_SQL, now, row["id"])
        where, args = _scope(
            row["user_id"], row["role"], row["identity_level"],
            [m["institution_id"] for m in found if m["institution_id"] is not None],
            [m["court_id"] for m in found if m["court_id"] is not None],
        )
        total = await con.fetchval(f"SELECT count(*) AS count_1 FROM cases WHERE {where}", *args)
        n = len(args)
        rows = await con.fetch(
            f"SELECT cases.id, cases.number, cases.title, cases.category, cases.channel, "
            f"cases.status, cases.claim_amount_fen, cases.institution_id, cases.court_id, "
            f"cases.created_at, cases.updated_at FROM cases WHERE {where} "
            f"ORDER BY cases.updated_at DESC, cases.id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
            *args, limit, offset,
        )
        nearest: dict[int, dict[str, Any]] = {}
        if rows:
            for d in await con.fetch(NEXT_DEADLINES_SQL, [r["id"] for r in rows]):
                nearest.setdefault(d["case_id"], {
                    "kind": d["kind"], "rule": d["rule"], "due_at": _iso(d["due_at"]),
                    "last_day": d["last_day"].isoformat(), "provisional": bool(d["provisional"]),
                })
    items = [
        {**{k: (_iso(r[k]) if isinstance(r[k], datetime) else r[k]) for k in CASE_COLUMNS},
         "next_deadline": nearest.get(r["id"])}
        for r in rows
    ]
    return JSONResponse({"items": items, "total": total})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_PG_DSN"], min_size=POOL_MIN, max_size=POOL_MAX
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(routes=[Route("/api/v1/cases", list_cases, methods=["GET"])], lifespan=lifespan)
