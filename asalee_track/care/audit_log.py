"""The audit log as a practice's admin reads it: who (a name), did what (in words), to whose record (a
name), with what outcome, and the detail with its labels and units; filtered, paged, and exported as a
CSV for Excel.

The chain (care/audit.py) keeps terse English codes, hashed as they were written and never rewritten;
they are put into words here, when they are read, in the reader's language. A detail this module does
not recognise is shown as it was recorded rather than hidden.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from babel import dates
from babel.support import NullTranslations
from sqlmodel import Session, col, func, select

from asalee_track.care import audit, identity_status, lab_wording
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.patients import name_matches, parse_date
from asalee_track.i18n import N_, TIMEZONE, translations
from asalee_track.protocols import Measure, ProtocolSet, parse_duration
from asalee_track.protocols.rules import format_duration
from asalee_track.protocols.units import format_value
from asalee_track.store.tables import AuditEvent, Membership, Patient, User

PAGE_SIZE = 50

# The filter's choices, as nouns (a list of kinds of event).
ACTIONS = {
    "read": N_("Record viewed"),
    "search": N_("Patient search"),
    "create": N_("Creation"),
    "update": N_("Change"),
    "import": N_("Import of patients"),
    "export": N_("Export"),
    "login": N_("Login"),
    "logout": N_("Logout"),
    "denied": N_("Access refused"),
}

# What was done, as a verb phrase after the user's name; %(object)s names what it was done to.
VERBS = {
    "read": N_("viewed %(object)s"),
    "search": N_("searched %(object)s"),
    "create": N_("created %(object)s"),
    "update": N_("changed %(object)s"),
    "import": N_("imported %(object)s"),
    "export": N_("exported %(object)s"),
    "denied": N_("was refused %(object)s"),
}
# Events that concern the account itself read better as a noun.
ACCOUNT_EVENTS = {"login": N_("logged in"), "logout": N_("logged out")}

OBJECTS = {
    "Patient": N_("the patient record"),
    "Encounter": N_("a session"),
    "Flag": N_("an alert"),
    "Enrolment": N_("an enrolment in a pathway"),
    "CarePlan": N_("the care plan"),
    "Goal": N_("a goal"),
    "Consent": N_("a consent"),
    "Concertation": N_("a concertation"),
    "AdverseEvent": N_("an adverse event"),
    "Observation": N_("a measure"),
    "LabReport": N_("a lab file"),
    "LabResult": N_("a lab result"),
    "LabMapping": N_("the lab mapping table"),
    "ApiToken": N_("an API token"),
    "SmartClient": N_("a FHIR client"),
    "SmartAccessToken": N_("a FHIR access token"),
    "ExportJob": N_("a FHIR export"),
    "ExportFile": N_("a FHIR export file"),
    "Group": N_("a patient group"),
    "Practice": N_("the practice"),
    "AuditEvent": N_("the audit log"),
    "user": N_("an account"),
    "demo": N_("the demo data"),
}

OUTCOMES = {
    "success": N_("done"),
    "failure": N_("failed"),
    "not-found": N_("refused (not found in the practice)"),
    "forbidden": N_("refused (role)"),
    "refused": N_("refused"),
    "rate-limited": N_("refused (too many attempts)"),
    "revoked": N_("refused (revoked token)"),
    "unknown-token": N_("refused (unknown token)"),
}

FIELDS = {
    "family_name": N_("Family name"),
    "given_names": N_("Given names"),
    "birth_date": N_("Birth date"),
    "sex": N_("Sex"),
    "birth_place_insee": N_("Birth place (INSEE code)"),
    "used_name": N_("Used name"),
    "used_given_name": N_("Used given name"),
    "ins": "INS",
    "local_id": N_("Local identifier"),
    "referring_gp_id": N_("Referring GP"),
    "phone": N_("Phone"),
}

CSV_HEADERS = (N_("Date and time"), N_("User"), N_("Action"), N_("Patient"), N_("Outcome"), N_("Detail"))


@dataclass(frozen=True)
class LogFilters:
    patient: str = ""  # part of a patient's name, accents and case ignored
    user_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None  # included

    def query_string(self) -> str:
        """The filters as the page's links carry them (the pager, the CSV export)."""
        return urlencode(
            {
                "patient": self.patient,
                "user": self.user_id or "",
                "action": self.action,
                "since": self.since.isoformat() if self.since else "",
                "until": self.until.isoformat() if self.until else "",
            }
        )


