"""Every main page is free of serious and critical accessibility faults as axe-core finds them, in a real
Chromium with the application's own Content Security Policy in force."""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.main_pages import ROLES, Record, log_in_as, open_page, seed_record

pytestmark = pytest.mark.browser
# Installed by `make test` from tests/browser/package-lock.json (npm ci).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@pytest.fixture
def record(engine, world, protocols, make_patient, enrol) -> Record:  # type: ignore[no-untyped-def]
    return seed_record(engine, world, protocols, make_patient, enrol)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's findings on the page as it stands. The library goes in through the DevTools protocol:
    a script tag would be refused by the page's CSP, which stays in force."""
    assert AXE.exists(), "axe-core is missing: `make test` installs it (npm ci in tests/browser)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_have_no_serious_accessibility_fault(page: Page, world, record: Record, role: str) -> None:
    log_in_as(page, world, role)
    faults = {}
    for path in record.pages(role):
        open_page(page, path)
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        if blocking:
            faults[path] = blocking
    assert faults == {}, f"axe-core found serious or critical faults: {faults}"
