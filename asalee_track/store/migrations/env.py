"""Alembic environment: runs on the connection it is handed, or on the configured database."""

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import asalee_track.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from asalee_track.config import get_settings
from asalee_track.store.db import make_engine

target_metadata = SQLModel.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with make_engine(get_settings().database_url).connect() as conn:
        run(conn)
