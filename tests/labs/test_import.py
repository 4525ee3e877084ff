"""Lab files into the record: patients matched or held for review, values mapped and converted, the
same file twice adding nothing, corrections superseding, rules firing and the schedule moving."""

import pytest
from sqlmodel import select

from asalee_track.care import followup, lab_mapping, labs
from asalee_track.care.errors import Invalid, NotFound
from asalee_track.store.db import transaction
from asalee_track.store.tables import Alert, LabResult, MeasureDue, Observation


def by_label(summary: labs.Summary) -> dict[str, labs.Line]:
    return {line.label: line for line in summary.lines if line.label}


def test_results_go_to_the_patient_matched_by_ins_in_the_measure_unit(
    import_sample, helene, jean_pierre, db
) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-utf8-lf.hpr")
    lines = by_label(summary)
    assert lines["HbA1c"].outcome == "imported"
    assert lines["Glycémie à jeun"].outcome == "imported"
    values = {
        o.measure_id: (o.value_num, o.unit, o.original_value)
        for o in db.exec(select(Observation).where(Observation.patient_id == helene.id)).all()
    }
    assert values["hba1c"] == (7.2, "%", "7,2")
    assert values["fasting-glucose"] == (1.05, "g/L", "1,05")
    assert values["ldl"] == (1.32, "g/L", "1,32")


def test_traits_match_despite_accents_case_and_hyphens(import_sample, jean_pierre, db) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-utf8-lf.hpr")
    assert by_label(summary)["DFG CKD-EPI"].outcome == "imported"  # "mL/min/1,73m²" read as UCUM
    rows = db.exec(select(Observation).where(Observation.patient_id == jean_pierre.id)).all()
    assert {o.measure_id: o.value_num for o in rows}["egfr"] == 72.0
    # Potassium and creatinine: the cardiovascular-risk pathway follows them, so they are kept too.
    assert by_label(summary)["Potassium"].outcome == "imported"


def test_a_used_name_matches_the_birth_name(import_sample, make_patient, enrol, db) -> None:  # type: ignore[no-untyped-def]
    # The practice knows her by her used name DURAND; the HL7 file gives both names (and her INS,
    # which this practice has not recorded).
    durand = enrol(make_patient(family_name="Durand", given_names="Hélène", ins=""), "diabete-type-2")
    summary = import_sample("hl7-oru-utf8-bom-cr.hl7")
    assert by_label(summary)["HbA1c"].outcome == "imported"
    assert db.exec(select(Observation).where(Observation.patient_id == durand.id)).first() is not None


def test_unknown_patient_goes_to_the_review_queue_and_the_nurse_picks(
    import_sample, engine, world, protocols, make_patient, enrol
) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-latin1-crlf.hpr")  # no INS, and nobody of that name yet
    assert summary.counts["review"] == 1
    patient = enrol(make_patient(family_name="Lefebvre", given_names="Hélène"), "diabete-type-2")
    actor = world.actor(world.nurse)
    with transaction(engine) as db:
        (waiting,) = labs.queue(db, actor)
        assert waiting.reason == "No patient of the practice has these traits."
        row = labs.assign(db, actor, protocols, waiting.id, patient.id)
        assert row.status == "imported"
    with transaction(engine) as db:
        assert labs.queue(db, actor) == []
        alerts = db.exec(select(Alert).where(Alert.patient_id == patient.id)).all()
        assert "hba1c-tres-elevee" in {a.rule_id for a in alerts}  # 10,5 % > 10 %


def test_two_patients_with_the_same_traits_are_never_guessed(import_sample, make_patient, enrol) -> None:  # type: ignore[no-untyped-def]
    for local in ("A1", "A2"):
        make_patient(
            family_name="Martin",
            given_names="Jean-Pierre",
            birth_date="1950-03-12",
            sex="male",
            ins="",
            local_id=local,
        )
    summary = import_sample("hprim-sante-utf8-lf.hpr")
    line = by_label(summary)["DFG CKD-EPI"]
    assert (line.outcome, line.reason, line.params) == (
        "review",
        "%(count)d patients have these traits: choose one.",
        {"count": 2},
    )


def _qualified(engine, patient) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from asalee_track.store.tables import Patient

    with engine.begin() as connection:  # as if checked on an identity document and by INSi
        connection.execute(
            update(Patient).where(Patient.id == patient.id).values(identity_status="qualifiee")
        )


