"""A nurse uploads a lab file and says, from the review queue, whose result it is: in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.labs.conftest import SAMPLES

pytestmark = pytest.mark.browser


def test_nurse_uploads_a_lab_file_and_assigns_the_result_from_the_queue(
    page: Page, world, make_patient, enrol
) -> None:
    # The lab writes LEFÈVRE; the practice knows her as Lefebvre, without an INS: never guessed.
    patient = enrol(make_patient(family_name="Lefebvre", given_names="Hélène", ins=""), "diabete-type-2")

    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(world.nurse.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.get_by_role("link", name="Résultats de laboratoire").click()
    expect(page.get_by_role("heading", name="Résultats de laboratoire", exact=True)).to_be_visible()

    page.get_by_label("Fichiers", exact=True).set_input_files(str(SAMPLES / "hprim-sante-latin1-crlf.hpr"))
    page.get_by_role("button", name="Importer", exact=True).click()
    expect(page.locator("section.lab-summary")).to_contain_text("à vérifier : 1")
    expect(page.locator("section.lab-summary")).to_contain_text("Aucun patient du cabinet")

    # Searching fills in the candidates through htmx; choosing one imports the result in place.
    row = page.locator("li.lab-result")
    row.get_by_label("Chercher le patient").fill("lefeb")
    choice = row.get_by_label("LEFEBVRE Hélène", exact=False)
    expect(choice).to_be_visible()
    choice.check()
    screenshot(page, "lab-review-queue")
    row.get_by_role("button", name="Importer pour ce patient").click()
    expect(page.locator("li.lab-result")).to_contain_text("importé")
    assert page.url.endswith("/labs")  # answered in place, no page load

    page.locator("li.lab-result").get_by_role("link", name="Ouvrir le dossier").click()
    expect(page.get_by_role("heading", name="LEFEBVRE Hélène")).to_be_visible()
    expect(page.locator("li.lab-line")).to_contain_text("hba1c 10,5 %")
    assert patient.id in page.url
