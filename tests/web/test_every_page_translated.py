"""A rule of the house: every page speaks one language. Each page the app serves by GET (the list comes
from the app's routes, so a new page cannot escape it) is rendered as a nurse, a GP and an admin, over a
practice with a little of everything, in French and in English:

- in French, no text is an English message of the catalog, and no internal code (``success``,
  ``None``, ``user 4``) or English sentence is shown;
- in English, no French month or day name, and no French message of the catalog;
- in either, no word is doubled ("due due Nov 30").
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from asalee_track.care import register
from asalee_track.i18n import LOCALES_DIR
from asalee_track.store.db import transaction
from asalee_track.store.tables import (
    Alert,
    CareSession,
    ConcertationItem,
    LabReport,
    LabResult,
    PatientGoal,
    Workshop,
)
from tests.conftest import Browser
from tests.labs.conftest import SAMPLES as LAB_SAMPLES
from tests.web.test_access import FHIR_PREFIX, app_routes
from tests.web.test_sessions import local, session_form

# GET routes left out, each with its reason.
EXCLUDED = {
    "/": "only redirects to the reader's first page (the worklist or the dashboard), checked there",
}
# The FHIR API, for other systems: JSON whose codes the specification fixes, not pages for people.
SKIPPED_PREFIXES = (FHIR_PREFIX,)

# Internal codes that must never reach a French page as such.
CODES = re.compile(
    r"\b(None|True|False|success|denied|not-found|entered-in-error|in-progress|rate-limited"
    r"|acknowledged|follow-up|user \d+)\b"
)
# Words of English sentences, that no French page has reason to show (a detail left in English).
ENGLISH_WORDS = re.compile(r"\b(the|of|and|with|from|listed|found|queue|results|known|supersedes|until)\b")
FRENCH_DATES = re.compile(
    r"\b(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"
    r"|\b(janv|févr|avr|juil|sept|oct|nov|déc)\.",
    re.IGNORECASE,
)
# Babel writes "1 déc. 2026": an ordinal before an abbreviated month ("1er déc.") is not from it. Prose
# keeps the ordinal ("du 1er janvier au 31 décembre").
ORDINAL_DAY = re.compile(r"\b1er (janv|févr|avr|juil|sept|oct|nov|déc)\.")
DOUBLED = re.compile(r"\b(\w{2,})\s+\1\b", re.IGNORECASE)
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
LINES = ("td", "th", "li", "p", "dd", "dt", "h1", "h2", "h3", "label", "button", "a", "option")


def _catalog() -> list[tuple[str, str]]:
    """(English, French) pairs of the catalog that differ, plural forms included."""
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs.extend((en, fr) for en, fr in zip(ids, strings, strict=False) if fr and en != fr)
    return pairs


def _pattern(message: str) -> re.Pattern[str]:
    """A message as a whole text: its placeholders stand for anything."""
    parts = re.split(r"%\(\w+\)[sd]|%[sd]", message)
    return re.compile(".+".join(re.escape(part) for part in parts), re.S)


def _has_letters(message: str) -> bool:
    """Words of its own, beside its placeholders: ``%(change)s: %(reason)s`` would match any text."""
    return sum(ch.isalpha() for ch in re.sub(r"%\(\w+\)[sd]", "", message)) >= 3


PAIRS = _catalog()
ENGLISH = [_pattern(en) for en, _fr in PAIRS if _has_letters(en)]
FRENCH = [_pattern(fr) for _en, fr in PAIRS if _has_letters(fr)]
# A sentence of the catalog (several words, no placeholder) is English even inside a longer text
# ("close : Session corrected").
ENGLISH_PHRASES = [
    re.compile(rf"(?<!\w){re.escape(en)}(?!\w)")
    for en, _fr in PAIRS
    if " " in en.strip() and "%" not in en and len(en) >= 10
]


def shown_texts(response) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """What a reader sees: each text node and attribute a browser shows (or a CSV's cells), and each
    line as it reads, across the elements that make it up."""
    if response.headers["content-type"].startswith("text/csv"):
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        return [cell.strip() for row in rows for cell in row if cell.strip()], [" | ".join(r) for r in rows]
    soup = BeautifulSoup(response.text, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    texts = [" ".join(text.split()) for text in soup.find_all(string=True)]
    for tag in soup.find_all(True):
        texts.extend(str(tag[name]) for name in SHOWN_ATTRIBUTES if tag.has_attr(name))
    lines = [" ".join(cell.get_text(" ").split()) for cell in soup.find_all(LINES)]
    return [text for text in texts if text.strip()], lines


def problems(texts: list[str], lines: list[str], locale: str) -> list[str]:
    found = []
    for line in lines:
        doubled = DOUBLED.search(line)
        if doubled and not doubled.group(1).isdigit():
            found.append(f"doubled word: {line!r}")
    for text in texts:
        if locale == "fr":
            if any(pattern.fullmatch(text) for pattern in ENGLISH):
                found.append(f"English: {text!r}")
            elif any(pattern.search(text) for pattern in ENGLISH_PHRASES):
                found.append(f"English inside: {text!r}")
            if CODES.search(text):
                found.append(f"internal code: {text!r}")
            if ENGLISH_WORDS.search(text):
                found.append(f"English words: {text!r}")
            if ORDINAL_DAY.search(text):
                found.append(f"ordinal day: {text!r}")
        else:
            if FRENCH_DATES.search(text):
                found.append(f"French date: {text!r}")
            if any(pattern.fullmatch(text) for pattern in FRENCH):
                found.append(f"French: {text!r}")
    return found


@pytest.fixture
def ids(app, as_nurse, login_as, make_patient, enrol, engine, world, protocols, db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A practice with a little of everything, made as its people make it, for the path parameters."""
    helene = enrol(make_patient(), "diabete-type-2", "obesite")
    jacques = enrol(
        make_patient(
            family_name="Martin", given_names="Jacques", sex="male", ins="", birth_date="1950-03-12"
        ),
        "bpco-tabac",
    )
    now = datetime.now(UTC)
    values = {"m.hba1c": "11", "m.weight": "92", "m.height": "1,65", "u.height": "m", "m.sbp": "150"}
    for days in (400, 200, 100):  # the HbA1c (every 3 months) is now due
        as_nurse.post(f"/patients/{helene.id}/sessions", session_form(now - timedelta(days=days), **values))
    first = db.exec(select(CareSession).order_by(CareSession.started_at)).first()
    as_nurse.post(f"/sessions/{first.id}/amend", session_form(now - timedelta(days=400), **values))  # closes
    as_nurse.post(f"/patients/{jacques.id}/sessions", session_form(now - timedelta(days=3)))
    gp = login_as(world.gp)
    open_alerts = db.exec(select(Alert).where(Alert.status == "open")).all()
    gp.post(f"/alerts/{open_alerts[0].id}/acknowledge", {"comment": "Vu", "relevant": "yes"})
    gp.post(f"/patients/{helene.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "Fragile"})
    as_nurse.post("/concertations", {"held_on": (date.today() - timedelta(days=1)).isoformat()})
    meeting_id = as_nurse.get("/concertations").text.split('href="/concertations/')[1].split('"')[0]
    as_nurse.post(f"/concertations/{meeting_id}/patients", {"patient_id": helene.id, "reason": "HbA1c"})
    item = db.exec(select(ConcertationItem)).first()
    gp.post(f"/concertation-items/{item.id}/decision", {"decision": "Avis diabétologue"})
    lab_file = (LAB_SAMPLES / "hprim-sante-latin1-crlf.hpr").read_bytes()
    as_nurse.post("/labs", files=[("files", ("lab.hpr", lab_file, "text/plain"))])
    as_nurse.post(f"/patients/{helene.id}/education", {"needs": "Comprendre son traitement"})
    as_nurse.post(f"/patients/{helene.id}/goals", {"text": "Marcher"})
    as_nurse.post(
        "/workshops",
        {
            "title": "Atelier alimentation",
            "held_at": local(now - timedelta(days=2)),
            "duration_minutes": "90",
            "protocol_id": "diabete-type-2",
            f"attendance.{helene.id}": "present",
        },
    )
    with transaction(engine) as session:
        register.report_adverse_event(
            session,
            world.actor(world.nurse),
            protocols,
            {"occurred_on": date.today().isoformat(), "severity": "mild", "description": "Malaise"},
            date.today(),
        )
    login_as(world.admin).post("/admin/tokens", {"name": "Logiciel du cabinet"})
    return {
        "patient_id": helene.id,
        "session_id": first.id,
        "concertation_id": meeting_id,
        "workshop_id": db.exec(select(Workshop.id)).first(),
        "goal_id": db.exec(select(PatientGoal.id)).first(),
        "report_id": db.exec(select(LabReport.id)).first(),
        "result_id": db.exec(select(LabResult.id)).first(),
    }


def _browser(app, world, role: str, locale: str) -> Browser:  # type: ignore[no-untyped-def]
    client = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": locale})
    browser = Browser(client)
    if role == "anonymous":
        return browser
    assert browser.login(getattr(world, role).email).status_code == 200
    browser.post("/locale", {"locale": locale, "next": "/"})
    return browser


def test_every_page_is_in_the_language_of_its_reader(app, world, ids) -> None:  # type: ignore[no-untyped-def]
    pages = sorted(
        path
        for method, path in app_routes(app)
        if method == "GET" and path not in EXCLUDED and not path.startswith(SKIPPED_PREFIXES)
    )
    rendered: set[str] = set()
    found: list[str] = []
    for locale in ("fr", "en"):
        for role in ("anonymous", "nurse", "gp", "admin"):
            browser = _browser(app, world, role, locale)
            for path in pages:
                missing = set(re.findall(r"{(\w+)}", path)) - set(ids)
                assert not missing, f"{path}: give the ids fixture a {missing} (or exclude it, saying why)"
                response = browser.get(path.format(**ids), follow_redirects=False)
                assert response.status_code < 500, f"{path} as {role}"
                if response.status_code != 200:
                    continue  # not this role's page
                rendered.add(path)
                found.extend(f"{locale} {role} {path}: {p}" for p in problems(*shown_texts(response), locale))
    assert sorted(set(pages) - rendered) == [], "pages no role could open: fill their parameters above"
    assert not found, "\n".join(found)
