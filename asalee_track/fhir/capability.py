"""The CapabilityStatement: exactly what this server implements, no more."""

from typing import Any

from asalee_track import __version__
from asalee_track.fhir import controls, reads

BULK = "http://hl7.org/fhir/uv/bulkdata"
SEARCH_PARAMS: dict[str, list[tuple[str, str, str]]] = {
    "Patient": [
        ("_id", "token", "Logical id"),
        ("name", "string", "Family or given names: each word starts a name (accents and case ignored)"),
        ("birthdate", "date", "Birth date, with prefixes eq, ne, ge, gt, le, lt"),
        (
            "identifier",
            "token",
            "INS-NIR (urn:oid:1.2.250.1.213.1.4.8) or local id, as system|value or value",
        ),
    ],
    "Observation": [
        ("patient", "reference", "The patient (Patient/id or id)"),
        ("subject", "reference", "Same as patient"),
        ("code", "token", "LOINC or SNOMED CT code, as system|code or code; comma for OR"),
        ("date", "date", "Effective time, with prefixes eq, ne, ge, gt, le, lt, sa, eb; repeat for a range"),
    ],
}


_COMMON = {
    "_id": ("token", "Logical id; comma for OR"),
    "patient": ("reference", "The patient (Patient/id or id)"),
    "subject": ("reference", "Same as patient"),
}


def search_params(resource_type: str) -> list[tuple[str, str, str]]:
    if resource_type in SEARCH_PARAMS:
        return SEARCH_PARAMS[resource_type]
    return [(name, *_COMMON[name]) for name in reads.search_params(resource_type)]


LAST_UPDATED = ("_lastUpdated", "date", "When the resource last changed (meta.lastUpdated), with prefixes")


def _search_params(resource_type: str) -> list[dict[str, str]]:
    return [
        {"name": name, "type": kind, "documentation": text}
        for name, kind, text in [*search_params(resource_type), LAST_UPDATED]
    ]


def _resource(resource_type: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": _search_params(resource_type),
    }
    if controls.include_names(resource_type):
        entry["searchInclude"] = controls.include_names(resource_type)
    if controls.revinclude_names(resource_type):
        entry["searchRevInclude"] = controls.revinclude_names(resource_type)
    if resource_type in reads.ADMIN_ONLY:
        entry["documentation"] = "The practice's audit trail: administrators and API clients only."
    if resource_type == "Patient":
        entry["operation"] = [
            {
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
            },
            {"name": "export", "definition": f"{BULK}/OperationDefinition/patient-export"},
        ]
    return entry


def capability_statement(base: str, date: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "asalee-track",
        "kind": "instance",
        "instantiates": [f"{BULK}/CapabilityStatement/bulk-data"],
        "software": {"name": "asalee-track", "version": __version__},
        "implementation": {"description": "asalee-track FHIR R4 API (read-only)", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Search by GET or POST [type]/_search; paging with _count and"
                " _offset; _sort, _summary=count, _total, _elements, _include, _revinclude; unknown"
                " parameters are refused (400) unless the request says Prefer: handling=lenient. JSON only"
                " (XML: 406). Reads carry ETag and Last-Modified and honour If-None-Match (304); HEAD"
                " wherever GET.",
                "security": {
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": f"{base}/auth/token"}],
                        }
                    ],
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "SMART Backend Services (client_credentials with an RS384 or ES384 JWT "
                    "assertion; see .well-known/smart-configuration; clients registered under "
                    "/admin/smart-clients), or Authorization: Bearer <API token>, one practice per token "
                    "(/admin/tokens), or a logged-in user's session. Patient data of another practice "
                    "answers 404.",
                },
                "resource": [
                    *(_resource(t) for t in reads.READABLE),
                    {
                        "type": "Group",
                        "documentation": "One group per practice, id practice-<practice id>; export only.",
                        "operation": [
                            {"name": "export", "definition": f"{BULK}/OperationDefinition/group-export"}
                        ],
                    },
                ],
                "operation": [{"name": "export", "definition": f"{BULK}/OperationDefinition/export"}],
            }
        ],
    }
