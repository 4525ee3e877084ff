"""A practice with the shape of real follow-up, for benchmarks, written fast in bulk.

N patients over 10 years, each in one of the seven pathways (every `all_pathways_every`-th in four):
sessions at the pathways' rhythm, each measure taken when its protocol's interval has passed (weight
every visit, HbA1c every 3 months, eGFR yearly…), coded answers from the protocol's codes, computed
values marked so; some enrolments ended (the status change recorded, the sessions stopping there),
personal targets (some replacing an earlier one), reminder snoozes, alerts raised by sessions (recent
ones open, older ones acknowledged by the GP), delegated acts, and an audit trail of ten years of
audited reads and saves — millions of events at 2,000 patients — on a valid keyed chain (the same HMAC
as care/audit.py, so `asalee-track audit verify` accepts it and the app appends after it).

The derived tables are filled the way the app fills them (measure_latest as migration 0004 does,
measure_due by care.followup.rebuild_schedules), so the server starts without a rebuild.

Rows go in through the driver: `executemany` on SQLite (journal kept, sync off while building), COPY on
PostgreSQL. Not a benchmark itself: `run.py` and the other scripts import it.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

PASSWORD = "benchmark-password"  # every user of a built practice, for the benchmarks' logins
FULL_SESSION = {  # diabetes + obesity: 15 measures typed, as in a long first-of-the-year session
    "m.weight": "84,2",
    "m.height": "172",
    "m.waist": "104",
    "m.sbp": "142",
    "m.dbp": "86",
    "m.heart-rate": "74",
    "m.hba1c": "7,6",
    "m.fasting-glucose": "1,32",
    "m.ldl": "1,12",
    "m.egfr": "71",
    "m.uacr": "2,4",
    "m.foot-exam": "normal",
    "m.smoking": "8517006",
    "m.activity": "25",
    "edu.diabete-type-2.alimentation": "on",
    "act.diabete-type-2.prescrire-hba1c": "on",
}

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asalee_track.care import audit, followup  # noqa: E402
from asalee_track.config import Settings  # noqa: E402
from asalee_track.protocols import load_protocols  # noqa: E402
from asalee_track.protocols.schedule import add_duration  # noqa: E402
from asalee_track.store import migrate  # noqa: E402
from asalee_track.store.db import make_engine  # noqa: E402

SECRET = "bench-" + "x" * 40  # the servers the benchmarks start use this key: the chain verifies there
YEARS = 10
AUDIT_PER_PATIENT_YEAR = 60  # audited reads and saves: 1.2 million events at 2,000 patients
ALL_PATHWAYS = ("diabete-type-2", "obesite", "insuffisance-cardiaque", "risque-cardiovasculaire")
CHUNK = 50_000


def audit_key() -> bytes:
    return Settings(secret_key=SECRET).resolved_audit_key()


# ---------------------------------------------------------------------------------------------------
# Writing rows through the driver


class _Bulk:
    """Bulk inserts on the driver connection of one transaction."""

    def __init__(self, engine: Any) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        if not self.postgres:
            self.conn.execute("PRAGMA synchronous=OFF")  # one transaction; the file is thrown away on failure
            self.conn.execute("PRAGMA foreign_keys=OFF")  # parents are written first anyway
        self.pending: dict[str, tuple[Sequence[str], list[tuple[Any, ...]]]] = {}

    def time(self, moment: datetime) -> Any:
        """As the app's column type stores it: text without offset on SQLite (UTC), timestamptz on PG."""
        return moment if self.postgres else moment.isoformat(" ", "microseconds")[:26]

    def day(self, value: date) -> Any:
        return value if self.postgres else value.isoformat()

    def add(self, table: str, columns: Sequence[str], row: tuple[Any, ...]) -> None:
        rows = self.pending.setdefault(table, (columns, []))[1]
        rows.append(row)

    def flush(self, order: Iterable[str]) -> None:
        for table in order:
            if table in self.pending:
                columns, rows = self.pending[table]
                self.write(table, columns, rows)
                rows.clear()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        cursor = self.conn.cursor()
        if self.postgres:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows
            )

    def commit(self) -> None:
        self.raw.commit()
        self.raw.close()


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


# ---------------------------------------------------------------------------------------------------
# How each measure is taken