@dataclass(frozen=True)
class LogLine:
    at: datetime
    user: str
    action: str
    patient: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class LogPage:
    lines: list[LogLine]
    total: int
    page: int
    pages: int
    users: list[tuple[int, str]] = field(default_factory=list)


def parse_filters(raw: Mapping[str, str]) -> LogFilters:
    """The filters as typed; a date that cannot be read, or a period that ends before it starts, is
    refused with its message (the page then shows nothing rather than a wrong period)."""
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    dates: dict[str, date | None] = {}
    for name in ("since", "until"):
        text = raw.get(name, "").strip()
        dates[name] = parse_date(text) if text else None
        if text and dates[name] is None:
            errors[name] = (N_("Enter a date as dd/mm/yyyy."), {})
    since, until = dates["since"], dates["until"]
    if since and until and until < since:
        errors["until"] = (N_("The end of the period is before its start."), {})
    user_text = raw.get("user", "").strip()
    user_id = int(user_text) if user_text.isdigit() and len(user_text) < 10 else None
    if user_text and user_id is None:
        errors["user"] = (N_("Choose a user of the practice."), {})
    action = raw.get("action", "").strip()
    if action and action not in ACTIONS:
        errors["action"] = (N_("Choose an action from the list."), {})
    if errors:
        raise Invalid(errors)
    return LogFilters(
        patient=raw.get("patient", "").strip()[:100], user_id=user_id, action=action, since=since, until=until
    )


def practice_users(db: Session, actor: Actor) -> list[tuple[int, str]]:
    """The practice's members, by name, for the user filter."""
    rows = db.exec(
        select(User.id, User.display_name)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.practice_id == actor.practice_id)
        .order_by(User.display_name)
    ).all()
    return [(user_id, name) for user_id, name in rows if user_id is not None]


def _query(actor: Actor, filters: LogFilters):  # type: ignore[no-untyped-def]
    """The practice's events that pass the filters: never another practice's."""
    query = select(AuditEvent).where(AuditEvent.practice_id == actor.practice_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.user_id:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.since:
        query = query.where(AuditEvent.at >= _day_start(filters.since))
    if filters.until:
        query = query.where(AuditEvent.at < _day_start(filters.until + timedelta(days=1)))
    names = name_matches(filters.patient)
    if names:
        patients = select(Patient.id).where(Patient.practice_id == actor.practice_id, *names)
        query = query.where(col(AuditEvent.patient_id).in_(patients))
    return query


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE)


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden()


def page(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    filters: LogFilters,
    number: int,
    locale: str,
    size: int = PAGE_SIZE,
) -> LogPage:
    """One page of the practice's log, newest first, in words."""
    _require_admin(actor)
    query = _query(actor, filters)
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // size))
    number = max(1, min(number, pages))
    rows = db.exec(query.order_by(col(AuditEvent.id).desc()).offset((number - 1) * size).limit(size)).all()
    lines = Wording(db, actor, protocols, locale).lines(rows)
    return LogPage(lines, total, number, pages, practice_users(db, actor))


def export_csv(db: Session, actor: Actor, protocols: ProtocolSet, filters: LogFilters, locale: str) -> str:
    """Every event that passes the filters, for Excel: ``;`` between columns, a BOM so that Excel reads
    UTF-8, headers in the reader's language. The export is itself an audited event."""
    _require_admin(actor)
    wording = Wording(db, actor, protocols, locale)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([wording.gettext(header) for header in CSV_HEADERS])
    count, last_id = 0, None
    query = _query(actor, filters).order_by(col(AuditEvent.id).desc())
    while True:  # in batches: the names of each batch are fetched together
        batch = query if last_id is None else query.where(col(AuditEvent.id) < last_id)
        rows = db.exec(batch.limit(2000)).all()
        if not rows:
            break
        for line in wording.lines(rows):
            writer.writerow(
                [wording.when(line.at), line.user, line.action, line.patient, line.outcome, line.detail]
            )
        count += len(rows)
        last_id = rows[-1].id
    audit.record(db, actor, "export", "AuditEvent", detail=f"CSV: {count} events")
    return "\ufeff" + out.getvalue()


