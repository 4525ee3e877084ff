"""Bundles: a patient's whole record ($everything, CLI export) and search results.

Entries carry absolute `fullUrl`s under the server's base, so the resources' relative references
(`Patient/…`, `PractitionerRole/…`) resolve inside the bundle. Every practitioner, role and the practice a
patient's resources point at are included, so nothing dangles.
"""

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from asalee_track.fhir import sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import not_found
from asalee_track.fhir.mapping import Resource
from asalee_track.store.types import utcnow

_PEOPLE = re.compile(r"^(?:Practitioner/prac-(\d+)|PractitionerRole/role-(\d+)-\d+)$")


def references(value: Any) -> Iterator[str]:
    """Every `reference` string inside a resource, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def referenced_users(resources: Iterable[Resource]) -> set[int]:
    users: set[int] = set()
    for resource in resources:
        for reference in references(resource):
            match = _PEOPLE.match(reference)
            if match:
                users.add(int(match.group(1) or match.group(2)))
    return users


def patient_record(conn: Connection, practice_id: int, patient_id: str, catalog: Catalog) -> list[Resource]:
    """The patient, then the practice and the people referenced, then the clinical resources."""
    scope = sources.Scope(practice_id, patient_id=patient_id)
    clinical = [r for kind in sources.PATIENT_TYPES for r in sources.stream(conn, kind, scope, catalog)]
    if not clinical or clinical[0]["resourceType"] != "Patient":
        raise not_found(f"Patient/{patient_id} is not known in this practice")
    users = referenced_users(clinical)
    people_scope = sources.Scope(practice_id)
    supporting = [
        *sources.organizations(conn, people_scope, catalog),
        *sources.practitioners(conn, people_scope, catalog, users),
        *sources.practitioner_roles(conn, people_scope, catalog, users),
    ]
    return [clinical[0], *supporting, *clinical[1:]]


def entry(resource: Resource, base: str, mode: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }
    if mode:
        item["search"] = {"mode": mode}
    return item


def bundle(
    kind: str,
    resources: Iterable[Resource],
    base: str,
    *,
    total: int | None = None,
    links: dict[str, str] | None = None,
    mode: str | None = None,
) -> Resource:
    """A Bundle of `kind` (collection, searchset). Search results carry `total` and paging links."""
    result: Resource = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": utcnow().isoformat()},
        "type": kind,
        "timestamp": utcnow().isoformat(),
    }
    if total is not None:
        result["total"] = total
    if links:
        result["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    entries = [entry(resource, base, mode) for resource in resources]
    if entries:
        result["entry"] = entries
    return result


def patient_collection(
    conn: Connection, practice_id: int, patient_id: str, catalog: Catalog, base: str
) -> Resource:
    """A collection Bundle of one patient's record (CLI `export patient`)."""
    return bundle("collection", patient_record(conn, practice_id, patient_id, catalog), base)
