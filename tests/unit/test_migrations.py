"""Alembic owns the schema: a database upgraded from nothing matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from asalee_track.store import migrate


def test_upgrade_from_empty_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_database_is_at_head(engine: Engine) -> None:
    assert migrate.is_current(engine)


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    tables_before = set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) == tables_before