class Wording:
    """Puts events into words in one language; names of users and patients are fetched once a batch."""

    def __init__(self, db: Session, actor: Actor, protocols: ProtocolSet, locale: str) -> None:
        self.db = db
        self.actor = actor
        self.protocols = protocols
        self.locale = locale
        self.translations = translations(locale)
        self.measures: dict[str, Measure] = {m.id: m for p in reversed(protocols.all()) for m in p.measures}
        self.user_names: dict[int, str] = {}
        self.patient_names: dict[str, str] = {}

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def when(self, moment: datetime) -> str:
        return dates.format_datetime(moment, "short", tzinfo=TIMEZONE, locale=self.locale)

    def lines(self, events: Sequence[AuditEvent]) -> list[LogLine]:
        self._fetch_names(events)
        return [self.line(event) for event in events]

    def _fetch_names(self, events: Iterable[AuditEvent]) -> None:
        user_ids = {e.user_id for e in events if e.user_id is not None} - set(self.user_names)
        if user_ids:
            found = self.db.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids))).all()
            self.user_names.update({user_id: name for user_id, name in found if user_id is not None})
        patient_ids = {e.patient_id for e in events if e.patient_id} - set(self.patient_names)
        if patient_ids:
            found_patients = self.db.exec(
                select(Patient.id, Patient.family_name, Patient.given_names).where(
                    col(Patient.id).in_(patient_ids), Patient.practice_id == self.actor.practice_id
                )
            ).all()
            self.patient_names.update(
                {pid: f"{family.upper()} {given}" for pid, family, given in found_patients}
            )

    def line(self, event: AuditEvent) -> LogLine:
        return LogLine(
            at=event.at,
            user=self._user(event),
            action=self.action(event),
            patient=self._patient(event.patient_id),
            outcome=self.gettext(OUTCOMES.get(event.outcome, event.outcome)),
            detail=self.detail(event),
        )

    def _user(self, event: AuditEvent) -> str:
        if event.user_id is None:
            if event.action == "login" and event.object_id:
                return self.gettext(N_("unknown account (%(email)s)")) % {"email": event.object_id}
            return self.gettext(N_("a system (no user)"))
        return self.user_names.get(event.user_id) or self.gettext(N_("removed account"))

    def _patient(self, patient_id: str | None) -> str:
        if not patient_id:
            return ""
        return self.patient_names.get(patient_id) or self.gettext(N_("unknown patient"))

    def action(self, event: AuditEvent) -> str:
        if event.action in ACCOUNT_EVENTS:
            return self.gettext(ACCOUNT_EVENTS[event.action])
        if event.action == "search" and event.object_type == "Patient":
            return self.gettext(N_("searched for patients"))
        if event.object_type.startswith("/"):  # a refused page: its route is the object
            thing = self.gettext(N_("the page %(path)s")) % {"path": event.object_type}
        elif event.object_type in OBJECTS:
            thing = self.gettext(OBJECTS[event.object_type])
        else:  # a FHIR resource type read through the API
            thing = self.gettext(N_("a FHIR resource %(type)s")) % {"type": event.object_type}
        verb = VERBS.get(event.action)
        return self.gettext(verb) % {"object": thing} if verb else f"{event.action} {thing}"

    def detail(self, event: AuditEvent) -> str:
        return _worded(self, event.detail) if event.detail else ""

    # -- details --------------------------------------------------------------------------------------

    def measure_label(self, measure_id: str) -> str:
        measure = self.measures.get(measure_id)
        return measure.label.get(self.locale) if measure else measure_id

    def value(self, measure_id: str, text: str) -> str:
        if text in ("None", "", "-"):
            return "—"
        measure = self.measures.get(measure_id)
        number = float(text)
        return format_value(number, measure, self.locale) if measure else text

    def protocol_title(self, protocol_id: str) -> str:
        return (
            self.protocols[protocol_id].title.get(self.locale)
            if protocol_id in self.protocols
            else protocol_id
        )

    def words(self, message: str, **values: object) -> str:
        return self.gettext(message) % values if values else self.gettext(message)


