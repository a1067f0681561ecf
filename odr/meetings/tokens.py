"""Room tokens: signed, expiring, bound to one seat (user, meeting, role), used once.

The HTTP API issues a token only to someone the policy allows; the signaling
server verifies it at connect and records its id (``jti``) so the same token
cannot be replayed. A dropped participant comes back with the seat's resume
key instead (``signaling``), not with the token again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from sqlalchemy.exc import IntegrityError

from odr.db.uow import UnitOfWork
from odr.meetings.models import RoomTokenUse
from odr.settings import Settings

_AUDIENCE = "odr-room"
_ALGORITHM = "HS256"


class RoomTokenError(Exception):
    """A token that is forged, expired, replayed or for another meeting."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RoomClaims:
    meeting_id: int
    seat_id: int
    user_id: int | None  # None for a guest
    role: str
    jti: str
    expires_at: datetime


def _key(settings: Settings) -> bytes:
    secret = settings.secret_key.get_secret_value()
    return hashlib.sha256(f"room-token:{secret}".encode()).digest()


def issue_room_token(
    settings: Settings, now: datetime, *, meeting_id: int, seat_id: int, user_id: int | None,
    role: str, ttl: timedelta | None = None,
) -> tuple[str, datetime]:
    """A token for one seat; returns it and its expiry."""
    lifetime = ttl or timedelta(seconds=settings.room_token_ttl_seconds)
    expires = now + lifetime
    claims = {
        "aud": _AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(16),
        "mid": meeting_id,
        "sid": seat_id,
        "uid": user_id,
        "role": role,
    }
    return jwt.encode(claims, _key(settings), algorithm=_ALGORITHM), expires


def verify_room_token(settings: Settings, now: datetime, token: str) -> RoomClaims:
    """Check signature, audience and expiry against the injected clock's ``now``."""
    try:
        claims = jwt.decode(
            token, _key(settings), algorithms=[_ALGORITHM], audience=_AUDIENCE,
            options={"verify_exp": False, "require": ["exp", "jti", "mid", "sid", "role"]},
        )
    except jwt.PyJWTError as exc:
        raise RoomTokenError("invalid_token", f"room token refused: {exc}") from exc
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if now >= expires:  # the clock is injected, so PyJWT's own wall-clock check is off
        raise RoomTokenError("expired_token", "room token expired: ask for a new one")
    return RoomClaims(
        meeting_id=int(claims["mid"]), seat_id=int(claims["sid"]),
        user_id=None if claims.get("uid") is None else int(claims["uid"]),
        role=str(claims["role"]), jti=str(claims["jti"]), expires_at=expires,
    )


async def spend_room_token(uow: UnitOfWork, now: datetime, claims: RoomClaims) -> None:
    """Record the token's use; a second use raises ``RoomTokenError('replayed_token')``."""
    uow.session.add(
        RoomTokenUse(jti=claims.jti, seat_id=claims.seat_id, used_at=now, expires_at=claims.expires_at)
    )
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise RoomTokenError("replayed_token", "this room token was already used") from exc
