"""On a phone (390 px wide) every main page fits the screen: the menu folds behind a button, action
buttons stack and tables read as cards; a tablet (820 px) and a desktop (1366 px) keep their layout."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.main_pages import ROLES, Record, log_in_as, open_page, seed_record

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def record(engine, world, protocols, make_patient, enrol) -> Record:  # type: ignore[no-untyped-def]
    return seed_record(engine, world, protocols, make_patient, enrol)


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def phone_without_script(chromium: Browser, live_server: str) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=live_server, locale="fr-FR", viewport=PHONE, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("role", ROLES)
def test_no_main_page_is_wider_than_a_phone(phone: Page, world, record: Record, role: str) -> None:
    log_in_as(phone, world, role)
    too_wide = {}
    for path in record.pages(role):
        open_page(phone, path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
            screenshot(phone, f"phone-{role}-{path.strip('/').replace('/', '-')}")
    assert too_wide == {}, f"pages wider than {PHONE['width']} px (px wide): {too_wide}"


def test_the_menu_folds_behind_a_button_on_a_phone(phone: Page, world) -> None:
    log_in_as(phone, world, "nurse")
    menu = phone.get_by_role("navigation", name="Menu principal")
    toggle = phone.get_by_role("button", name="Menu")
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(phone.get_by_role("button", name="Se déconnecter")).to_be_visible()
    menu.get_by_role("link", name="Patients", exact=True).click()
    expect(phone.get_by_role("heading", name="Patients")).to_be_visible()
    expect(menu).to_be_hidden()  # a new page starts folded

    toggle.click()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()


def test_without_javascript_the_phone_menu_stays_open(phone_without_script: Page, world) -> None:
    log_in_as(phone_without_script, world, "nurse")
    menu = phone_without_script.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Patients", exact=True)).to_be_visible()
    expect(phone_without_script.get_by_role("button", name="Menu")).to_have_count(0)
    assert phone_without_script.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [TABLET, DESKTOP], ids=["tablet", "desktop"])
def test_tablets_and_desktops_keep_the_full_menu_and_real_tables(
    page: Page, world, record: Record, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    log_in_as(page, world, "nurse")
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    row = page.locator("table.worklist tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "table-row"
    assert row.locator("td").first.evaluate("el => getComputedStyle(el, '::before').content") == "none"


def test_on_a_phone_table_rows_are_cards_labelled_by_their_column(phone: Page, world, record: Record) -> None:
    log_in_as(phone, world, "nurse")
    row = phone.locator("table.worklist tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    labels = row.locator("td").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"Patient"', '"Statut"', '"Pourquoi"', '"Parcours"']

    # Rows that htmx brings in are labelled too.
    phone.get_by_label("Afficher").select_option("lost")
    phone.get_by_label("Afficher").select_option("todo")
    expect(phone.locator("table.worklist tbody tr td").first).to_have_attribute("data-label", "Patient")


def test_on_a_phone_action_buttons_stack(phone: Page, world) -> None:
    log_in_as(phone, world, "nurse")
    open_page(phone, "/patients/new")
    save = phone.get_by_role("button", name="Enregistrer").bounding_box()
    cancel = phone.get_by_role("link", name="Annuler").bounding_box()
    assert save and cancel
    assert cancel["y"] >= save["y"] + save["height"], "Cancel sits below Save"
    assert save["width"] > PHONE["width"] / 2, "the button spans the screen, easy to tap"
