"""A nurse logs in, searches as she types, and opens a patient: in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_nurse_logs_in_searches_without_accents_and_opens_the_patient(
    page: Page, world, make_patient
) -> None:
    make_patient(family_name="Lefèvre", given_names="Hélène")
    make_patient(family_name="Martin", given_names="Paul", ins="")

    page.goto("/")
    expect(page).to_have_title("Connexion · asalee-track")
    page.get_by_label("Adresse e-mail").fill(world.nurse.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Liste de travail")).to_be_visible()
    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.locator("#patient-count")).to_have_text("2 patients")

    # Typing updates the rows through htmx, without a page load.
    page.get_by_label("Rechercher par nom").press_sequentially("helene", delay=30)
    expect(page.locator("#patient-count")).to_have_text("1 patient")
    assert page.url.endswith("/patients?q=helene")  # the search is in the address, ready to share or reload
    screenshot(page, "patient-search")

    page.get_by_role("link", name="LEFÈVRE Hélène").click()
    expect(page.get_by_role("heading", name="LEFÈVRE Hélène")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("1 juillet 1957")
