"""The FHIR R4 API under /fhir: metadata, Patient read and $everything, search, Bulk Data export.

Every answer is FHIR JSON; every failure an OperationOutcome with its status code (the app's HTML error
pages never show here: `FhirRoute` turns exceptions into OperationOutcomes before they reach them).
Callers are a practice's API token (`Authorization: Bearer`) or a logged-in user; see fhir.access for
who may read and who may export. Every read and export is audited.
"""

import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session

from asalee_track.care import api_tokens, smart_clients
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.config import Settings
from asalee_track.fhir import access, bulk, controls, reads, search, sources
from asalee_track.fhir import everything as everything_op
from asalee_track.fhir.access import Principal, record
from asalee_track.fhir.capability import capability_statement
from asalee_track.fhir.catalog import Catalog, load_catalog
from asalee_track.fhir.errors import FhirError, bad_request, not_found, operation_outcome
from asalee_track.fhir.mapping import group_id
from asalee_track.i18n import local_today
from asalee_track.web.deps import (
    DbSession,
    LoginRequired,
    after_read,
    current_actor,
    current_user,
    writes_on_get,
)
from asalee_track.web.forms import posted_body

log = logging.getLogger("asalee_track.fhir")
FHIR_JSON = "application/fhir+json"
RETRY_AFTER = "2"


class FhirResponse(Response):
    media_type = FHIR_JSON

    def __init__(self, content: Any = None, *args: Any, **kwargs: Any) -> None:
        self.resource = content  # kept for the validators (ETag, Last-Modified) set after the handler
        super().__init__(content, *args, **kwargs)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


XML_FORMATS = ("xml", "text/xml", "application/xml", "application/fhir+xml")


def _wants_xml(request: Request) -> bool:
    """`_format=xml` (or an XML media type), or an Accept that names XML and no JSON at all."""
    # An unescaped "+" in a query string arrives as a space: application/fhir+xml → "application/fhir xml".
    formats = [v.strip().lower().replace(" ", "+") for v in request.query_params.getlist("_format")]
    if any(f in XML_FORMATS or f.endswith("+xml") for f in formats):
        return True
    accept = request.headers.get("accept", "").lower()
    if "xml" not in accept:
        return False
    return not any(kind in accept for kind in ("json", "*/*", "application/*"))


def _validators(request: Request, response: Response) -> Response:
    """ETag and Last-Modified from a single resource's meta; If-None-Match with the current ETag → 304."""
    resource = getattr(response, "resource", None)
    if (
        response.status_code != 200
        or not isinstance(resource, dict)
        or resource.get("resourceType") == "Bundle"
    ):
        return response
    meta = resource.get("meta") or {}
    if "versionId" not in meta:
        return response
    etag = f'W/"{meta["versionId"]}"'
    response.headers["ETag"] = etag
    if "lastUpdated" in meta:
        moment = datetime.fromisoformat(meta["lastUpdated"]).astimezone(UTC)
        response.headers["Last-Modified"] = format_datetime(moment, usegmt=True)
    wanted = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",") if tag.strip()]
    if (
        etag in wanted
        or meta["versionId"] in [w.removeprefix("W/").strip('"') for w in wanted]
        or "*" in wanted
    ):
        headers = {k: v for k, v in response.headers.items() if k.lower() in ("etag", "last-modified")}
        return Response(status_code=304, headers=headers)
    return response


