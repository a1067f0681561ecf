"""ICE servers for one participant: STUN, and TURN with time-limited REST credentials.

coturn's ``use-auth-secret`` scheme (the "TURN REST API" draft): the username
is ``"<expiry unix time>:<user key>"`` and the password is
``base64(HMAC-SHA1(secret, username))``. coturn shares the secret
(``static-auth-secret``), recomputes the password and refuses a username whose
expiry has passed, on every request (allocation, refresh, permission), so a
credential must outlive the meeting it is used in.

The secret comes from ``ODR_TURN_SECRET``; without it (the embedded default) one
is generated once and kept in ``var_dir/turn-secret``, which the web processes
and the coturn started by ``odr serve`` read alike.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from odr.clock import Clock
from odr.settings import Settings

SECRET_FILE = "turn-secret"
# coturn splits the username at its first ':'; keep user keys plain and short.
_USER_KEY = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: datetime


def turn_credential(secret: str, user_key: str, expires_at: datetime) -> TurnCredential:
    """The REST credential for ``user_key`` that coturn accepts until ``expires_at``."""
    if not _USER_KEY.fullmatch(user_key):
        raise ValueError(f"TURN user key must match {_USER_KEY.pattern}: {user_key!r}")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    username = f"{int(expires_at.timestamp())}:{user_key}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires_at)


def secret_path(settings: Settings) -> Path:
    return settings.var_dir / SECRET_FILE


def turn_secret(settings: Settings) -> str:
    """``ODR_TURN_SECRET``, or the generated one under ``var_dir`` (made on first use)."""
    configured = settings.turn_secret.get_secret_value()
    if configured:
        return configured
    path = secret_path(settings)
    with contextlib.suppress(FileNotFoundError):
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: a racing process reads a whole secret or none.
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it to generate a TURN secret again")
    return value


def credential_expiry(settings: Settings, clock: Clock) -> datetime:
    return clock.now() + timedelta(seconds=settings.turn_credential_ttl_seconds)


def ice_servers_for(settings: Settings, clock: Clock, user_key: str) -> list[dict[str, Any]]:
    """``RTCIceServer`` dicts (browser ``RTCPeerConnection`` or aiortc) for one participant.

    STUN URLs need no credential; all TURN URLs share one credential for
    ``user_key`` (a user id, or a guest's seat key), valid for
    ``turn_credential_ttl_seconds`` from the clock's now. An empty list means no
    ICE servers are configured (host candidates only).
    """
    return ice_servers(settings, user_key, credential_expiry(settings, clock))


def ice_servers(settings: Settings, user_key: str, expires_at: datetime) -> list[dict[str, Any]]:
    """``ice_servers_for`` with the credential's expiry given."""
    servers: list[dict[str, Any]] = []
    if settings.ice_stun_urls:
        servers.append({"urls": settings.ice_stun_urls})
    if settings.ice_turn_urls:
        cred = turn_credential(turn_secret(settings), user_key, expires_at)
        servers.append(
            {"urls": settings.ice_turn_urls, "username": cred.username, "credential": cred.credential}
        )
    return servers
