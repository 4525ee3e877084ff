"""A GP opens the worklist, opens the patient with an alert, reads the chart and acknowledges the alert
in place: in a real Chromium."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from asalee_track.care import sessions
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from tests.browser.conftest import screenshot
from tests.browser.test_nurse_session import log_in

pytestmark = pytest.mark.browser


def test_gp_reviews_the_chart_and_acknowledges_the_alert(
    page: Page, world, engine, protocols, make_patient, enrol
) -> None:
    patient = enrol(
        make_patient(family_name="Girard", given_names="Josiane", ins=""),
        "diabete-type-2",
        start="2024-01-01",
    )
    start = datetime.now(UTC) - timedelta(days=400)
    with transaction(engine) as db:  # a year of HbA1c drifting up, saved as the nurse would
        for index, value in enumerate(["6,8", "7,6", "8,4", "9,2", "10,6"]):
            when = (start + timedelta(days=95 * index)).astimezone(TIMEZONE)
            sessions.save(
                db,
                world.actor(world.nurse),
                protocols,
                patient.id,
                {
                    "started_at": when.strftime("%Y-%m-%dT%H:%M"),
                    "duration_minutes": "45",
                    "kind": "follow-up",
                    "m.hba1c": value,
                },
                now=when.astimezone(UTC) + timedelta(hours=1),
            )

    log_in(page, world.gp.email)
    expect(page.get_by_role("heading", name="Liste de travail")).to_be_visible()
    row = page.locator("table.worklist tr", has_text="GIRARD Josiane")
    expect(row).to_contain_text("HbA1c > 10 %")
    row.get_by_role("link", name="GIRARD Josiane", exact=True).click()

    chart = page.locator("#chart-diabete-type-2-hba1c svg")
    expect(chart.locator("circle.point")).to_have_count(5)
    expect(chart.locator("circle.off-target")).to_have_count(4)
    expect(chart.locator("rect.target-band")).to_have_count(1)
    alert = page.locator("li.alert", has_text="HbA1c > 10 %")
    comment = alert.get_by_placeholder("Commentaire (facultatif)")
    comment.fill("Vue\u202e, pasted from elsewhere")  # a hidden bidi override: refused in place
    alert.get_by_role("button", name="Acquitter").click()
    expect(page.locator("li.alert", has_text="HbA1c > 10 %")).to_contain_text(
        "caractères de contrôle invisibles"
    )
    expect(page.locator("li.alert.status-open", has_text="HbA1c > 10 %")).to_have_count(1)
    alert = page.locator("li.alert", has_text="HbA1c > 10 %")
    alert.get_by_placeholder("Commentaire (facultatif)").fill("Vue, consultation cette semaine")
    screenshot(page, "gp-review")
    alert.get_by_role("button", name="Acquitter").click()
    acknowledged = page.locator("li.alert.status-acknowledged", has_text="HbA1c > 10 %")
    expect(acknowledged).to_contain_text("Acquittée par Dr Paul Médecin")
    expect(acknowledged).to_contain_text("Vue, consultation cette semaine")
    screenshot(page, "gp-alert-acknowledged")
