"""End-to-end fixtures: the real app in a uvicorn subprocess, Debian's Chromium through Playwright.

The app runs as it does in production (``uvicorn --factory odr.app:asgi``,
settings from ``ODR_*`` variables) on a free loopback port, with a fresh
migrated SQLite database, the seeded courts and institutions, and the built
frontend (``frontend/dist``; ``bash frontend/build.sh`` builds it). The test
process opens the same database through ``Services`` to make rows and read
one-time codes from the outbox.

Chromium is Debian's ``/usr/bin/chromium``; Playwright never downloads a browser.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from odr.clock import SystemClock
from odr.db import migrations
from odr.orgs.seed import seed_orgs
from odr.services import Services
from odr.settings import Settings
from tests.support.servers import free_port, stop_process

ROOT = Path(__file__).resolve().parents[2]
FRONTEND_DIST = ROOT / "frontend" / "dist"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT_S = 60


@dataclass
class LiveApp:
    base_url: str
    settings: Settings
    services: Services
    log_path: Path


@dataclass
class BrowserPage:
    """A page plus what went wrong in it: uncaught exceptions and console errors."""

    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    if not (FRONTEND_DIST / "index.html").is_file():
        pytest.fail(
            f"{FRONTEND_DIST}/index.html is missing: build the frontend first with "
            "`bash frontend/build.sh` (tests/run_all.sh does this)",
            pytrace=False,
        )
    return FRONTEND_DIST


def _wait_until_healthy(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            # /healthz also reports the (absent) Celery workers; a public API route says "serving".
            if httpx.get(f"{base_url}/api/v1/courts", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app did not answer in {START_TIMEOUT_S}s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
async def live_app(
    tmp_path_factory: pytest.TempPathFactory, frontend_dist: Path
) -> AsyncIterator[LiveApp]:
    """The whole app in a subprocess, on a fresh migrated SQLite database with seeded orgs."""
    var_dir = tmp_path_factory.mktemp("e2e-var")
    db_url = f"sqlite+aiosqlite:///{var_dir / 'odr.sqlite3'}"
    await asyncio.to_thread(migrations.upgrade, db_url)  # Alembic runs its own event loop
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        var_dir=var_dir,
        database_url=db_url,
        frontend_dist=frontend_dist,
    )
    services = Services.build(settings, SystemClock())
    async with services.db.uow() as uow:
        await seed_orgs(uow, services.clock)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ODR_ENVIRONMENT": "test",
        "ODR_VAR_DIR": str(var_dir),
        "ODR_DATABASE_URL": db_url,
        "ODR_FRONTEND_DIST": str(frontend_dist),
        "ODR_PUBLIC_BASE_URL": base_url,
    }
    log_path = var_dir / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "odr.app:asgi",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=var_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(proc, base_url, log_path)
        yield LiveApp(base_url=base_url, settings=settings, services=services, log_path=log_path)
    finally:
        stop_process(proc, timeout=15)
        await services.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


def _is_expected_console_error(message: ConsoleMessage) -> bool:
    # Chromium logs every 4xx answer to fetch as "Failed to load resource"; the
    # page handles them (401 from /auth/me means "signed out", 401/422 show an error).
    return message.text.startswith("Failed to load resource: the server responded with a status of 4")


@pytest.fixture
async def web(browser: Browser, live_app: LiveApp) -> AsyncIterator[BrowserPage]:
    """A fresh browser context (no cookies, no stored language) on the live app."""
    context = await browser.new_context(
        base_url=live_app.base_url, viewport={"width": 1366, "height": 900}, locale="zh-CN",
        timezone_id="Europe/London",  # not Shanghai: the page must convert times itself
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    holder = BrowserPage(page=page)
    page.on("pageerror", lambda exc: holder.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: holder.errors.append(f"console.{msg.type}: {msg.text}")
        if msg.type == "error" and not _is_expected_console_error(msg) else None,
    )
    try:
        yield holder
    finally:
        await context.close()
    assert holder.errors == [], "the page logged errors:\n" + "\n".join(holder.errors)


@pytest.fixture(scope="session")
def screenshots() -> Iterator[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield SCREENSHOTS
    print(f"\ne2e screenshots in {SCREENSHOTS}")


@asynccontextmanager
async def person(browser: Browser, live_app: LiveApp) -> AsyncIterator[Page]:
    """One person's browser context; fails the test if the page logged an error."""
    context = await browser.new_context(
        base_url=live_app.base_url, viewport={"width": 1366, "height": 900}, locale="zh-CN",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    holder = BrowserPage(page=page)
    page.on("pageerror", lambda exc: holder.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: holder.errors.append(f"console.{msg.type}: {msg.text}")
        if msg.type == "error" and not _is_expected_console_error(msg) else None,
    )
    try:
        yield page
    finally:
        await context.close()
    assert holder.errors == [], "the page logged errors:\n" + "\n".join(holder.errors)
