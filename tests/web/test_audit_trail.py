"""What the audit trail records of what users do and try: every refusal, and which patients a list showed."""

from sqlmodel import select

from asalee_track.store.tables import Alert, AuditEvent, CareSession, Concertation, Enrolment
from tests.web.test_enrolment import enrol_form
from tests.web.test_sessions import session_form


def _denials(db, user_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(
        db.exec(select(AuditEvent).where(AuditEvent.action == "denied", AuditEvent.user_id == user_id)).all()
    )


def test_probes_on_another_practices_objects_are_audited(login_as, make_patient, world, db) -> None:
    elsewhere = login_as(world.other_nurse)
    theirs = make_patient(world.actor(world.other_nurse, world.other_practice))
    elsewhere.post(f"/patients/{theirs.id}/enrolments", enrol_form(protocol_id="diabete-type-2"))
    elsewhere.post(f"/patients/{theirs.id}/sessions", session_form(**{"m.hba1c": "11"}))
    elsewhere.post("/concertations", {"held_on": "2026-11-30"})
    session = db.exec(select(CareSession)).one()
    alert = db.exec(select(Alert)).one()
    enrolment = db.exec(select(Enrolment)).one()
    meeting = db.exec(select(Concertation)).one()

    nurse, gp = login_as(world.nurse), login_as(world.gp)
    probes = [
        nurse.get(f"/sessions/{session.id}"),
        nurse.get(f"/sessions/{session.id}/print"),
        nurse.post(f"/enrolments/{enrolment.id}/status", {"action": "pause", "reason": "x"}),
        nurse.get(f"/concertations/{meeting.id}"),
        gp.post(f"/alerts/{alert.id}/acknowledge", {"comment": "x"}),
    ]
    assert [p.status_code for p in probes] == [404] * 5
    nurse_denials = {(e.object_id, e.outcome) for e in _denials(db, world.nurse.id)}
    assert {
        (session.id, "not-found"),
        (enrolment.id, "not-found"),
        (meeting.id, "not-found"),
    } <= nurse_denials
    gp_denial = _denials(db, world.gp.id)
    assert [(e.object_id, e.practice_id) for e in gp_denial] == [(alert.id, world.practice.id)]
    assert gp_denial[0].detail == f"POST /alerts/{alert.id}/acknowledge"


def test_a_role_refusal_is_audited(as_nurse, world, db) -> None:
    assert as_nurse.get("/admin/audit").status_code == 403
    denial = _denials(db, world.nurse.id)
    assert [(e.outcome, e.object_type) for e in denial] == [("forbidden", "/admin/audit")]


def test_a_search_records_each_patient_it_showed(as_nurse, make_patient, world, db) -> None:
    shown = [make_patient(family_name=name, ins="") for name in ("Martin", "Martinez")]
    make_patient(family_name="Durand", ins="")
    as_nurse.get("/patients?q=mart")
    reads = db.exec(
        select(AuditEvent.patient_id).where(
            AuditEvent.action == "read", AuditEvent.detail == "shown in a search"
        )
    ).all()
    assert sorted(reads) == sorted(p.id for p in shown)
