"""The severity a page shows is the protocol's word: one vocabulary, and a style for each word."""

import re
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from asalee_track import PROJECT_ROOT
from asalee_track.care.followup import SEVERITY_RANK
from asalee_track.protocols.schema import SEVERITIES
from asalee_track.web.templating import SEVERITY_WORDS
from tests.web.test_sessions import session_form

CSS = (PROJECT_ROOT / "asalee_track" / "web" / "static" / "app.css").read_text()


def styled(kind: str) -> set[str]:
    return set(re.findall(rf"\.{kind}\.severity-([a-z]+)", CSS))


def test_each_protocol_severity_has_a_style_and_a_name(protocols) -> None:  # type: ignore[no-untyped-def]
    used = {rule.severity for protocol in protocols.all() for rule in protocol.escalation}
    assert used <= set(SEVERITIES)
    assert styled("alert") == set(SEVERITIES)  # every word styled; no style for a word protocols never use
    assert styled("badge") == set(SEVERITIES)
    assert set(SEVERITY_WORDS) == set(SEVERITIES) and set(SEVERITY_RANK) == set(SEVERITIES)
    assert SEVERITY_RANK["high"] < SEVERITY_RANK["moderate"] < SEVERITY_RANK["low"]


def test_a_moderate_alert_is_shown_as_moderate(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - timedelta(hours=2), **{"m.hba1c": "8,6", "m.sbp": "185"}),
    )
    page = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}").text, "html.parser")
    alerts = {li.select_one("strong").text.split(" ", 1)[1]: li for li in page.select("li.alert")}
    hba1c = next(li for text, li in alerts.items() if text.startswith("HbA1c > 8 %"))
    assert "severity-moderate" in hba1c["class"]
    assert hba1c.select_one(".badge.severity-moderate").text == "modérée"
    bp = next(li for text, li in alerts.items() if text.startswith("PA ≥ 180/110"))
    assert bp.select_one(".badge.severity-high").text == "urgente"
