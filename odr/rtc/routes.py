"""GET /api/v1/rtc/ice-servers: the signed-in user's ICE servers and TURN credential.

The browser passes ``ice_servers`` to ``new RTCPeerConnection({iceServers})``
as it is. The TURN credential is the caller's own (its username names the
user) and stops working at ``expires_at``; fetch a new list before a meeting
rather than keeping one. Answers are never cached.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission
from odr.rtc.ice import credential_expiry, ice_servers


class IceServerOut(BaseModel):
    urls: list[str]
    username: str | None = None  # TURN only
    credential: str | None = None  # TURN only


class IceServersOut(BaseModel):
    ice_servers: list[IceServerOut]
    expires_at: datetime  # the TURN credential is refused by the TURN server after this
    ttl_seconds: int


@endpoint(permission=Permission.RTC_ICE_SERVERS, resp=IceServersOut, tags=("rtc",))
async def get_ice_servers(request: Request, actor: Actor) -> Response:
    services = services_of(request)
    settings = services.settings
    expires_at = credential_expiry(settings, services.clock)
    out = IceServersOut(
        ice_servers=[IceServerOut(**s) for s in ice_servers(settings, str(actor.user_id), expires_at)],
        expires_at=expires_at,
        ttl_seconds=settings.turn_credential_ttl_seconds,
    )
    # STUN entries carry no username/credential keys at all (a browser reads null as "null").
    response = ok(out.model_dump(mode="json", exclude_none=True))
    response.headers["Cache-Control"] = "no-store"
    return response


routes = [
    Route("/api/v1/rtc/ice-servers", get_ice_servers, methods=["GET"]),
]