def _target(w: Wording, m: re.Match[str]) -> str:
    measure, low, high, reason = m["measure"], m["low"], m["high"], m["reason"]
    return w.words(
        N_("Personal target %(measure)s: %(low)s → %(high)s (reason: %(reason)s)"),
        measure=w.measure_label(measure),
        low=w.value(measure, low),
        high=w.value(measure, high),
        reason=reason,
    )


def _interval(w: Wording, m: re.Match[str]) -> str:
    every = format_duration(parse_duration(m["every"]), w.locale)
    return w.words(
        N_("Personal interval %(measure)s: %(every)s (reason: %(reason)s)"),
        measure=w.measure_label(m["measure"]),
        every=every,
        reason=m["reason"],
    )


def _changed(w: Wording, m: re.Match[str]) -> str:
    names = ", ".join(w.gettext(FIELDS.get(f.strip(), f.strip())) for f in m["fields"].split(","))
    text = w.words(N_("changed: %(fields)s"), fields=names)
    if m["identity"]:
        text += " ; " + w.words(N_("identity back to provisional"))
    return text


def _enrolled(w: Wording, m: re.Match[str]) -> str:
    methods = {"oral": N_("oral"), "written": N_("written")}
    return w.words(
        N_("%(pathway)s (version %(version)s), %(method)s consent on %(date)s"),
        pathway=w.protocol_title(m["protocol"]),
        version=m["version"],
        method=w.gettext(methods.get(m["method"], m["method"])),
        date=_date(w, m["date"]),
    )


def _date(w: Wording, text: str) -> str:
    return dates.format_date(date.fromisoformat(text), "medium", locale=w.locale)


def _session(w: Wording, m: re.Match[str]) -> str:
    pathways = ", ".join(w.protocol_title(p.strip()) for p in m["pathways"].split(",") if p.strip())
    measures = w.translations.ngettext("%(num)d measure", "%(num)d measures", int(m["measures"]))
    questionnaires = w.translations.ngettext(
        "%(num)d questionnaire", "%(num)d questionnaires", int(m["questionnaires"])
    )
    return ", ".join(
        [
            measures % {"num": int(m["measures"])},
            questionnaires % {"num": int(m["questionnaires"])},
            w.words(N_("pathways: %(pathways)s"), pathways=pathways),
        ]
    )


def _count(plural: Callable[[NullTranslations, int], str]) -> Callable[[Wording, re.Match[str]], str]:
    """``plural`` calls ``ngettext`` itself, so that the messages are extracted for the catalog."""

    def word(w: Wording, m: re.Match[str]) -> str:
        number = int(m["n"])
        return plural(w.translations, number) % {"num": number}

    return word


def _fixed(message: str) -> Callable[[Wording, re.Match[str]], str]:
    return lambda w, _m: w.gettext(message)


def _with_reason(message: str) -> Callable[[Wording, re.Match[str]], str]:
    def word(w: Wording, m: re.Match[str]) -> str:
        reason = m["reason"]  # a reason the app itself gave is a message of the catalog
        return w.words(message, reason=w.gettext(reason))

    return word


def _acknowledged(w: Wording, m: re.Match[str]) -> str:
    relevance = {"yes": N_("relevant"), "no": N_("not relevant"), "-": N_("relevance not given")}
    given = m["relevant"]
    return w.words(N_("acknowledged, %(relevance)s"), relevance=w.gettext(relevance[given]))


def _enrolment_change(w: Wording, m: re.Match[str]) -> str:
    changes = {"pause": N_("paused"), "resume": N_("resumed"), "end": N_("ended")}
    action = m["action"]
    change = w.gettext(changes[action])
    return w.words(N_("%(change)s: %(reason)s"), change=change, reason=m["reason"]) if m["reason"] else change


