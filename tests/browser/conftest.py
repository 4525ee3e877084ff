"""A real server on loopback and a real headless Chromium (Debian's package) driven by Playwright."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.servers import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(app) as base:
        yield base


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium package is required: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@contextmanager
def watched_page(chromium: Browser, live_server: str, expected: str | None = None) -> Iterator[Page]:
    """A desktop-sized French page whose console errors fail the test, except those that contain
    ``expected`` (a refused form's 422, say)."""
    context = chromium.new_context(
        base_url=live_server, locale="fr-FR", viewport={"width": 1200, "height": 800}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    unexpected = [error for error in errors if expected is None or expected not in error]
    assert unexpected == [], f"the browser console reported errors: {unexpected}"


@pytest.fixture
def page(chromium: Browser, live_server: str) -> Iterator[Page]:
    with watched_page(chromium, live_server) as page:
        yield page


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