def test_an_ins_whose_traits_disagree_is_held(import_sample, make_patient, engine) -> None:  # type: ignore[no-untyped-def]
    _qualified(engine, make_patient(family_name="Lefèvre", given_names="Hélène", birth_date="1957-07-02"))
    line = by_label(import_sample("hprim-sante-utf8-lf.hpr"))["HbA1c"]
    assert (line.outcome, line.reason) == (
        "review",
        "The INS matches a patient whose birth date or sex differ: check it.",
    )


def test_the_ins_of_an_identity_not_qualified_is_not_matched_on(import_sample, make_patient) -> None:  # type: ignore[no-untyped-def]
    make_patient(family_name="Lefèvre", given_names="Hélène", birth_date="1957-07-02")  # provisoire
    line = by_label(import_sample("hprim-sante-utf8-lf.hpr"))["HbA1c"]
    assert (line.outcome, line.reason) == ("review", "No patient of the practice has these traits.")


def test_the_nurse_can_reject_a_result_with_a_reason(import_sample, engine, world) -> None:  # type: ignore[no-untyped-def]
    import_sample("hprim-sante-latin1-crlf.hpr")
    actor = world.actor(world.nurse)
    with transaction(engine) as db:
        (waiting,) = labs.queue(db, actor)
        with pytest.raises(Invalid):
            labs.reject(db, actor, waiting.id, "  ")
        labs.reject(db, actor, waiting.id, "Patiente d'un autre cabinet")
    with transaction(engine) as db:
        assert labs.queue(db, actor) == []
        with pytest.raises(Invalid):
            labs.reject(db, actor, waiting.id, "encore")


def test_another_practice_cannot_touch_the_queue(import_sample, engine, world, protocols) -> None:  # type: ignore[no-untyped-def]
    import_sample("hprim-sante-latin1-crlf.hpr")
    with transaction(engine) as db:
        (waiting,) = labs.queue(db, world.actor(world.nurse))
    with transaction(engine) as db, pytest.raises(NotFound):
        labs.assign(db, world.actor(world.other_nurse, world.other_practice), protocols, waiting.id, "x")


def test_bad_values_are_refused_line_by_line_and_the_rest_imported(import_sample, helene) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-bad-lines-cp1252-cr.hpr")
    reasons = {line.line: (line.outcome, line.reason) for line in summary.lines}
    assert reasons[4] == ("refused", "“%(value)s” is a bound, not a value: not imported.")
    assert reasons[5] == ("refused", "“%(value)s” is a bound, not a value: not imported.")
    assert reasons[6] == ("refused", "“%(value)s” is not a number: read the report itself.")
    assert reasons[7] == ("refused", "Unit “%(unit)s” is unknown.")
    assert reasons[8] == ("refused", "The specimen date %(date)s is in the future.")
    assert reasons[10] == ("imported", None)
    assert summary.counts == {"imported": 1, "known": 0, "review": 0, "not-followed": 0, "refused": 10}


def test_a_truncated_file_imports_nothing_and_says_so(import_sample, helene, db) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-truncated.hpr")
    assert summary.refused and summary.counts["imported"] == 0
    assert db.exec(select(Observation)).all() == []


def test_the_same_file_twice_adds_nothing(import_sample, helene, db) -> None:  # type: ignore[no-untyped-def]
    first = import_sample("hprim-sante-utf8-lf.hpr")
    count = len(db.exec(select(Observation)).all())
    again = import_sample("hprim-sante-utf8-lf.hpr")
    assert again.already and again.report_id == first.report_id
    assert len(db.exec(select(Observation)).all()) == count
    # The same results in another file (other bytes): already known, nothing added either.
    copy = (
        (import_sample.__globals__["SAMPLES"] / "hprim-sante-utf8-lf.hpr")
        .read_bytes()
        .replace(b"RES20250312", b"RES20250313")
    )
    other = import_sample("copie.hpr", data=copy)
    assert not other.already and other.counts["known"] == 3 and other.counts["imported"] == 0
    assert len(db.exec(select(Observation)).all()) == count


def test_a_dry_run_writes_nothing(import_sample, helene, db) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-sante-utf8-lf.hpr", dry_run=True)
    assert summary.counts["imported"] == 3
    assert db.exec(select(Observation)).all() == [] and db.exec(select(LabResult)).all() == []


