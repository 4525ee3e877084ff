"""Questionnaires: the protocol's instrument as a FHIR Questionnaire, each one filled in as a
QuestionnaireResponse. The total is the score measure's Observation, exported with the observations
(``derivedFrom`` points back to the response).

A Questionnaire carries the protocol's own item labels (themes), never an instrument's copyrighted
wording; each answer option carries its points as an ``ordinalValue``.
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from asalee_track.care.standing import current_version
from asalee_track.fhir.catalog import Catalog, InstrumentInfo, PathwayInfo
from asalee_track.fhir.mapping import Resource, _dt, ref, role_ref
from asalee_track.store.tables import CareSession, InstrumentAnswer, InstrumentResponse, table_of

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

response_t = table_of(InstrumentResponse)
answer_t = table_of(InstrumentAnswer)
session_t = table_of(CareSession)


def questionnaire_id(protocol_id: str, instrument_id: str) -> str:
    return f"{protocol_id}-{instrument_id}"[:64]


def questionnaire_url(protocol_id: str, instrument_id: str) -> str:
    return f"urn:asalee-track:questionnaire:{protocol_id}/{instrument_id}"


def questionnaire(pathway: PathwayInfo, instrument: InstrumentInfo) -> Resource:
    url = questionnaire_url(pathway.id, instrument.id)
    return {
        "resourceType": "Questionnaire",
        "id": questionnaire_id(pathway.id, instrument.id),
        "url": url,
        "version": pathway.version or None,
        "name": instrument.id.replace("-", "_"),
        "title": instrument.label,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": f"{instrument.licence}; {instrument.source}",
        "item": [
            {
                "linkId": item_id,
                "text": label,
                "type": "choice",
                "required": True,
                "answerOption": [
                    {
                        "valueCoding": {"system": url, "code": code, "display": option_label},
                        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": points}],
                    }
                    for code, option_label, points in options
                ],
            }
            for item_id, label, options in instrument.items
        ],
    }


def questionnaires(conn: Connection, scope: Any, catalog: Catalog) -> Iterator[Resource]:
    """Definitions, not patient data: in full practice exports only."""
    if scope.patient_id or scope.patient_level or scope.since:
        return
    for pathway in catalog.pathways.values():
        for instrument in pathway.instruments.values():
            yield {k: v for k, v in questionnaire(pathway, instrument).items() if v is not None}


def questionnaire_response(row: Any, answers: list[Any], catalog: Catalog) -> Resource:
    pathway = catalog.pathways.get(row.protocol_id)
    instrument = pathway.instruments.get(row.instrument_id) if pathway else None
    labels = (
        {item_id: (label, {c: o for c, o, _p in options}) for item_id, label, options in instrument.items}
        if instrument
        else {}
    )
    url = questionnaire_url(row.protocol_id, row.instrument_id)
    error = row.s_status == "entered-in-error"
    items = []
    for answer in answers:
        text, options = labels.get(answer.item_id, (answer.item_id, {}))
        coding = {"system": url, "code": answer.answer_code}
        if answer.answer_code in options:
            coding["display"] = options[answer.answer_code]
        items.append({"linkId": answer.item_id, "text": text, "answer": [{"valueCoding": coding}]})
    resource: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": row.id,
        "questionnaire": url,
        "status": "entered-in-error"
        if error
        else ("completed" if row.status == "complete" else "in-progress"),
        "subject": ref("Patient", row.patient_id),
        "encounter": ref("Encounter", row.session_id),
        "authored": _dt(row.s_started_at),
        "author": role_ref(row.s_nurse_id, row.s_practice_id),
    }
    if items:
        resource["item"] = items
    return resource


def response_query(scope: Any) -> Select[Any]:
    """Responses of current sessions, each row with its session's columns (s_…)."""
    where = [session_t.c.practice_id == scope.practice_id, current_version()]
    if scope.patient_id:
        where.append(session_t.c.patient_id == scope.patient_id)
    if scope.since:
        where.append(session_t.c.updated_at >= scope.since)
    return (
        select(
            response_t,
            session_t.c.started_at.label("s_started_at"),
            session_t.c.nurse_id.label("s_nurse_id"),
            session_t.c.practice_id.label("s_practice_id"),
            session_t.c.status.label("s_status"),
        )
        .join(session_t, session_t.c.id == response_t.c.session_id)
        .where(*where)
    )


def answers_of(conn: Connection, response_ids: list[str]) -> dict[str, list[Any]]:
    """response id → its answers, in one query for a page of responses."""
    found: dict[str, list[Any]] = {response_id: [] for response_id in response_ids}
    if response_ids:
        query = select(answer_t).where(answer_t.c.response_id.in_(response_ids)).order_by(answer_t.c.id)
        for answer in conn.execute(query):
            found[answer.response_id].append(answer)
    return found


def questionnaire_responses(conn: Connection, scope: Any, catalog: Catalog) -> Iterator[Resource]:
    query = response_query(scope).order_by(session_t.c.started_at, response_t.c.id)
    for row in conn.execute(query):
        answers = list(
            conn.execute(select(answer_t).where(answer_t.c.response_id == row.id).order_by(answer_t.c.id))
        )
        yield questionnaire_response(row, answers, catalog)
