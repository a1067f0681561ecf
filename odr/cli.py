"""The ``odr`` command: serve, worker, db upgrade, seed-demo, create-user, audit verify, calendar load."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from odr.settings import Settings

console = Console()
app = typer.Typer(help="odr — online dispute resolution and video mediation", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    settings = Settings()
    settings.ensure_dirs()
    return settings


def _mount_audit() -> None:
    from odr.audit.cli import audit_app

    app.add_typer(audit_app, name="audit", help="Audit chain: verify and anchor")


def _mount_calendar() -> None:
    from odr.calendar.cli import calendar_app

    app.add_typer(calendar_app, name="calendar")


def _mount_agreements() -> None:
    from agreements.verification.cli import agreements_app

    app.add_typer(agreements_app, name="agreements")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
) -> None:
    """Run the web app, socket.io, a Celery worker and beat: the whole platform."""
    from odr.logs import configure_logging
    from odr.tasks.runner import serve as run_serve

    settings = _settings()
    configure_logging(settings.log_level)
    settings.check()
    console.print(f"[bold green]odr[/] serving on http://{host}:{port}  "
                  f"(database: {'SQLite' if settings.is_sqlite else 'PostgreSQL'}, "
                  f"broker: {'Redis' if settings.redis_url else 'embedded'})")
    sys.exit(run_serve(settings, host, port))


@app.command()
def worker() -> None:
    """Run a Celery worker (outbox drain, notifications, documents)."""
    from odr.logs import configure_logging
    from odr.tasks.runner import run_worker

    settings = _settings()
    configure_logging(settings.log_level)
    sys.exit(run_worker(settings))


@app.command()
def beat() -> None:
    """Run Celery beat (periodic work: outbox catch-up, audit anchoring, deadlines)."""
    from odr.logs import configure_logging
    from odr.tasks.runner import run_beat

    settings = _settings()
    configure_logging(settings.log_level)
    sys.exit(run_beat(settings))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema."""
    from odr.db.migrations import upgrade

    settings = _settings()
    with console.status("Migrating database…"):
        upgrade(settings.resolved_database_url, revision)
    console.print(f"[green]✓[/] database at {revision}: {_redacted(settings.resolved_database_url)}")


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@app.command("seed-demo")
def seed_demo() -> None:
    """Seed courts, the nine designated institutions and demo users for every role."""
    from odr.demo import DEMO_PASSWORD, DEMO_USERS
    from odr.demo import seed_demo as run_seed
    from odr.services import Services

    async def go() -> int:
        services = Services.build(_settings())
        try:
            return len(await run_seed(services))
        finally:
            await services.close()

    with console.status("Seeding demo data…"):
        created = asyncio.run(go())
    from agreements.pki.ca import ensure_dev_pki

    settings = _settings()
    pki = ensure_dev_pki(settings)  # issue 7: development CA, TSA, a signer per court/institution
    console.print(f"[green]✓[/] development PKI in {settings.pki_dir} ({len(pki)} new keys)"
                  if settings.agreement_signing_dir is None else
                  f"[green]✓[/] production signing keys in {settings.agreement_signing_dir}")
    table = Table(title=f"Demo accounts ({created} new) — password for all: {DEMO_PASSWORD}")
    for col in ("username", "role", "name", "organisation"):
        table.add_column(col)
    for demo in DEMO_USERS:
        table.add_row(demo.username, demo.role, demo.real_name,
                      demo.institution_code or demo.court_code or "")
    console.print(table)


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(prompt=True)],
    real_name: Annotated[str, typer.Option(prompt=True)],
    role: Annotated[str, typer.Option(prompt=True, help="party|agent|mediator|institution_admin|judge|clerk|admin")],
    mobile: Annotated[str, typer.Option(prompt=True)],
    id_doc_type: Annotated[str, typer.Option(help="resident_id|lawyer_licence|uscc|passport")] = "resident_id",
    id_doc_number: Annotated[str, typer.Option(prompt=True)] = "",
    institution: Annotated[str, typer.Option(help="institution code for mediators/admins")] = "",
    court: Annotated[str, typer.Option(help="court code for judges/clerks")] = "",
    password: Annotated[str, typer.Option(help="password; prompted when omitted")] = "",
) -> None:
    """Create a user (administrators, mediators, judges are created this way or by admins)."""
    from odr.accounts.admin import AccountInput, create_account
    from odr.errors import OdrError
    from odr.services import Services

    if not password:
        password = getpass.getpass("Password: ")
    try:
        data = AccountInput.model_validate({
            "username": username, "real_name": real_name, "role": role, "mobile": mobile,
            "id_doc_type": id_doc_type, "id_doc_number": id_doc_number,
            "institution_code": institution or None, "court_code": court or None,
            "password": password,
        })
    except ValueError as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from exc

    async def go() -> int:
        services = Services.build(_settings())
        try:
            return await create_account(services, data, actor_label="odr create-user")
        finally:
            await services.close()

    try:
        user_id = asyncio.run(go())
    except OdrError as exc:
        console.print(f"[red]✗[/] {exc.message}" + (f": {exc.details}" if exc.details else ""))
        raise typer.Exit(2) from exc
    console.print(f"[green]✓[/] user {username} created (id {user_id}, role {role})")


@app.command()
def media(
    register: Annotated[bool, typer.Option(
        "--register", help="register this node (ODR_MEDIA_NODE_ID) with a fresh credential first: "
        "the embedded default `odr serve` uses")] = False,
) -> None:
    """Run one media node (one per core): joins signaling and forwards rooms' media."""
    import asyncio

    from odr.logs import configure_logging
    from odr.media_node import register_local_node, run_media_node

    settings = _settings()
    configure_logging(settings.log_level)
    if register:
        settings = asyncio.run(register_local_node(settings))
    if not settings.media_node_credential.get_secret_value():
        console.print("[red]✗[/] ODR_MEDIA_NODE_CREDENTIAL is not set: register the node with "
                      "`odr media-node add NAME` and export the credential it prints")
        raise typer.Exit(2)
    asyncio.run(run_media_node(settings))


@app.command("room-schema")
def room_schema(
    check: bool = typer.Option(False, "--check", help="fail if the committed file is stale"),
) -> None:
    """Write the room protocol's JSON Schema (signaling/schema/room-v1.json)."""
    from signaling.protocol import SCHEMA_PATH, schema_text

    text = schema_text()
    if check:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
            console.print(f"[red]✗[/] {SCHEMA_PATH} is stale: run `odr room-schema`")
            raise typer.Exit(1)
        console.print(f"[green]✓[/] {SCHEMA_PATH} is current")
        return
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(text)
    console.print(f"[green]✓[/] wrote {SCHEMA_PATH}")


media_node_app = typer.Typer(help="Media nodes (the media service processes)", no_args_is_help=True)
app.add_typer(media_node_app, name="media-node")


@media_node_app.command("add")
def media_node_add(name: Annotated[str, typer.Argument(help="the node's name, e.g. media-1")]) -> None:
    """Register a media node (or give it a new credential) and print its credential once."""
    from odr.services import Services
    from signaling.nodes import register_node

    async def go() -> str:
        services = Services.build(_settings())
        try:
            return await register_node(services, name)
        except ValueError as exc:
            console.print(f"[red]✗[/] {exc}")
            raise typer.Exit(2) from exc
        finally:
            await services.close()

    credential = asyncio.run(go())
    console.print(f"[green]✓[/] media node {name} registered; its credential (shown once):")
    print(credential)


def main() -> None:
    _mount_audit()
    _mount_calendar()
    _mount_agreements()
    app()


if __name__ == "__main__":
    main()