class _Measure:
    def __init__(self, protocol_id: str, measure: Any, rng: random.Random) -> None:
        self.protocol_id = protocol_id
        self.id = measure.id
        self.loinc = measure.loinc
        self.unit = measure.unit
        self.every = measure.every
        self.computed = bool(measure.computed)
        self.codes = [(c.code, c.system) for c in measure.codes]
        self.decimals = measure.decimals if measure.decimals is not None else 1
        low, high = measure.plausible or (0, 100)
        target = measure.target
        if target and (target.min is not None or target.max is not None):
            centre = (
                ((target.min or 0) + (target.max or 0)) / 2
                if target.min is not None and target.max is not None
                else (target.max if target.max is not None else target.min)
            )
        else:
            centre = (low + high) / 2
        spread = (high - low) / 12
        self.low, self.high, self.centre, self.spread = low, high, centre, spread
        self.rng = rng

    def value(self) -> tuple[float | None, str | None, str | None]:
        if self.codes:
            code, system = self.rng.choice(self.codes)
            return None, code, system
        value = min(self.high, max(self.low, self.rng.gauss(self.centre, self.spread)))
        return round(value, self.decimals), None, None

    def due(self, last: datetime | None, when: datetime) -> bool:
        if last is None:
            return True
        if self.every is None:
            return False  # measured once (height, pack-years)
        return add_duration(last, self.every) - timedelta(days=15) <= when


# ---------------------------------------------------------------------------------------------------
# Building the practice


PATIENT = (
    "id practice_id family_name given_names birth_date sex ins local_id referring_gp_id phone search_key "
    "version created_at updated_at identity_status"
).split()
ENROLMENT = (
    "id patient_id practice_id protocol_id protocol_version referring_gp_id start_date consent_date "
    "consent_method consent_recorded_by status created_at"
).split()
STATUS_CHANGE = "enrolment_id status reason changed_by changed_at".split()
SESSION = (
    "id patient_id practice_id nurse_id started_at duration_minutes kind pathways notes status version "
    "created_by created_at updated_at"
).split()
OBSERVATION = (
    "id session_id patient_id measure_id loinc value_num value_code value_system unit computed "
    "effective_at status"
).split()
ITEM = "id session_id kind protocol_id item_id outcome".split()
ALERT = (
    "id patient_id practice_id session_id protocol_id rule_id severity message explanation evidence "
    "raised_at status acknowledged_by acknowledged_at relevant"
).split()
TARGET = "patient_id measure_id min_value max_value reason set_by set_at ended_at".split()
SNOOZE = "patient_id reason comment until set_by set_at".split()
AUDIT = (
    "chain seq at user_id practice_id action object_type object_id patient_id outcome detail prev_hash hash"
).split()
ORDER = (
    "patient",
    "enrolment",
    "enrolment_status_change",
    "care_session",
    "observation",
    "session_item",
    "alert",
    "personal_target",
    "reminder_snooze",
)


def build(url: str, patients: int, seed: int = 7, all_pathways_every: int = 0) -> dict[str, int]:
    """Fill an empty database; `all_pathways_every`: every n-th patient is in four pathways (0: none).
    Returns how many rows of each kind were written."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    protocols = load_protocols(ROOT / "protocols")
    pathway_ids = [p.id for p in protocols.all()]
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365 * YEARS + 2)
    bulk = _Bulk(engine)
    _people(bulk, now)
    measures = {
        p.id: [_Measure(p.id, m, rng) for m in p.measures if m.id not in p.scored_measures]
        for p in protocols.all()
    }
    rules = {p.id: list(p.escalation) for p in protocols.all()}
    acts = {p.id: [a.id for a in p.delegated_acts] for p in protocols.all()}
    counts = dict.fromkeys(("observations", "sessions", "alerts", "audit events"), 0)
    ids: list[str] = []
    for index in range(patients):
        if all_pathways_every and index % all_pathways_every == 0:
            pathways: tuple[str, ...] = ALL_PATHWAYS
        else:
            pathways = (pathway_ids[index % len(pathway_ids)],)
        ids.append(_patient(bulk, rng, index, start, now, pathways, measures, rules, acts, counts))
        if len(bulk.pending.get("observation", ((), []))[1]) >= CHUNK:
            bulk.flush(ORDER)
    bulk.flush(ORDER)
    counts["audit events"] = _audit_trail(
        bulk, rng, ids, start, now, patients * YEARS * AUDIT_PER_PATIENT_YEAR
    )
    bulk.commit()
    with engine.begin() as conn:
        conn.execute(text(LATEST))
    followup.rebuild_schedules(engine, protocols, batch=1000)
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as a database that grew over years has.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    counts["patients"] = patients
    return counts


LATEST = (
    "INSERT INTO measure_latest (patient_id, measure_id, practice_id, last_at) "
    "SELECT o.patient_id, o.measure_id, s.practice_id, max(o.effective_at) FROM observation o "
    "JOIN care_session s ON s.id = o.session_id GROUP BY o.patient_id, o.measure_id, s.practice_id"
)


def _people(bulk: _Bulk, now: datetime) -> None:
    created = bulk.time(now - timedelta(days=365 * YEARS + 10))
    bulk.write("practice", ("id", "name", "finess", "created_at"), [(1, "Bench", "860012345", created)])
    users = [
        (1, "n@b", "Claire Martin", "nurse", None),
        (2, "g@b", "Dr Paul Lefèvre", "gp", "10003456789"),
    ]
    bulk.write(
        "app_user",
        (
            "id",
            "email",
            "display_name",
            "role",
            "rpps",
            "password_hash",
            "locale",
            "active",
            "created_at",
        ),
        [(*user, "x", "fr", True, created) for user in users],
    )
    bulk.write("membership", ("user_id", "practice_id"), [(1, 1), (2, 1)])


def _patient(
    bulk: _Bulk,
    rng: random.Random,
    index: int,
    start: datetime,
    now: datetime,
    pathways: tuple[str, ...],
    measures: dict[str, list[_Measure]],
    rules: dict[str, list[Any]],
    acts: dict[str, list[str]],
    counts: dict[str, int],
) -> str:
    patient_id = str(uuid.uuid4())
    began = start + timedelta(days=rng.randint(0, 365 * YEARS - 200))  # enrolled over the ten years
    time, day = bulk.time, bulk.day
    bulk.add(
        "patient",
        PATIENT,
        (
            patient_id,
            1,
            f"Nom{index}",
            "Marie Hélène",
            day(date(1940 + index % 45, 1 + index % 12, 1 + index % 28)),
            rng.choice(("female", "male")),
            None,
            f"DOS-{index}",
            2,
            None,
            f"nom{index} marie helene",
            1,
            time(began),
            time(began),
            "provisoire",
        ),
    )
    ended_at = None
    if rng.random() < 0.08:  # left the pathway (moved, declined, recovered)
        ended_at = began + timedelta(days=rng.randint(200, max(201, (now - began).days - 1)))
        ended_at = min(ended_at, now - timedelta(days=1))
    for pathway in pathways:
        enrolment_id = str(uuid.uuid4())
        status = "ended" if ended_at else "active"
        bulk.add(
            "enrolment",
            ENROLMENT,
            (
                enrolment_id,
                patient_id,
                1,
                pathway,
                "2026.1",
                2,
                day(began.date()),
                day(began.date()),
                "oral",
                1,
                status,
                time(began),
            ),
        )
        if ended_at:
            bulk.add(
                "enrolment_status_change",
                STATUS_CHANGE,
                (enrolment_id, "ended", "Déménagement", 2, time(ended_at)),
            )
    last: dict[str, datetime] = {}
    taken = [m for p in pathways for m in measures[p]]
    seen: set[str] = set()
    taken = [m for m in taken if not (m.id in seen or seen.add(m.id))]  # type: ignore[func-returns-value]
    stop = ended_at or now
    when = began + timedelta(hours=9 + rng.randint(0, 8), minutes=rng.choice((0, 15, 30, 45)))
    alerted = 0
    while when < stop:
        session_id = str(uuid.uuid4())
        counts["sessions"] += 1
        bulk.add(
            "care_session",
            SESSION,
            (
                session_id,
                patient_id,
                1,
                1,
                time(when),
                45,
                "follow-up",
                _json(list(pathways)),
                None,
                "final",
                1,
                1,
                time(when),
                time(when),
            ),
        )
        for measure in taken:
            if not measure.due(last.get(measure.id), when):
                continue
            last[measure.id] = when
            value_num, value_code, value_system = measure.value()
            counts["observations"] += 1
            bulk.add(
                "observation",
                OBSERVATION,
                (
                    str(uuid.uuid4()),
                    session_id,
                    patient_id,
                    measure.id,
                    measure.loinc,
                    value_num,
                    value_code,
                    value_system,
                    measure.unit if value_num is not None else None,
                    measure.computed,
                    time(when),
                    "final",
                ),
            )
        pathway = pathways[0]
        if acts[pathway] and rng.random() < 0.25:
            bulk.add(
                "session_item",
                ITEM,
                (str(uuid.uuid4()), session_id, "act", pathway, rng.choice(acts[pathway]), None),
            )
        if rules[pathway] and rng.random() < 0.06:
            alerted += 1
            rule = rng.choice(rules[pathway])
            recent = now - when < timedelta(days=180)
            status = "open" if recent and rng.random() < 0.6 else "acknowledged"
            acknowledged = when + timedelta(days=rng.randint(1, 20)) if status == "acknowledged" else None
            bulk.add(
                "alert",
                ALERT,
                (
                    str(uuid.uuid4()),
                    patient_id,
                    1,
                    session_id,
                    pathway,
                    rule.id,
                    rule.severity,
                    _json({"fr": rule.message.fr, "en": rule.message.en}),
                    _json({}),
                    _json([]),
                    time(when),
                    status,
                    2 if acknowledged else None,
                    time(acknowledged) if acknowledged else None,
                    True if acknowledged else None,
                ),
            )
        when += timedelta(days=rng.randint(80, 100))
    counts["alerts"] += alerted
    if rng.random() < 0.10:  # a GP set a personal target; sometimes it replaced an earlier one
        with_target = [m for m in taken if m.codes == [] and m.every]
        if with_target:
            measure = rng.choice(with_target)
            set_at = began + timedelta(days=rng.randint(30, 400))
            if rng.random() < 0.3:
                replaced = set_at + timedelta(days=rng.randint(100, 700))
                bulk.add(
                    "personal_target",
                    TARGET,
                    (
                        patient_id,
                        measure.id,
                        None,
                        measure.centre * 1.05,
                        "Objectif initial",
                        2,
                        time(set_at),
                        time(replaced),
                    ),
                )
                set_at = replaced
            bulk.add(
                "personal_target",
                TARGET,
                (patient_id, measure.id, None, measure.centre * 1.1, "Sujet âgé", 2, time(set_at), None),
            )
    if rng.random() < 0.05:  # reminders held: mostly past, some still running
        until = (
            (now + timedelta(days=rng.randint(5, 60)))
            if rng.random() < 0.2
            else (now - timedelta(days=rng.randint(30, 900)))
        )
        set_at = datetime.combine(until, datetime.min.time(), UTC) - timedelta(days=30)
        bulk.add(
            "reminder_snooze",
            SNOOZE,
            (patient_id, rng.choice(("will-come", "unreachable")), None, day(until.date()), 1, time(set_at)),
        )
    return patient_id


# What the trail holds, with weights: reads of records and lists, then saves and searches.
_AUDITED = (
    (40, "read", "Patient", True, None),
    (20, "read", "Worklist", True, "worklist"),
    (12, "read", "CareSession", True, None),
    (8, "create", "CareSession", True, None),
    (6, "search", "Patient", False, "q=nom"),
    (6, "read", "Alert", True, None),
    (4, "update", "Alert", True, "acknowledged"),
    (3, "login", "User", False, None),
    (1, "denied", "Patient", True, None),
)


def _audit_trail(
    bulk: _Bulk, rng: random.Random, patient_ids: list[str], start: datetime, now: datetime, total: int
) -> int:
    """`total` events spread over the ten years in time order, on practice 1's chain, hashed as
    care/audit.py hashes them."""
    key = audit_key()
    weights = [w for w, *_ in _AUDITED]
    days = (now - start).days
    per_day = total / days
    previous, seq = audit.GENESIS, 0
    rows: list[tuple[Any, ...]] = []
    dumps, sort_keys, new = orjson.dumps, orjson.OPT_SORT_KEYS, hmac.new
    sha256 = hashlib.sha256
    time = bulk.time
    carry = 0.0
    for offset in range(days):
        carry += per_day
        count, carry = int(carry), carry - int(carry)
        midnight = start + timedelta(days=offset)
        moments = sorted(
            rng.randint(7 * 3600, 20 * 3600) * 1_000_000 + rng.randint(0, 999_999) for _ in range(count)
        )
        kinds = rng.choices(_AUDITED, weights, k=count)
        for micros, (_weight, action, object_type, about_patient, detail) in zip(moments, kinds, strict=True):
            seq += 1
            at = midnight + timedelta(microseconds=micros)
            user = 2 if action == "update" or rng.random() < 0.3 else 1
            patient = rng.choice(patient_ids) if about_patient and patient_ids else None
            outcome = "not-found" if action == "denied" else "success"
            object_id = patient if object_type == "Patient" else None
            fields = {
                "chain": 1,
                "seq": seq,
                "prev": previous,
                "at": at.isoformat(timespec="microseconds"),
                "user": user,
                "practice": 1,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "patient": patient,
                "outcome": outcome,
                "detail": detail,
            }
            digest = new(key, dumps(fields, option=sort_keys), sha256).hexdigest()
            rows.append(
                (
                    1,
                    seq,
                    time(at),
                    user,
                    1,
                    action,
                    object_type,
                    object_id,
                    patient,
                    outcome,
                    detail,
                    previous,
                    digest,
                )
            )
            previous = digest
        if len(rows) >= CHUNK:
            bulk.write("audit_event", AUDIT, rows)
            rows.clear()
    bulk.write("audit_event", AUDIT, rows)
    bulk.write("audit_head", ("chain", "last_hash", "count"), [(1, previous, seq)])
    return seq


def _timed(action: Callable[[], Any]) -> Any:  # pragma: no cover - a convenience for running by hand
    import time as clock

    began = clock.perf_counter()
    result = action()
    print(f"built in {clock.perf_counter() - began:.1f} s: {result}")
    return result


if __name__ == "__main__":
    print("dataset.py builds data for the benchmarks; run benchmarks/run.py", file=sys.stderr)
    if len(sys.argv) == 3:
        _timed(lambda: build(sys.argv[1], int(sys.argv[2])))
