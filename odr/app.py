"""The composition root: build the ASGI app from services.

``create_app`` is the only place the parts are put together; ``asgi()`` is the
uvicorn factory that reads settings from the environment once.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path

import socketio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from agreements.confirmation import routes_court as confirmation_court_routes
from agreements.confirmation import routes_party as confirmation_party_routes
from agreements.drafting import routes as agreement_drafting_routes
from agreements.filing import routes as court_filing_routes
from agreements.performance import routes as performance_routes
from agreements.pki import routes as pki_routes
from agreements.signing import routes as agreement_signing_routes
from agreements.verification import routes as verification_routes
from mediators import routes as mediator_routes
from odr.accounts import admin_routes as account_admin_routes
from odr.accounts import routes as account_routes
from odr.audit import routes as audit_routes
from odr.cases import routes as case_routes
from odr.cases.deadlines import routes as deadline_routes
from odr.cases.documents import reading as document_reading_routes
from odr.cases.documents import routes as document_routes
from odr.cases.ending import routes as ending_routes
from odr.cases.intake import routes as intake_routes
from odr.cases.messages import routes as message_routes
from odr.cases.parties import routes as party_routes
from odr.cases.progress import routes as progress_routes
from odr.clock import Clock
from odr.eservice import routes as eservice_routes
from odr.http.api import api_spec
from odr.http.errors import EXCEPTION_HANDLERS, unexpected_error
from odr.http.health import healthz
from odr.http.middleware import AccessLogMiddleware, SecurityHeadersMiddleware
from odr.logs import configure_logging
from odr.meetings import routes as meeting_routes
from odr.meetings.recordings import routes as recording_routes
from odr.notify import routes as notify_routes
from odr.orgs import routes as org_routes
from odr.realtime import LiveDelivery, make_socketio_server
from odr.rtc import routes as rtc_routes
from odr.services import Services
from odr.settings import Settings
from odr.storage import routes as storage_routes
from odr.tasks.celery_app import make_celery
from odr.tasks.waker import install_waker
from signaling import server as signaling_server


def api_routes() -> list[BaseRoute]:
    """Every API route of every part. The policy test walks this list."""
    return [
        Route("/healthz", healthz, methods=["GET"]),
        *account_routes.routes,
        *account_admin_routes.routes,
        *audit_routes.routes,
        *org_routes.routes,
        *case_routes.routes,
        *document_routes.routes,
        *document_reading_routes.routes,
        *ending_routes.routes,
        *deadline_routes.routes,
        *intake_routes.routes,
        *party_routes.routes,
        *progress_routes.routes,
        *message_routes.routes,
        *eservice_routes.routes,
        *mediator_routes.routes,  # issue 4: roster (L4), mediators, assignment (L5-L7)
        *storage_routes.routes,
        *notify_routes.routes,
        *meeting_routes.routes,  # issue 5: meetings, guests, room tokens (L2, L9-L12, L29)
        *recording_routes.routes,  # issue 6: recordings, manifest, playback (L12, L32)
        *rtc_routes.routes,  # issue 6: ICE servers and TURN credentials
        *verification_routes.routes,  # issue 7: public PDF / code verification
        *pki_routes.routes,  # issue 7: the platform root certificate, the local TSA
        *agreement_drafting_routes.routes,  # issue 7: drafting, versions, oral (L15, L18, L19)
        *agreement_signing_routes.routes,  # issue 7: signing, seal, effect (L16)
        *confirmation_party_routes.routes,  # issue 7: jurisdiction, joint application (L20-L24, L27)
        *confirmation_court_routes.routes,  # issue 7: the court's side of confirmation (L23-L27)
        *court_filing_routes.routes,  # issue 7: court filings after the agreement (L37)
        *performance_routes.routes,  # issue 7: performance of the agreed terms
    ]


async def openapi_document(_request: Request) -> Response:
    return JSONResponse(api_spec.spec)


def _frontend_routes(dist: Path) -> list[BaseRoute]:
    if not (dist / "index.html").exists():
        return []

    async def spa(_request: Request) -> Response:
        return FileResponse(dist / "index.html")

    return [
        Mount("/assets", StaticFiles(directory=dist / "assets", check_dir=False), name="assets"),
        Route("/{path:path}", spa, methods=["GET"]),
    ]


def create_app(services: Services, *, own_services: bool = False) -> Starlette:
    """Build the HTTP app. With ``own_services`` the lifespan closes them at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Wake workers after commits; relay workers' live events to socket.io clients."""
        sio: socketio.AsyncServer = app.state.sio
        celery_app = make_celery(services.settings)
        waker = install_waker(celery_app)

        live = LiveDelivery(services, sio)  # the database relay; direct emits with Redis
        await live.start()
        # Start-up objects (modules, routes, compiled statements) live as long as
        # the process: keep them out of full collections, which stall requests.
        gc.freeze()
        try:
            yield
        finally:
            await live.stop()
            waker.close()
            celery_app.close()
            if own_services:
                await services.close()

    routes = [
        *api_routes(),
        Route("/openapi.json", openapi_document, methods=["GET"], include_in_schema=False),
        *_frontend_routes(services.settings.frontend_dist),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=services.settings.cookie_secure),
        ],
        exception_handlers={**EXCEPTION_HANDLERS, Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.sio = make_socketio_server(services)
    signaling_server.install(app.state.sio, services)  # the live room namespace /room (issue 5)
    api_spec.register(app)
    return app


def create_asgi(services: Services, *, own_services: bool = False) -> ASGIApp:
    """The HTTP app with socket.io mounted in the same ASGI app (path /socket.io)."""
    app = create_app(services, own_services=own_services)
    return socketio.ASGIApp(app.state.sio, other_asgi_app=app, socketio_path="socket.io")


def build(settings: Settings, clock: Clock | None = None) -> ASGIApp:
    settings.check()
    services = Services.build(settings, clock)
    return create_asgi(services, own_services=True)


def asgi() -> ASGIApp:
    """uvicorn --factory odr.app:asgi"""
    settings = Settings()
    configure_logging(settings.log_level)
    return build(settings)