def _rule_or_pathway(w: Wording, m: re.Match[str]) -> str:
    """An alert's rule (its message) or, for a refusal of consent, the pathway refused."""
    if m["id"] in w.protocols:
        return w.protocol_title(m["id"])
    for protocol in w.protocols.all():
        for rule in protocol.escalation:
            if rule.id == m["id"]:
                return w.words(N_("rule: %(rule)s"), rule=rule.message.get(w.locale))
    return m["id"]


def _lab_file(w: Wording, m: re.Match[str]) -> str:
    counts = [part.rsplit(" ", 1) for part in m["counts"].split(", ")]
    said = [f"{lab_wording.outcome(name, w.locale)} : {count}" for name, count in counts if count != "0"]
    return w.words(N_("file %(file)s: %(counts)s"), file=m["file"], counts=", ".join(said) or "0")


def _identity(w: Wording, m: re.Match[str]) -> str:
    before, after = (w.gettext(identity_status.LABELS.get(m[k], m[k])) for k in ("before", "after"))
    document = m["document"]
    if document:
        shown = w.gettext(identity_status.DOCUMENTS.get(document, document))
        return w.words(
            N_("checked on %(document)s: %(before)s → %(after)s"), document=shown, before=before, after=after
        )
    return w.words(N_("INSi answer: %(before)s → %(after)s"), before=before, after=after)


def _goal_status(w: Wording, m: re.Match[str]) -> str:
    statuses = {"in-progress": N_("in progress"), "achieved": N_("achieved"), "abandoned": N_("abandoned")}
    status = m["status"]
    return w.gettext(statuses[status])


def _snoozed(w: Wording, m: re.Match[str]) -> str:
    return w.words(
        N_("reminders snoozed until %(date)s: %(reason)s"), date=_date(w, m["date"]), reason=m["reason"]
    )


def _through_api(w: Wording, m: re.Match[str]) -> str:
    """An access by another system: which token or client, then what it did."""
    kind = m["kind"]
    who = (
        w.words(N_("API token no. %(n)s"), n=m["n"])
        if kind == "api token"
        else w.words(N_("FHIR client no. %(n)s"), n=m["n"])
    )
    rest = m["rest"]
    return f"{who} ; {_worded(w, rest)}" if rest else who


