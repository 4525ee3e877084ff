"""The yearly cooperation report (page and CSV for French Excel), the adverse-event register and the
record of a patient's refusal of a pathway."""

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track import i18n
from asalee_track.care import cooperation, patients, register
from asalee_track.care.cooperation import DEFINITIONS, PathwayYear
from asalee_track.care.errors import Invalid
from asalee_track.protocols import Protocol, ProtocolSet
from asalee_track.protocols.units import format_number
from asalee_track.web.deps import Clinician, CurrentActor, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, render, request_locale

router = APIRouter()


def _year(text: str) -> int:
    today = i18n.local_today()
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= today.year else today.year


def _share(share: tuple[int, int] | None, locale: str) -> str:
    if share is None:
        return ""
    part, whole = share
    if not whole:
        return f"{part} / {whole}"
    return f"{part} / {whole} ({format_number(100 * part / whole, locale, 0)} %)"


def _counts(counts: dict[str, int]) -> str:
    return "; ".join(f"{label} : {count}" for label, count in counts.items()) or "0"


def lines(figures: PathwayYear, protocol: Protocol, locale: str) -> list[tuple[str, str]]:
    """(definition key, value as shown) for each figure that applies to the pathway."""
    gettext = i18n.gettext
    acts = {a.id: a.label.get(locale) for a in protocol.delegated_acts}
    rows = [
        ("enrolled", str(figures.enrolled)),
        ("new_enrolments", str(figures.new_enrolments)),
        ("seen", str(figures.seen)),
        ("sessions", str(figures.sessions)),
        ("workshops", f"{figures.workshops} ({figures.workshop_attendances})"),
        ("minutes", str(figures.minutes)),
        ("acts", _counts({acts.get(k, k): v for k, v in figures.acts.items()})),
        (
            "alerts",
            gettext("%(raised)s raised, %(ack)s acknowledged, %(yes)s relevant / %(no)s not relevant")
            % {
                "raised": figures.alerts_raised,
                "ack": figures.alerts_acknowledged,
                "yes": figures.alerts_relevant,
                "no": figures.alerts_not_relevant,
            },
        ),
        ("adverse_events", str(figures.adverse_events)),
        ("refusals", f"{sum(figures.refusals.values())} — {_counts(figures.refusals)}"),
        ("exits", f"{sum(figures.exits.values())} — {_counts(figures.exits)}"),
    ]
    if figures.hba1c_bands is not None:
        rows.append(("hba1c_bands", " / ".join(str(n) for n in figures.hba1c_bands)))
        rows.append(("hba1c_anniversary", _share(figures.hba1c_anniversary, locale)))
    if figures.bp_high_at_enrolment is not None:
        value = f"{_share(figures.bp_high_at_enrolment, locale)} → {_share(figures.bp_high_after, locale)}"
        rows.append(("bp_high", value))
    if figures.smoking_cessation is not None:
        rows.append(("smoking_cessation", _share(figures.smoking_cessation, locale)))
    if figures.spirometry_patients is not None:
        obstructed, measured = figures.spirometry_patients
        rows.append(
            (
                "spirometries",
                gettext("%(acts)s acts; %(measured)s patients, %(obstructed)s below 0.7")
                % {"acts": figures.spirometry_acts, "measured": measured, "obstructed": obstructed},
            )
        )
    if figures.cognitive is not None:
        screened, positive, referred = figures.cognitive
        rows.append(
            (
                "cognitive",
                gettext("%(screened)s screened, %(positive)s positive, %(referred)s referred")
                % {"screened": screened, "positive": positive, "referred": referred},
            )
        )
    return rows


def _explained(rows: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """(key, label, value, definition), translated here: the texts hold "%" signs that the templates'
    gettext would take for placeholders."""
    return [
        (key, i18n.gettext(DEFINITIONS[key][0]), value, i18n.gettext(DEFINITIONS[key][1]))
        for key, value in rows
    ]


def _selected(report: cooperation.YearReport, protocols: ProtocolSet, protocol_id: str) -> list[PathwayYear]:
    return [p for p in report.pathways if not protocol_id or p.protocol_id == protocol_id]


@router.get("/reports/cooperation")
def cooperation_page(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    protocols: Protocols,
    year: str = "",
    protocol_id: str = "",
) -> Response:
    chosen = _year(year)
    locale = request_locale(request)
    report = cooperation.yearly(db, actor, protocols, chosen)
    sections = [
        (protocols[p.protocol_id], _explained(lines(p, protocols[p.protocol_id], locale)))
        for p in _selected(report, protocols, protocol_id)
    ]
    return render(
        request,
        "reports/cooperation.html",
        {
            "report": report,
            "sections": sections,
            "year": chosen,
            "protocol_id": protocol_id,
            "protocols": protocols,
        },
    )


@router.get("/reports/cooperation.csv")
def cooperation_csv(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    protocols: Protocols,
    year: str = "",
    protocol_id: str = "",
) -> Response:
    chosen = _year(year)
    locale = request_locale(request)
    report = cooperation.yearly(db, actor, protocols, chosen)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    gettext = i18n.gettext
    writer.writerow([gettext("Pathway"), gettext("Indicator"), gettext("Value"), gettext("Definition")])
    for figures in _selected(report, protocols, protocol_id):
        protocol = protocols[figures.protocol_id]
        for _key, label, value, definition in _explained(lines(figures, protocol, locale)):
            writer.writerow([protocol.title.get(locale), label, value, definition])
    writer.writerow(
        [
            gettext("All pathways"),
            gettext("Adverse events"),
            report.adverse_events_unlinked,
            gettext("Events of the register linked to no pathway."),
        ]
    )
    filename = f"rapport-cooperation-{chosen}.csv"
    # The BOM tells Excel the file is UTF-8; without it, accents come out garbled.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _typed(request: Request) -> dict[str, str]:
    return typed_values(posted(request))


def _events_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "reports/adverse_events.html",
        {
            "events": register.adverse_events(db, actor),
            "protocols": protocols,
            "values": values or {"occurred_on": i18n.local_today().isoformat()},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/adverse-events")
def adverse_events(request: Request, db: DbSession, actor: Clinician, protocols: Protocols) -> Response:
    return _events_page(request, db, actor, protocols)


@router.post("/adverse-events")
def report_adverse_event(request: Request, db: DbSession, actor: Clinician, protocols: Protocols) -> Response:
    typed = _typed(request)
    try:
        register.report_adverse_event(db, actor, protocols, typed, i18n.local_today())
    except Invalid as refused:
        return _events_page(request, db, actor, protocols, typed, field_errors(request, refused), 422)
    return RedirectResponse("/adverse-events", status_code=303)


@router.post("/patients/{patient_id}/refusals")
def record_refusal(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    typed = _typed(request)
    try:
        register.record_refusal(db, actor, protocols, patient_id, typed, i18n.local_today())
    except Invalid as refused:
        patient = patients.get(db, actor, patient_id)
        return render(
            request,
            "reports/refusal.html",
            {
                "patient": patient,
                "protocols": protocols,
                "values": typed,
                "errors": field_errors(request, refused),
            },
            422,
        )
    return RedirectResponse(f"/patients/{patient_id}?refused=1", status_code=303)
