"""Importing patients: upload, check (dry run), then import all or nothing."""

import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from asalee_track import i18n
from asalee_track.care import imports
from asalee_track.care.patients import parse_date
from asalee_track.web.deps import Clinician, DbSession
from asalee_track.web.forms import posted
from asalee_track.web.rendering import render

router = APIRouter(prefix="/patients/import")
MAX_BYTES = 5 * 1024 * 1024
FIELD_LABELS = {
    "family_name": i18n.N_("Family name"),
    "given_names": i18n.N_("Given names"),
    "birth_date": i18n.N_("Birth date"),
    "sex": i18n.N_("Sex"),
    "ins": i18n.N_("INS"),
    "phone": i18n.N_("Phone"),
    "local_id": i18n.N_("Local identifier"),
    "referring_gp_id": i18n.N_("Referring GP"),
}


def _t(message: tuple[str, dict[str, object]]) -> str:
    text, params = message
    return i18n.gettext(text) % params if params else i18n.gettext(text)


@router.get("")
def import_form(request: Request, actor: Clinician) -> Response:
    return render(request, "patients/import.html", {"report": None, "error": None})


def _content(request: Request) -> tuple[bytes, str]:
    """The uploaded file, or (confirming a checked import) the same bytes carried back in the form."""
    form = posted(request)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.file.read(MAX_BYTES + 1), upload.filename
    try:
        return base64.b64decode(str(form.get("content", "")), validate=True), str(form.get("filename", ""))
    except binascii.Error:
        return b"", ""


@router.post("")
def import_patients(request: Request, db: DbSession, actor: Clinician) -> Response:
    form = posted(request)
    dry_run = form.get("mode") != "import"
    data, filename = _content(request)
    try:
        if not data:
            raise imports.Unreadable(i18n.N_("Choose a file to import."))
        if len(data) > MAX_BYTES:
            raise imports.Unreadable(
                i18n.N_("The file is larger than %(mb)s MB."), {"mb": MAX_BYTES // 2**20}
            )
        reader = imports.read_fhir_bundle if data.lstrip()[:1] == b"{" else imports.read_csv
        report = imports.import_patients(db, actor, reader(data), dry_run=dry_run)
    except imports.Unreadable as unreadable:
        return render(request, "patients/import.html", {"report": None, "error": _t(unreadable.message)}, 422)
    refusals = [
        (_t(r.entry), i18n.gettext(FIELD_LABELS.get(r.field, r.field)), _t(r.message))
        for r in report.refusals
    ]
    return render(
        request,
        "patients/import.html",
        {
            "report": report,
            "dry_run": dry_run,
            "refusals": refusals,
            "error": None,
            "labels": [_t(entry.label) for entry in report.entries],
            # Shown as the patient's record will show them: "1 juillet 1957", not the file's 01/07/1957.
            "birth_dates": [parse_date(entry.values.get("birth_date", "")) for entry in report.entries],
            "content": base64.b64encode(data).decode(),
            "filename": filename,
        },
        200 if report.ok else 422,
    )