_DETAILS: list[tuple[re.Pattern[str], Callable[[Wording, re.Match[str]], str]]] = [
    (re.compile(r"(?P<kind>api token|smart client) (?P<n>\d+)(?:; (?P<rest>.*))?", re.S), _through_api),
    (
        re.compile(
            r"(?P<measure>[\w-]+): (?P<low>None|-?[\d.]+) – (?P<high>None|-?[\d.]+) \((?P<reason>.*)\)", re.S
        ),
        _target,
    ),
    (re.compile(r"(?P<measure>[\w-]+): every (?P<every>P\w+) \((?P<reason>.*)\)", re.S), _interval),
    (re.compile(r"changed: (?P<fields>[\w, ]+?)(?P<identity>; identity \S+ -> provisoire)?"), _changed),
    (
        re.compile(
            r"(?P<protocol>[\w-]+) (?P<version>\S+), consent (?P<method>\w+) (?P<date>\d{4}-\d\d-\d\d)"
        ),
        _enrolled,
    ),
    (
        re.compile(
            r"(?P<measures>\d+) measures, (?P<questionnaires>\d+) questionnaires, pathways (?P<pathways>.*)"
        ),
        _session,
    ),
    (re.compile(r"closed: (?P<reason>.*)", re.S), _with_reason(N_("closed: %(reason)s"))),
    (re.compile(r"entered-in-error: (?P<reason>.*)", re.S), _with_reason(N_("entered in error: %(reason)s"))),
    (re.compile(r"rejected: (?P<reason>.*)", re.S), _with_reason(N_("rejected: %(reason)s"))),
    (re.compile(r"acknowledged, relevant: (?P<relevant>yes|no|-)"), _acknowledged),
    (re.compile(r"(?P<action>pause|resume|end)(?:: (?P<reason>.*))?", re.S), _enrolment_change),
    (
        re.compile(r"version (?P<n>\d+) supersedes \S+"),
        lambda w, m: w.words(N_("version %(n)s replaces the previous one"), n=m["n"]),
    ),
    (re.compile(r"(?P<n>\d+) found"), _count(lambda t, n: t.ngettext("%(num)d found", "%(num)d found", n))),
    (
        re.compile(r"(?P<n>\d+) patients imported"),
        _count(lambda t, n: t.ngettext("%(num)d patient imported", "%(num)d patients imported", n)),
    ),
    (
        re.compile(r"CSV: (?P<n>\d+) events"),
        _count(lambda t, n: t.ngettext("CSV file: %(num)d event", "CSV file: %(num)d events", n)),
    ),
    (re.compile(r"shown in a search"), _fixed(N_("shown in a search's results"))),
    (re.compile(r"patient added"), _fixed(N_("patient added to the concertation"))),
    (re.compile(r"decision recorded"), _fixed(N_("decision recorded"))),
    (re.compile(r"password changed"), _fixed(N_("password changed"))),
    (re.compile(r"revoked"), _fixed(N_("revoked"))),
    (re.compile(r"workshop"), _fixed(N_("group workshop"))),
    (re.compile(r"lab"), _fixed(N_("from a lab result"))),
    (re.compile(r"FHIR read"), _fixed(N_("through the FHIR API"))),
    (
        re.compile(r"all sessions \((?P<n>\d+)\)"),
        _count(lambda t, n: t.ngettext("%(num)d session ended", "%(num)d sessions ended", n)),
    ),
    (re.compile(r"session \S+ ended"), _fixed(N_("one session ended"))),
    (re.compile(r"v(?P<n>\d+)"), lambda w, m: w.words(N_("version %(n)s"), n=m["n"])),
    (
        re.compile(r"(?P<n>\d+) files listed"),
        _count(lambda t, n: t.ngettext("%(num)d lab file listed", "%(num)d lab files listed", n)),
    ),
    (
        re.compile(r"(?P<n>\d+) rows listed"),
        _count(lambda t, n: t.ngettext("%(num)d mapping listed", "%(num)d mappings listed", n)),
    ),
    (
        re.compile(r"review queue: (?P<n>\d+) results"),
        _count(lambda t, n: t.ngettext("%(num)d result to review", "%(num)d results to review", n)),
    ),
    (
        re.compile(
            r"(?P<file>.*): (?P<counts>imported \d+, known \d+, review \d+, not-followed \d+, refused \d+)"
        ),
        _lab_file,
    ),
    (
        re.compile(
            r"(?:identity checked on (?P<document>\w+)|INSi answer recorded): "
            r"(?P<before>\w+) -> (?P<after>\w+)"
        ),
        _identity,
    ),
    (re.compile(r"(?P<status>in-progress|achieved|abandoned)"), _goal_status),
    (re.compile(r"reminders snoozed until (?P<date>\d{4}-\d\d-\d\d): (?P<reason>.*)", re.S), _snoozed),
    (re.compile(r"FHIR \$everything"), _fixed(N_("whole record, through the FHIR API"))),
    (
        re.compile(r"FHIR (?P<type>\w+) search: (?P<n>\d+) found"),
        _count(lambda t, n: t.ngettext("FHIR search: %(num)d found", "FHIR search: %(num)d found", n)),
    ),
    (re.compile(r"NDJSON download"), _fixed(N_("NDJSON file downloaded"))),
    (re.compile(r"cancelled"), _fixed(N_("cancelled"))),
    (
        re.compile(r"deactivated, (?P<n>\d+) sessions ended"),
        _count(
            lambda t, n: t.ngettext(
                "account closed, %(num)d session ended", "account closed, %(num)d sessions ended", n
            )
        ),
    ),
    (
        re.compile(r"(?P<n>\d+) demo patients"),
        _count(lambda t, n: t.ngettext("%(num)d demo patient", "%(num)d demo patients", n)),
    ),
    (re.compile(r"(?P<id>[a-z0-9]+(?:-[a-z0-9]+)+)"), _rule_or_pathway),
]


def _worded(w: Wording, text: str) -> str:
    for pattern, word in _DETAILS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return word(w, match)
            except (KeyError, ValueError):  # a shape this version did not foresee
                return text
    return text
