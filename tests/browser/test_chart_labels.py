"""Chart labels are never cut: at phone, tablet and desktop widths, every axis and target label of every
chart lies inside its chart's SVG box (2 277 pg/mL must not read "77"), in a real Chromium."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from asalee_track.care import sessions
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from tests.browser.conftest import screenshot
from tests.browser.test_nurse_session import log_in

pytestmark = pytest.mark.browser

# Values whose labels are the widest the protocols allow (five-digit peptides, three-digit pressures).
VISITS = [
    {"m.nt-probnp": "850", "m.sbp": "128", "m.weight": "78,0", "m.egfr": "64", "m.hba1c": "7,8"},
    {"m.nt-probnp": "2277", "m.sbp": "176", "m.weight": "80,1", "m.egfr": "58", "m.hba1c": "8,3"},
    {"m.nt-probnp": "41250", "m.sbp": "142", "m.weight": "79,4", "m.egfr": "47", "m.hba1c": "8,8"},
]

BOXES = """() => [...document.querySelectorAll('svg.trend')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {
    chart: svg.closest('.chart-card').id,
    svg: [box.left, box.top, box.right, box.bottom],
    labels: [...svg.querySelectorAll('text')].map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom]};
    }),
  };
})"""


@pytest.mark.parametrize("width", [390, 820, 1366, 1920])
def test_every_axis_label_lies_inside_its_chart(
    page: Page, world, engine, protocols, make_patient, enrol, width: int
) -> None:
    patient = enrol(
        make_patient(family_name="Marchand", given_names="Odile", ins=""),
        "diabete-type-2",
        "insuffisance-cardiaque",
        start="2024-01-01",
    )
    start = datetime.now(UTC) - timedelta(days=300)
    with transaction(engine) as db:
        for index, fields in enumerate(VISITS):
            when = (start + timedelta(days=95 * index)).astimezone(TIMEZONE)
            form = {
                "started_at": when.strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "45",
                "kind": "follow-up",
            }
            sessions.save(
                db, world.actor(world.nurse), protocols, patient.id, {**form, **fields},
                now=when.astimezone(UTC) + timedelta(hours=1),
            )  # fmt: skip

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, world.gp.email)
    page.goto(f"/patients/{patient.id}/review")
    expect(page.locator("svg.trend").first).to_be_visible()
    charts = page.evaluate(BOXES)
    ids = [chart["chart"] for chart in charts]
    assert len(ids) == len(set(ids))
    assert sum("weight" in chart_id for chart_id in ids) == 1  # one weight chart for two pathways
    assert {"chart-insuffisance-cardiaque-nt-probnp", "chart-diabete-type-2-hba1c"} <= set(ids)
    cut = []
    for chart in charts:
        left, top, right, bottom = chart["svg"]
        for label in chart["labels"]:
            x1, y1, x2, y2 = label["box"]
            if x2 - x1 == 0:
                continue  # <title> elements are not drawn
            if x1 < left - 0.5 or x2 > right + 0.5 or y1 < top - 0.5 or y2 > bottom + 0.5:
                cut.append((chart["chart"], label["text"], label["box"], chart["svg"]))
    assert cut == [], f"labels outside their chart at {width} px: {cut}"
    texts = {label["text"] for chart in charts for label in chart["labels"]}
    assert "cible ≤ 7,0 %" in texts and "40\u202f000" in texts
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.chart-card')].map(c => c.getBoundingClientRect().right))"
    )
    assert widest <= width  # no chart runs off the screen
    page.locator("#chart-insuffisance-cardiaque-nt-probnp").scroll_into_view_if_needed()
    screenshot(page, f"charts-{width}")
