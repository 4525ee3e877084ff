"""The worklist: who to see this morning, most urgent first, filtered by pathway and nurse."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from tests.web.test_sessions import session_form


def rows(html: str) -> list[tuple[str, str]]:
    soup = BeautifulSoup(html, "html.parser")
    return [(tr.select_one("a").text, tr["class"][0]) for tr in soup.select("table.worklist tbody tr")]


def test_alerts_come_first_then_overdue_then_due(as_nurse, make_patient, enrol) -> None:
    now = datetime.now(UTC)
    alert = enrol(make_patient(family_name="Alerte", ins=""), "diabete-type-2", start="2020-01-01")
    as_nurse.post(
        f"/patients/{alert.id}/sessions", session_form(now - timedelta(days=1), **{"m.hba1c": "11"})
    )
    # Enrolled 4 months ago, never measured: HbA1c (every 3 months) is due, not yet overdue (grace 1 month).
    due_day = (now - timedelta(days=100)).date().isoformat()
    enrol(make_patient(family_name="Due", ins=""), "diabete-type-2", start=due_day)
    # Enrolled 6 months ago, never measured: overdue.
    enrol(
        make_patient(family_name="Retard", ins=""),
        "diabete-type-2",
        start=(now - timedelta(days=190)).date().isoformat(),
    )
    # Enrolled 2 years ago and never seen: lost to follow-up, kept off the morning list.
    enrol(
        make_patient(family_name="Perdu", ins=""),
        "diabete-type-2",
        start=(now - timedelta(days=800)).date().isoformat(),
    )
    page = as_nurse.get("/worklist").text
    listed = rows(page)
    assert [name for name, _ in listed] == ["ALERTE Hélène", "RETARD Hélène", "DUE Hélène"]
    assert [status for _, status in listed] == ["status-alert", "status-overdue", "status-due"]
    counts = BeautifulSoup(page, "html.parser").select_one("#worklist-counts").text
    assert "1 patient avec des alertes ouvertes" in counts and "1 perdu de vue" in counts
    assert [name for name, _ in rows(as_nurse.get("/worklist?show=lost").text)] == ["PERDU Hélène"]


def test_filter_by_pathway(as_nurse, make_patient, enrol) -> None:
    old = (datetime.now(UTC) - timedelta(days=190)).date().isoformat()
    enrol(make_patient(family_name="Diabete", ins=""), "diabete-type-2", start=old)
    enrol(make_patient(family_name="Cardio", ins=""), "insuffisance-cardiaque", start=old)
    listed = rows(
        as_nurse.get("/worklist?pathway=insuffisance-cardiaque", headers={"HX-Request": "true"}).text
    )
    assert [name for name, _ in listed] == ["CARDIO Hélène"]


def test_filter_by_nurse_keeps_the_patients_she_has_seen(browser, world, make_patient, enrol) -> None:
    old = datetime.now(UTC) - timedelta(days=200)
    mine = enrol(make_patient(family_name="Vue", ins=""), "diabete-type-2", start=old.date().isoformat())
    enrol(make_patient(family_name="Jamais", ins=""), "diabete-type-2", start=old.date().isoformat())
    browser.login(world.nurse.email)
    browser.post(f"/patients/{mine.id}/sessions", session_form(old + timedelta(days=1), **{"m.weight": "80"}))
    listed = rows(browser.get(f"/worklist?nurse={world.nurse.id}").text)
    assert [name for name, _ in listed] == ["VUE Hélène"]


def test_snoozed_patient_leaves_the_list_until_the_snooze_ends(as_nurse, make_patient, enrol) -> None:
    patient = enrol(
        make_patient(family_name="Rappel", ins=""),
        "obesite",
        start=(datetime.now(UTC) - timedelta(days=200)).date().isoformat(),
    )
    assert rows(as_nurse.get("/worklist").text)
    as_nurse.post(
        f"/patients/{patient.id}/snooze", {"reason": "will-come", "days": "14", "comment": "RDV pris"}
    )
    assert rows(as_nurse.get("/worklist").text) == []


def test_admin_has_no_worklist(as_admin) -> None:
    assert as_admin.get("/worklist").status_code == 403


def test_schedules_are_rebuilt_in_the_background_when_the_protocols_change(
    app, settings, engine, protocols, make_patient, enrol, db
) -> None:
    import threading

    from sqlmodel import select

    from asalee_track.care import followup
    from asalee_track.store.db import transaction
    from asalee_track.store.tables import AppState, MeasureDue
    from asalee_track.web.app import create_app

    enrol(make_patient(), "diabete-type-2")
    stored = len(db.exec(select(MeasureDue)).all())
    assert stored > 0
    with transaction(engine) as tx:
        tx.merge(AppState(key="schedule_fingerprint", value="an older protocol set"))
        for row in tx.exec(select(MeasureDue)).all():
            tx.delete(row)
    create_app(settings, engine, upgrade=False)  # returns at once: the rebuild runs beside the server
    for thread in threading.enumerate():
        if thread.name == "schedule-rebuild":
            thread.join(timeout=30)
    assert len(db.exec(select(MeasureDue)).all()) == stored
    with transaction(engine) as tx:
        assert not followup.schedules_stale(tx, protocols)
    assert followup.rebuild_schedules(engine, protocols) == 1  # batches of its own, callable again


def test_pages_follow_one_order_and_count_the_whole_list(
    as_nurse, make_patient, enrol, engine, world, protocols
):
    from asalee_track.care import followup
    from asalee_track.store.db import transaction

    now = datetime.now(UTC)
    for name, days in (("Ancien", 400), ("Moyen", 300), ("Recent", 200)):
        start = (now - timedelta(days=days)).date().isoformat()
        enrol(make_patient(family_name=name, ins=""), "diabete-type-2", start=start)
    with transaction(engine) as db:
        actor = world.actor(world.nurse)
        first = followup.worklist(db, actor, protocols, now, limit=2)
        second = followup.worklist(db, actor, protocols, now, offset=2, limit=2)
    names = [item.patient.family_name for item in first.items + second.items]
    assert names == ["Ancien", "Moyen", "Recent"]  # the oldest due date first
    assert first.total == second.total == 3 and first.counts["overdue"] == 3
    assert all(item.status == "overdue" for item in first.items)


def why_cell(html: str, family_name: str):  # type: ignore[no-untyped-def]
    soup = BeautifulSoup(html, "html.parser")
    row = next(tr for tr in soup.select("table.worklist tbody tr") if family_name in tr.select_one("a").text)
    return row, row.select_one("td.why")


def test_why_shows_the_most_urgent_reason_and_counts_the_others(as_nurse, make_patient, enrol) -> None:
    now = datetime.now(UTC)
    patient = enrol(make_patient(family_name="Motifs", ins=""), "diabete-type-2", start="2020-01-01")
    # A moderate alert first (low systolic pressure), a high one the next day (HbA1c above 10 %).
    as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(now - timedelta(days=2), **{"m.sbp": "85"})
    )
    as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(now - timedelta(days=1), **{"m.hba1c": "11"})
    )
    _, why = why_cell(as_nurse.get("/worklist").text, "MOTIFS")
    summary = why.select_one("details.why-more > summary")
    first = summary.select_one(".why-alert").text
    assert "HbA1c > 10 %" in first  # high severity before the moderate alert raised earlier
    others = why.select("details.why-more .why-others > li")
    assert len(others) >= 2  # the hypotension alert, and the measures due since 2020
    assert summary.select_one(".why-count").text == f"+{len(others)} autres"
    assert "PAS < 90" in others[0].text
    kinds = ["alert" if li.select_one(".why-alert") else "due" for li in others]
    assert "due" in kinds and kinds == sorted(kinds)  # every alert before what is due
    waiting = [datetime.fromisoformat(time["datetime"]) for time in why.select(".why-others time")]
    assert len(waiting) == kinds.count("due") and waiting == sorted(waiting)  # longest waiting first
    assert len(why.select(".why-alert, .why-due")) == len(others) + 1  # each reason once


def test_a_single_reason_is_shown_without_a_disclosure(as_nurse, make_patient, enrol) -> None:
    today = datetime.now(UTC).date().isoformat()
    patient = enrol(make_patient(family_name="Seul", ins=""), "diabete-type-2", start=today)
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "11"}))  # nothing due yet
    _, why = why_cell(as_nurse.get("/worklist").text, "SEUL")
    assert why.select_one("details") is None
    assert [reason.text for reason in why.select(".why-alert, .why-due")] == [
        "⚠ HbA1c > 10 % : avis rapide du médecin"
    ]


def test_each_row_links_to_a_new_session(as_nurse, make_patient, enrol) -> None:
    overdue = (datetime.now(UTC) - timedelta(days=190)).date().isoformat()
    patient = enrol(make_patient(family_name="Lien", ins=""), "obesite", start=overdue)
    row, _ = why_cell(as_nurse.get("/worklist").text, "LIEN")
    link = row.select_one("a.new-session")
    assert link["href"] == f"/patients/{patient.id}/sessions/new"
    assert link.text.startswith("Nouvelle séance")
    form = BeautifulSoup(as_nurse.get(link["href"]).text, "html.parser")
    assert form.select_one("form.session-form") is not None


def test_a_page_reads_the_ranked_entries_not_the_practice(as_nurse, make_patient, enrol, engine) -> None:
    """The order, counts and total come from the stored entries; due rows and alerts are read for the
    page's patients only, never for the whole practice."""
    from sqlalchemy import event

    start = (datetime.now(UTC) - timedelta(days=190)).date().isoformat()
    for name in ("Un", "Deux", "Trois"):
        enrol(make_patient(family_name=name, ins=""), "diabete-type-2", start=start)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = as_nurse.get("/worklist")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [name for name, _ in rows(page.text)] == ["DEUX Hélène", "TROIS Hélène", "UN Hélène"]
    details = [s for s in statements if "FROM measure_due" in s or "FROM alert" in s]
    assert details and all("patient_id IN" in s for s in details), details
    assert any("FROM worklist_entry" in s and "ORDER BY" in s and "LIMIT" in s for s in statements)