def _head(response: Response) -> Response:
    """HEAD answers what GET would, without the body."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(status_code=response.status_code, headers=headers)


def outcome_response(
    status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None
) -> Response:
    return FhirResponse(operation_outcome(code, diagnostics), status_code=status, headers=headers)


class FhirRoute(APIRoute):
    """Every exception of a FHIR route becomes an OperationOutcome. Refusals commit their audit record
    (the request's transaction ends normally); anything unexpected rolls the transaction back first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            response = await answer(request)
            if request.method in ("GET", "HEAD"):
                response = _validators(request, response)
            if request.method == "HEAD" and not isinstance(response, FileResponse):
                response = _head(response)
            return response

        async def answer(request: Request) -> Response:
            if _wants_xml(request):
                return outcome_response(406, "not-supported", "Only JSON is served: application/fhir+json")
            try:
                return await handler(request)
            except FhirError as error:
                return FhirResponse(error.outcome(), status_code=error.status, headers=error.headers)
            except NotFound:
                return outcome_response(404, "not-found", "Resource not found")
            except LoginRequired:
                return _login_required()
            except Forbidden:
                return outcome_response(403, "forbidden", "Not allowed for this user or token")
            except (Invalid, RequestValidationError) as error:
                return outcome_response(400, "invalid", str(error)[:500])
            except Exception:
                request_id = getattr(request.state, "request_id", "-")
                log.exception("FHIR request %s failed", request_id)
                db: Session | None = getattr(request.state, "fhir_db", None)
                if db is not None:
                    db.rollback()
                return outcome_response(500, "exception", f"Internal error (request {request_id})")

        return handle


router = APIRouter(prefix="/fhir", route_class=FhirRoute)


def _login_required() -> Response:
    return outcome_response(
        401,
        "login",
        "Authentication required: an API token (Authorization: Bearer) or a logged-in session",
        headers={"WWW-Authenticate": 'Bearer realm="asalee-track"'},
    )


# ---------------------------------------------------------------------------------------------------
# Dependencies


def get_principal(request: Request, db: DbSession) -> Principal:
    request.state.fhir_db = db
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        login = access.bearer_login(db, header[7:].strip())
        token_id = login.token_to_touch
        if token_id is not None:
            after_read(request, db, lambda writer: api_tokens.touch(writer, token_id))
        return login.principal
    user = current_user(request, db)  # raises LoginRequired: a 401 OperationOutcome, not a redirect
    return Principal.of_actor(current_actor(request, db, user))


Caller = Annotated[Principal, Depends(get_principal)]


def reader(caller: Caller) -> Principal:
    return access.check_reader(caller)


Reader = Annotated[Principal, Depends(reader)]


def get_catalog(request: Request) -> Catalog:
    settings: Settings = request.app.state.settings
    return load_catalog(Path(settings.protocols_dir))


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _params(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


# ---------------------------------------------------------------------------------------------------
# Metadata, read, $everything, search


@router.api_route("/metadata", methods=["GET", "HEAD"])
def metadata(request: Request) -> Response:
    return FhirResponse(capability_statement(base_url(request), local_today().isoformat()))


def _own_params(resource_type: str) -> tuple[str, ...]:
    if resource_type == "Patient":
        return search.PATIENT_PARAMS
    if resource_type == "Observation":
        return search.OBSERVATION_PARAMS
    return reads.search_params(resource_type)


def _search(
    request: Request,
    db: Session,
    caller: Principal,
    resource_type: str,
    params: list[tuple[str, str]],
    catalog: Catalog,
) -> Response:
    """Any search: the type's own parameters, then the result parameters (controls); audited per patient
    named, else as a search. Unknown parameters are refused unless the client prefers leniency."""
    access.check_may_read(db, caller, resource_type, "s")
    if "handling=lenient" in request.headers.get("prefer", "").lower():
        params = controls.lenient(params, _own_params(resource_type))
    asked = controls.parse(params, resource_type)
    conn = db.connection()
    patient_ids: list[str] = []
    if resource_type == "Patient":
        page = search.search_patients(conn, caller.practice_id, params)
        patient_ids = [str(resource["id"]) for resource in page.resources]  # each patient shown
    elif resource_type == "Observation":
        page, patient_ids = search.search_observations(conn, caller.practice_id, params, catalog)
    else:
        matches, patient_ids = reads.search(conn, caller.practice_id, resource_type, params, catalog)
        page = controls.page(matches, params, asked)
    detail = f"FHIR {resource_type} search: {page.total} found"
    if patient_ids and page.total:
        for patient_id in dict.fromkeys(patient_ids):
            record(db, caller, "read", resource_type, patient_id=patient_id[:36], detail=detail)
    else:
        record(db, caller, "search", resource_type, detail=detail)
    extra = (
        []
        if asked.count_only
        else controls.included(conn, caller.practice_id, page.resources, asked, catalog)
    )
    return FhirResponse(
        search.searchset(
            page,
            base_url(request),
            resource_type,
            params,
            included=extra,
            total=asked.total,
            count_only=asked.count_only,
            elements=asked.elements,
        )
    )


@router.api_route("/Patient", methods=["GET", "HEAD"])
def search_patients(request: Request, db: DbSession, caller: Caller, catalog: CatalogDep) -> Response:
    return _search(request, db, caller, "Patient", _params(request), catalog)


@router.api_route("/Observation", methods=["GET", "HEAD"])
def search_observations(request: Request, db: DbSession, caller: Caller, catalog: CatalogDep) -> Response:
    return _search(request, db, caller, "Observation", _params(request), catalog)


def _denied(db: Session, caller: Principal, patient_id: str) -> FhirError:
    record(db, caller, "denied", "Patient", patient_id[:64], outcome="not-found")
    return not_found(f"Patient/{patient_id[:64]} is not known in this practice")


# Declared before Patient/{patient_id}, which would otherwise take "$export" for an id.
@router.get("/Patient/$export")  # no HEAD: a kick-off starts a job
@writes_on_get
def export_patients(request: Request, db: DbSession, caller: Caller) -> Response:
    return _kick_off(request, db, caller, "patient")


@router.api_route("/Patient/{patient_id}", methods=["GET", "HEAD"])
def read_patient(
    request: Request, patient_id: str, db: DbSession, caller: Reader, catalog: CatalogDep
) -> Response:
    access.check_scope(db, caller, "Patient", "r")
    scope = sources.Scope(caller.practice_id, patient_id=patient_id)
    found = next(iter(sources.patients(db.connection(), scope, catalog)), None)
    if found is None:
        raise _denied(db, caller, patient_id)
    record(db, caller, "read", "Patient", patient_id, patient_id=patient_id, detail="FHIR read")
    return FhirResponse(found)


@router.api_route("/Patient/{patient_id}/$everything", methods=["GET", "HEAD"])
def everything(
    request: Request, patient_id: str, db: DbSession, caller: Reader, catalog: CatalogDep
) -> Response:
    params = _params(request)
    if "handling=lenient" in request.headers.get("prefer", "").lower():
        params = [(k, v) for k, v in params if k in everything_op.PARAMS]
    search.check_known(params, everything_op.PARAMS)
    access.check_scope(db, caller, "Patient", "r")
    try:
        result = everything_op.everything(
            db.connection(),
            caller.practice_id,
            patient_id,
            catalog,
            base_url(request),
            params,
            allow=lambda resource_type: caller.allows(resource_type, "r"),
        )
    except FhirError as error:
        if error.status != 404:
            raise
        raise _denied(db, caller, patient_id) from None
    record(db, caller, "read", "Patient", patient_id, patient_id=patient_id, detail="FHIR $everything")
    return FhirResponse(result)


# ---------------------------------------------------------------------------------------------------
# Bulk Data


def _kick_off(
    request: Request,
    db: Session,
    caller: Principal,
    level: str,
    group: str | None = None,
    params: list[tuple[str, str]] | None = None,
) -> Response:
    prefer = request.headers.get("prefer", "").lower()
    if "respond-async" not in prefer:
        raise FhirError(400, "invalid", "Bulk export is asynchronous: send the header Prefer: respond-async")
    given = _params(request) if params is None else params
    export = bulk.parse_request(given, level, group, lenient="handling=lenient" in prefer)
    if caller.scopes is not None:  # a SMART client exports what its scopes let it read
        refused = [t for t in export.types if not caller.allows(t, "r")]
        if refused and any(name == "_type" for name, _ in given):
            record(db, caller, "denied", "ExportJob", outcome="failure", detail=f"scope: {caller.scopes}")
            raise FhirError(403, "forbidden", f"The access token's scopes do not allow to read {refused[0]}")
        export = replace(export, types=tuple(t for t in export.types if t not in refused))
    job = bulk.kick_off(db, caller, export, str(request.url))
    status_url = f"{base_url(request)}/bulk-status/{job.id}"
    body = operation_outcome("informational", f"Export job {job.id} queued", severity="information")
    return FhirResponse(body, status_code=202, headers={"Content-Location": status_url})


_PARAMETER_VALUES = ("valueString", "valueCode", "valueInstant", "valueDateTime", "valueDate", "valueUri")


def _parameters(request: Request) -> list[tuple[str, str]]:
    """A POST kick-off's Parameters resource → (name, value) pairs, as the GET query would give them."""
    try:
        body = orjson.loads(posted_body(request))
    except orjson.JSONDecodeError:
        raise bad_request("A POST kick-off takes a Parameters resource (application/fhir+json)") from None
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise bad_request("A POST kick-off takes a Parameters resource (application/fhir+json)")
    pairs: list[tuple[str, str]] = []
    for parameter in body.get("parameter") or []:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise bad_request("Each parameter needs a name")
        reference = (parameter.get("valueReference") or {}).get("reference")
        value = reference or next((parameter[k] for k in _PARAMETER_VALUES if k in parameter), None)
        if not isinstance(value, str):
            raise bad_request(
                f"Parameter {parameter['name'][:40]} needs a string, code, instant or reference value"
            )
        pairs.append((parameter["name"], value))
    return [*_params(request), *pairs]


@router.get("/$export")  # no HEAD: a kick-off starts a job
@writes_on_get
def export_system(request: Request, db: DbSession, caller: Caller) -> Response:
    return _kick_off(request, db, caller, "system")


@router.post("/$export")
def export_system_post(request: Request, db: DbSession, caller: Caller) -> Response:
    return _kick_off(request, db, caller, "system", params=_parameters(request))


@router.post("/Patient/$export")
def export_patients_post(request: Request, db: DbSession, caller: Caller) -> Response:
    return _kick_off(request, db, caller, "patient", params=_parameters(request))


def _practice_group(db: Session, caller: Principal, group: str) -> None:
    if group != group_id(caller.practice_id):
        record(db, caller, "denied", "Group", group[:64], outcome="not-found")
        raise not_found(
            f"Group/{group[:64]} is not known; this practice's group is {group_id(caller.practice_id)}"
        )


@router.get("/Group/{group}/$export")  # no HEAD: a kick-off starts a job
@writes_on_get
def export_group(request: Request, group: str, db: DbSession, caller: Caller) -> Response:
    _practice_group(db, caller, group)
    return _kick_off(request, db, caller, "group", group)


@router.post("/Group/{group}/$export")
def export_group_post(request: Request, group: str, db: DbSession, caller: Caller) -> Response:
    _practice_group(db, caller, group)
    return _kick_off(request, db, caller, "group", group, params=_parameters(request))


def _expires(job: Any) -> dict[str, str]:
    return {"Expires": format_datetime(job.expires_at.astimezone(UTC), usegmt=True)} if job.expires_at else {}


@router.api_route("/bulk-status/{job_id}", methods=["GET", "HEAD"])
@writes_on_get  # a poll records when it came (429 for the next one too soon)
def export_status(request: Request, job_id: str, db: DbSession, caller: Caller) -> Response:
    job = bulk.job_for(db, caller, job_id)
    bulk.poll(db, job)
    if job.status in ("queued", "running"):
        headers = {"X-Progress": f"{job.progress}% ({job.status})", "Retry-After": RETRY_AFTER}
        return Response(status_code=202, headers=headers)
    if job.status == "failed":
        raise FhirError(500, "exception", f"Export failed: {job.error or 'unknown error'}")
    body = orjson.dumps(bulk.manifest(job, base_url(request)))
    return Response(body, media_type="application/json", headers=_expires(job))


@router.delete("/bulk-status/{job_id}")
def export_cancel(request: Request, job_id: str, db: DbSession, caller: Caller) -> Response:
    bulk.cancel(db, caller, job_id, request.app.state.settings)
    body = operation_outcome("informational", f"Export job {job_id} cancelled", severity="information")
    return FhirResponse(body, status_code=202)


@router.api_route("/bulk-files/{job_id}/{file_name}", methods=["GET", "HEAD"])
def export_file(request: Request, job_id: str, file_name: str, db: DbSession, caller: Caller) -> Response:
    job = bulk.job_for(db, caller, job_id)
    resource_type = file_name.removesuffix(".ndjson")
    path = bulk.output_file(request.app.state.settings, job, resource_type)
    if not path.is_file():
        raise not_found("The file of this export has been removed")
    record(db, caller, "export", "ExportFile", f"{job.id}/{resource_type}", detail="NDJSON download")
    return FileResponse(
        path,
        media_type=bulk.NDJSON,
        filename=file_name,
        content_disposition_type="attachment",
        headers=_expires(job),
    )


# ---------------------------------------------------------------------------------------------------
# SMART Backend Services: discovery and the token endpoint


def token_url(request: Request) -> str:
    return f"{base_url(request)}/auth/token"


@router.api_route("/.well-known/smart-configuration", methods=["GET", "HEAD"])
def smart_configuration(request: Request) -> Response:
    body = {
        "token_endpoint": token_url(request),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": smart_clients.ALGORITHMS,
        "scopes_supported": list(smart_clients.GRANTS),
        "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
    }
    return Response(orjson.dumps(body), media_type="application/json")


_TOKEN_ERRORS = {400: "invalid", 401: "login", 403: "forbidden"}


@router.post("/auth/token")
def token(request: Request, db: DbSession) -> Response:
    """client_credentials with a signed JWT assertion (SMART Backend Services) → a short-lived token."""
    request.state.fhir_db = db
    form = {key: value[:8000] for key, value in parse_qsl((posted_body(request)).decode("utf-8", "replace"))}
    try:
        issued = smart_clients.issue_token(db, form, token_url(request))
    except smart_clients.Refused as refused:
        headers = {"Cache-Control": "no-store"}
        if refused.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="asalee-track", error="invalid_client"'
        raise FhirError(
            refused.status, _TOKEN_ERRORS[refused.status], f"{refused.error}: {refused.message}", headers
        ) from None
    body = {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    return Response(
        orjson.dumps(body),
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# ---------------------------------------------------------------------------------------------------
# Every other readable type: read by id, search (by patient). Declared last: the paths above win.


@router.api_route("/{resource_type}/{resource_id}", methods=["GET", "HEAD"])
def read_resource(
    request: Request, resource_type: str, resource_id: str, db: DbSession, caller: Caller, catalog: CatalogDep
) -> Response:
    access.check_may_read(db, caller, resource_type)
    try:
        found = reads.read(db.connection(), caller.practice_id, resource_type, resource_id, catalog)
    except reads.Missing:
        record(db, caller, "denied", resource_type, resource_id[:64], outcome="not-found")
        raise not_found(f"{resource_type}/{resource_id[:64]} is not known in this practice") from None
    record(db, caller, "read", resource_type, resource_id, patient_id=found.patient_id, detail="FHIR read")
    return FhirResponse(found.resource)


@router.api_route("/{resource_type}", methods=["GET", "HEAD"])
def search_resources(
    request: Request, resource_type: str, db: DbSession, caller: Caller, catalog: CatalogDep
) -> Response:
    return _search(request, db, caller, resource_type, _params(request), catalog)


@router.post("/{resource_type}/_search")
def search_by_post(
    request: Request, resource_type: str, db: DbSession, caller: Caller, catalog: CatalogDep
) -> Response:
    """FHIR's POST search: the parameters in a form body (and the query string), same answer as GET."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise FhirError(
            415, "not-supported", "POST _search takes application/x-www-form-urlencoded parameters"
        )
    body = parse_qsl((posted_body(request)).decode("utf-8", "replace"), keep_blank_values=True)
    return _search(request, db, caller, resource_type, [*_params(request), *body], catalog)


# ---------------------------------------------------------------------------------------------------
# Anything else under /fhir: an OperationOutcome, never the HTML 404 page


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def unknown(request: Request, rest: str) -> Response:
    path = request.url.path
    if any(r is not catch_all and r.path_regex.match(path) for r in router.routes if isinstance(r, APIRoute)):
        return outcome_response(
            405, "not-supported", f"{request.method} is not supported on /fhir/{rest[:200]}"
        )
    return outcome_response(
        404, "not-supported", f"/fhir/{rest[:200]} is not implemented here; see /fhir/metadata"
    )


catch_all = router.routes[-1]
