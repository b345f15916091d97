"""Browser fixtures: Debian's Chromium, driven by Playwright, against ``sitrep serve --demo``.

Playwright cannot download its own browser here, so it launches the system ``chromium``
(``apt-get install chromium``); without it these tests skip, and fail under ``CI=true``.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.conftest import empty_tables, unavailable
from tests.servers import running_server

# Chromium's own calls home are refused on a closed network; these flags keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, for one test module at a time: while Playwright's sync API is open it keeps
    an event loop running, and code under test that calls ``asyncio.run`` would fail."""
    chromium = shutil.which("chromium")
    if chromium is None:
        unavailable("browser tests skipped: no chromium on PATH (apt-get install chromium)")
        raise AssertionError("unreachable")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(database_url: str) -> Iterator[str]:
    """A real server with the demo events, on each database."""
    empty_tables(database_url)
    with running_server("--demo", SITREP_DATABASE_URL=database_url) as base:
        yield base
    empty_tables(database_url)


class PageLog:
    """What the page said and asked for while a test drove it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", page_log.console)
    page.on("pageerror", lambda error: page_log.errors.append(f"pageerror: {error}"))
    page.on("request", lambda request: page_log.requests.append(request.url))
    yield page
    context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where screenshots go (kept by CI as test artifacts)."""
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder
