"""The database refuses to change or remove audit events: appends only, whatever code runs against it.

Whoever can drop a trigger can still rewrite rows, which is why the chain is also keyed and anchored
outside the database (care/audit.py); the triggers stop a stray UPDATE or DELETE, by the application or
by hand, from passing silently."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]
_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
]


def install(connection: Connection) -> None:
    for statement in _POSTGRESQL if connection.dialect.name == "postgresql" else _SQLITE:
        connection.exec_driver_sql(statement)


def remove(connection: Connection) -> None:
    for statement in _POSTGRESQL_DROP if connection.dialect.name == "postgresql" else _SQLITE_DROP:
        connection.exec_driver_sql(statement)


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """For the test suite, which empties the tables between tests, and for tests that play an attacker
    who has dropped the triggers. Nothing in the application calls it."""
    remove(connection)
    try:
        yield
    finally:
        install(connection)
