"""Published PKI: the platform root certificate, and the local timestamp authority.

``GET /api/v1/pki/root.pem`` is what a relying party installs to check our
signatures offline. ``POST /api/v1/tsa`` answers RFC 3161 requests with the
local development authority (the one signing uses when no
``agreement_tsa_url`` is configured), so the HTTP path can be exercised.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.pki.signers import root_certificate_pem
from agreements.pki.tsa import TIMESTAMP_QUERY, TIMESTAMP_REPLY, respond
from odr.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from odr.http.api import endpoint, services_of
from odr.policy import Actor, Permission

MAX_TSA_REQUEST_BYTES = 16 * 1024  # a TimeStampReq is a few hundred bytes


@endpoint(permission=Permission.PKI_READ, tags=("pki",))
async def root_pem(request: Request, actor: Actor) -> Response:
    """The platform's root certificate (PEM); every signed PDF chains to it."""
    pem = await asyncio.to_thread(root_certificate_pem, services_of(request).settings)
    return Response(pem, media_type="application/x-pem-file",
                    headers={"Content-Disposition": 'inline; filename="odr-root.pem"',
                             "Cache-Control": "public, max-age=3600"})


@endpoint(permission=Permission.PKI_READ, tags=("pki",))
async def timestamp(request: Request, actor: Actor) -> Response:
    """RFC 3161 over HTTP: ``application/timestamp-query`` in, ``application/timestamp-reply`` out."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != TIMESTAMP_QUERY:
        raise UnsupportedMediaType(f"send a DER TimeStampReq as {TIMESTAMP_QUERY}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TSA_REQUEST_BYTES:
            raise PayloadTooLarge("a timestamp request is at most 16 KB")
    services = services_of(request)
    try:
        reply = await asyncio.to_thread(respond, services.settings, services.clock.now(), body)
    except ValueError as exc:
        raise BadRequest(str(exc), code="bad_timestamp_request") from exc
    return Response(reply, media_type=TIMESTAMP_REPLY)


routes = [
    Route("/api/v1/pki/root.pem", root_pem, methods=["GET"]),
    Route("/api/v1/tsa", timestamp, methods=["POST"]),
]