def test_a_correction_supersedes_and_keeps_the_earlier_value(
    import_sample, helene, engine, world, db
) -> None:  # type: ignore[no-untyped-def]
    import_sample("hl7-oru-utf8-bom-cr.hl7")
    summary = import_sample("hl7-oru-correction.hl7")
    (line,) = summary.lines
    assert (line.outcome, line.params) == ("imported", {"value": "6,4"})
    rows = db.exec(
        select(Observation).where(Observation.patient_id == helene.id, Observation.measure_id == "hba1c")
    ).all()
    old, new = sorted(rows, key=lambda o: o.superseded_by_id is None)
    assert (old.value_num, old.superseded_by_id) == (6.4, new.id)
    assert (new.value_num, new.status, new.superseded_by_id) == (6.8, "amended", None)
    with transaction(engine) as session:
        history = labs.patient_results(session, world.actor(world.nurse), helene.id)
    hba1c = [(r.order_no, o.value_num, o.superseded_by_id is None) for r, o in history if r.test == "4548-4"]
    assert sorted(hba1c) == [("25032001", 6.4, False), ("25032001", 6.8, True)]


def test_a_lab_hba1c_moves_the_schedule(import_sample, helene, engine, world, protocols, db) -> None:  # type: ignore[no-untyped-def]
    def hba1c_due():  # type: ignore[no-untyped-def]
        return db.exec(
            select(MeasureDue.due_at).where(
                MeasureDue.patient_id == helene.id, MeasureDue.measure_id == "hba1c"
            )
        ).one()

    before = hba1c_due()
    import_sample("hprim-sante-utf8-lf.hpr")
    after = hba1c_due()
    assert after > before  # due again three months after the 12 March 2025 specimen
    assert after.year == 2025 and after.month == 6


def test_a_lab_hba1c_above_10_raises_its_alert(import_sample, helene, db) -> None:  # type: ignore[no-untyped-def]
    import_sample(
        "hprim-sante-latin1-crlf.hpr",
        data=(import_sample.__globals__["SAMPLES"] / "hprim-sante-latin1-crlf.hpr")
        .read_bytes()
        .replace(b"LEF\xc8VRE~H\xe9l\xe8ne||", b"LEF\xc8VRE~H\xe9l\xe8ne|257077512345669|"),
    )
    alerts = db.exec(select(Alert).where(Alert.patient_id == helene.id, Alert.status == "open")).all()
    alert = next(a for a in alerts if a.rule_id == "hba1c-tres-elevee")
    assert alert.session_id is None
    (evidence,) = alert.evidence
    assert db.get(Observation, evidence).lab_result_id is not None


def test_an_admin_maps_an_unknown_label_and_waiting_results_go_in(
    import_sample, helene, engine, world, protocols, db
) -> None:  # type: ignore[no-untyped-def]
    admin = world.actor(world.admin)
    with transaction(engine) as session:
        assert lab_mapping.unmapped(session, admin) == []
        with pytest.raises(Invalid):
            lab_mapping.save(
                session,
                admin,
                protocols,
                {"key_kind": "label", "key": "Vitamine D", "measure_id": "vitamin-d"},
            )
    import_sample("hprim-sante-utf8-lf.hpr")
    with transaction(engine) as session:
        ((loinc, code, label, unit, count),) = lab_mapping.unmapped(session, admin)
        assert (code, label, count) == ("VITD", "Vitamine D (25-OH)", 1)
        lab_mapping.save(session, admin, protocols, {"key_kind": "code", "key": "vitd", "measure_id": ""})
        assert labs.retry_mappings(session, admin, protocols) == 1
    row = db.exec(select(LabResult).where(LabResult.code == "VITD")).one()
    assert row.status == "not-followed"


def test_hprim_net_second_units_and_mappings(import_sample, helene, jean_pierre, db) -> None:  # type: ignore[no-untyped-def]
    summary = import_sample("hprim-net-cp1252-crlf.txt")
    lines = by_label(summary)
    assert lines["Rapport albuminurie / créatininurie"].outcome == "imported"
    assert lines["Glycémie à jeun"].outcome == "imported"
    assert lines["Cholestérol HDL"].outcome == "imported"  # the cardiovascular-risk pathway follows it
    uacr = db.exec(select(Observation).where(Observation.measure_id == "uacr")).one()
    assert (uacr.patient_id, uacr.value_num, uacr.unit) == (helene.id, 2.1, "mg/mmol")


def test_due_list_no_longer_shows_hba1c_after_a_lab_value(
    import_sample, helene, engine, world, protocols
) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    when = datetime(2025, 4, 1, tzinfo=UTC)

    def due(session) -> set[str]:  # type: ignore[no-untyped-def]
        items = followup.due_for_patient(session, world.actor(world.nurse), protocols, helene.id, now=when)
        return {d.measure for d in items["diabete-type-2"] if d.status != "ok"}

    with transaction(engine) as session:
        before = due(session)
    import_sample("hprim-sante-utf8-lf.hpr")
    with transaction(engine) as session:
        after = due(session)
    assert "hba1c" in before and "hba1c" not in after
