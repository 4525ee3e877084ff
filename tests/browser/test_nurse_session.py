"""A nurse enrols a heart-failure patient with consent, logs two sessions two days apart, and sees the
alert for a 2.4 kg weight gain: in a real Chromium, through the pages a nurse uses."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from asalee_track.i18n import TIMEZONE
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()


def log_weight(page: Page, when: datetime, weight: str) -> None:
    page.get_by_role("link", name="Nouvelle séance").click()
    page.get_by_label("Date et heure").fill(when.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Poids").fill(weight)


def test_nurse_enrols_in_heart_failure_and_sees_the_weight_gain_alert(
    page: Page, world, make_patient
) -> None:
    make_patient(family_name="Moreau", given_names="Noël", ins="")
    log_in(page, world.nurse.email)
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Rechercher par nom").press_sequentially("noel mor", delay=20)
    page.get_by_role("link", name="MOREAU Noël").click()

    page.get_by_role("link", name="Inclure dans un parcours").click()
    page.get_by_label("Insuffisance cardiaque").check()
    page.get_by_label("Mode de recueil du consentement").select_option("written")
    page.get_by_role("button", name="Inclure").click()
    expect(page.locator(".enrolment")).to_contain_text("Insuffisance cardiaque")
    expect(page.locator(".enrolment")).to_contain_text("Consentement (écrit)")

    now = datetime.now(UTC)
    log_weight(page, now - timedelta(days=2), "80")
    page.get_by_role("button", name="Enregistrer la séance").click()
    expect(page.get_by_role("status")).to_have_text("Séance enregistrée.")
    page.get_by_role("link", name="← MOREAU Noël").click()

    log_weight(page, now - timedelta(minutes=10), "82,4")
    page.get_by_label("Poids").blur()  # the per-field check answers on blur, from the history
    expect(page.locator("#check-weight")).to_have_text(
        "⚠ déclenchera une alerte : Prise de poids ≥ 2 kg en 3 jours : "
        "signe de décompensation, prévenir le médecin"
    )
    expect(page.locator("#last-weight")).to_contain_text("dernière valeur : 80,0 kg le ")
    page.get_by_label("Fréquence cardiaque").fill("300")
    page.get_by_label("Fréquence cardiaque").blur()
    expect(page.locator("#check-heart-rate")).to_contain_text("plage plausible")
    page.get_by_label("Fréquence cardiaque").fill("72")
    page.get_by_label("Fréquence cardiaque").blur()
    expect(page.locator("#check-heart-rate")).to_be_empty()
    screenshot(page, "session-form")
    page.get_by_role("button", name="Enregistrer la séance").click()

    alerts = page.locator(".alerts")
    expect(alerts).to_contain_text("Alertes déclenchées par cette séance")
    expect(alerts).to_contain_text("+2,4 kg")
    screenshot(page, "session-alert")
    page.get_by_role("link", name="← MOREAU Noël").click()
    expect(page.locator(".alerts")).to_contain_text("Alertes ouvertes")


def test_printed_summary_prints_with_its_button_and_leaves_the_page_furniture_out(
    page: Page, world, make_patient, enrol
) -> None:
    patient = enrol(make_patient(family_name="Imprime", ins=""), "insuffisance-cardiaque")
    log_in(page, world.nurse.email)
    page.goto(f"/patients/{patient.id}")
    log_weight(page, datetime.now(UTC) - timedelta(hours=1), "70")
    page.get_by_label("Saturation en oxygène").fill("88")
    page.get_by_label("Saturation en oxygène").blur()
    expect(page.locator("#check-spo2")).to_contain_text("déclenchera une alerte : SpO2 < 90 %")
    page.get_by_role("button", name="Enregistrer la séance").click()
    page.get_by_role("link", name="Compte rendu imprimable").click()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("() => window.printed") == 1
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".print-summary")).to_contain_text("Claire Infirmière")
    expect(page.locator(".print-summary .alerts")).to_contain_text("SpO2 < 90 %")
