"""`Patient/{id}/$everything` (FHIR R4 OperationDefinition Patient-everything): the patient's whole
record as a searchset, paged with `_count` (next links), narrowed by `_since`, `_type`, `start`, `end`."""

from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlencode

from sqlalchemy.engine import Connection

from asalee_track.fhir import bundles, controls
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import bad_request
from asalee_track.fhir.mapping import Resource
from asalee_track.fhir.search import Params, date_range, paging, values

PARAMS = ("_count", "_offset", "_format", "_since", "_type", "start", "end")


def _instant(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"{name} must be an instant with its time zone, e.g. 2025-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} must carry a time zone (Z or +01:00)")
    return moment


def _day(value: str) -> date:
    return controls.moment(value).date() if "T" in value else date.fromisoformat(value[:10])


def select(resources: list[Resource], params: Params) -> list[Resource]:
    """The resources the parameters keep. start/end bound the care date of the resources that have one
    (an observation's effective time, an encounter's start…); the others (the patient, the people, the
    practice) stay."""
    since = [_instant(v, "_since") for v in values(params, "_since")]
    types = {t.strip() for v in values(params, "_type") for t in v.split(",") if t.strip()}
    start = [date_range(v)[0].date() for v in values(params, "start")]
    end = [date_range(v)[1].date() for v in values(params, "end")]
    kept = []
    for resource in resources:
        if types and resource["resourceType"] not in types:
            continue
        if since and controls.moment(resource["meta"]["lastUpdated"]) < since[-1]:
            continue
        when = controls.care_date(resource)
        if when and start and _day(when) < start[-1]:
            continue
        if when and end and _day(when) >= end[-1]:
            continue
        kept.append(resource)
    return kept


def bundle(resources: list[Resource], patient_id: str, params: Params, base: str) -> Resource:
    count, offset = paging(params)
    kept = select(resources, params)
    page = kept[offset : offset + count]
    others = [(k, v) for k, v in params if k not in ("_count", "_offset")]

    def url(at: int) -> str:
        query = urlencode([*others, ("_count", str(count)), ("_offset", str(at))])
        return f"{base}/Patient/{patient_id}/$everything?{query}"

    links = {"self": url(offset)}
    if offset + count < len(kept):
        links["next"] = url(offset + count)
    if offset > 0:
        links["previous"] = url(max(0, offset - count))
    result = bundles.bundle("searchset", [], base, total=len(kept), links=links)
    entries = [
        bundles.entry(
            r, base, "match" if r["resourceType"] == "Patient" and r["id"] == patient_id else "include"
        )
        for r in page
    ]
    if entries:
        result["entry"] = entries
    return result


def everything(
    conn: Connection,
    practice_id: int,
    patient_id: str,
    catalog: Catalog,
    base: str,
    params: Params,
    allow: Callable[[str], bool] = lambda _type: True,
) -> Resource:
    """`allow` says which types the caller may read (a SMART client's scopes)."""
    resources = [
        r for r in bundles.patient_record(conn, practice_id, patient_id, catalog) if allow(r["resourceType"])
    ]
    return bundle(resources, patient_id, params, base)
