"""Schema upgrades through Alembic: the only way the schema of a user's database changes."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> list[str]:
    """Apply the migrations the database lacks; each one applied, oldest first, as "0012: title"."""
    config = alembic_config()
    scripts = ScriptDirectory.from_config(config)
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        pending = list(scripts.iterate_revisions("head", current or "base"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return [f"{script.revision}: {_title(script.doc)}" for script in reversed(pending)]


def _title(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0].rstrip(".") if doc and doc.strip() else ""


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
