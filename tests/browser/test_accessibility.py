"""Every main page is free of serious and critical accessibility faults as axe-core finds them, in a real
Chromium with the application's own Content Security Policy in force."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import watched_page
from tests.browser.main_pages import ROLES, Record, log_in_as, open_page, seed_record

pytestmark = pytest.mark.browser
# Installed by `make test` from tests/browser/package-lock.json (npm ci).
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@pytest.fixture
def form_page(chromium: Browser, live_server: str) -> Iterator[Page]:
    """A browser page for forms that are refused: the 422 answer is expected, any other console error
    is not."""
    with watched_page(chromium, live_server, expected="status of 422") as page:
        yield page


@pytest.fixture
def record(engine, world, protocols, make_patient, enrol) -> Record:  # type: ignore[no-untyped-def]
    return seed_record(engine, world, protocols, make_patient, enrol)


def axe_violations(page: Page, rules: list[str] | None = None) -> list[dict]:
    """axe-core's findings on the page as it stands (all its rules, or only those named). The library
    goes in through the DevTools protocol: a script tag would be refused by the page's CSP, which stays
    in force."""
    assert AXE.exists(), "axe-core is missing: `make test` installs it (npm ci in tests/browser)"
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    options = {"resultTypes": ["violations"], **({"runOnly": rules} if rules else {})}
    return page.evaluate(
        """async options => (await axe.run(document, options)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""",
        options,
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


@pytest.mark.parametrize("view", ["", "/print"], ids=["session", "printed-summary"])
def test_session_headings_follow_in_order(page: Page, world, record: Record, view: str) -> None:
    log_in_as(page, world, "nurse")
    open_page(page, f"/sessions/{record.session}{view}")
    levels = page.locator("main :is(h1, h2, h3, h4, h5, h6)").evaluate_all(
        "headings => headings.map(h => Number(h.tagName[1]))"
    )
    assert levels[0] == 1
    skips = [(before, after) for before, after in zip(levels, levels[1:], strict=False) if after > before + 1]
    assert skips == [], f"heading levels jump: {levels}"
    assert axe_violations(page, rules=["heading-order"]) == []


def test_every_column_of_the_tokens_table_has_a_header(page: Page, world) -> None:
    log_in_as(page, world, "admin")
    open_page(page, "/admin/tokens")
    page.get_by_label("Nom du logiciel client").fill("Entrepôt régional")
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.locator("#new-token")).to_be_visible()
    assert axe_violations(page, rules=["empty-table-header"]) == []
    expect(page.get_by_role("columnheader", name="Action")).to_have_count(1)


def test_a_refused_patient_form_opens_on_the_error_summary(form_page: Page, world) -> None:
    log_in_as(form_page, world, "nurse")
    open_page(form_page, "/patients/new")
    form_page.get_by_label("Prénoms").fill("Hélène")
    form_page.get_by_label("Sexe").select_option("female")
    form_page.get_by_role("button", name="Enregistrer").click()

    summary = form_page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Corrigez les champs signalés ci-dessous")
    links = summary.get_by_role("link")
    expect(links).to_have_text(["Nom de naissance : Obligatoire.", "Date de naissance : Obligatoire."])
    links.first.click()
    expect(form_page.get_by_label("Nom de naissance", exact=True)).to_be_focused()
    links.last.click()
    expect(form_page.get_by_label("Date de naissance")).to_be_focused()


def test_a_refused_session_links_to_the_implausible_measure(form_page: Page, world, record: Record) -> None:
    log_in_as(form_page, world, "nurse")
    open_page(form_page, f"/patients/{record.patient}/sessions/new")
    form_page.get_by_label("Durée (minutes)").fill("")
    form_page.get_by_label("Fréquence cardiaque", exact=True).fill("720")
    form_page.get_by_role("button", name="Enregistrer la séance").click()

    summary = form_page.locator(".error-summary")
    expect(summary).to_be_focused()
    heart_rate = summary.get_by_role("link", name="Fréquence cardiaque :")
    expect(heart_rate).to_have_count(1)
    expect(summary.get_by_role("link", name="Durée (minutes) :")).to_have_count(1)
    heart_rate.click()
    expect(form_page.get_by_label("Fréquence cardiaque", exact=True)).to_be_focused()
