"""Shared fixtures: one real application on a real database (SQLite, or PostgreSQL when
ASALEE_TEST_DATABASE_URL is set), a small world of two practices built through the care API, and
helpers that say who acts in one line."""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import hypothesis
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from asalee_track.care import accounts
from asalee_track.care.actor import Actor
from asalee_track.config import Settings
from asalee_track.store import audit_guard, migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import Membership, Practice, User
from asalee_track.web.app import create_app

PASSWORD = "correct horse battery"
# Logins are what these tests exercise, not argon2's cost: a real hash, at its cheapest.
accounts.set_hash_cost(time_cost=1, memory_kib=1024)
# Properties are checked for what they assert, not for speed: on a busy machine an example may take
# longer than Hypothesis's default 200 ms deadline without anything being wrong.
hypothesis.settings.register_profile("asalee", deadline=None)
hypothesis.settings.load_profile("asalee")
WORLD_TABLES = {Practice.__tablename__, User.__tablename__, Membership.__tablename__}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ASALEE_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_of_worker(url, worker) if worker else url


def _database_of_worker(url: str, worker: str) -> str:
    """Parallel test processes on PostgreSQL each get a database of their own, created beside the one
    given (each replaces its schema wholesale)."""
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        ).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    admin.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        # A database reserved for tests: start from an empty schema so that migrations run from zero.
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        export_dir=tmp_path_factory.mktemp("exports"),
        login_max_failures=3,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(settings, engine, upgrade=False)


@dataclass(frozen=True)
class World:
    practice: Practice
    other_practice: Practice
    nurse: User
    gp: User
    admin: User
    other_nurse: User
    both_practices_gp: User

    def actor(self, user: User, practice: Practice | None = None) -> Actor:
        practice = practice or self.practice
        assert user.id is not None and practice.id is not None
        return Actor(user_id=user.id, practice_id=practice.id, role=user.role, display_name=user.display_name)


@pytest.fixture(scope="session")
def world(engine: Engine) -> World:
    """Built once (password hashing is deliberately slow); the tests never change these rows."""
    with transaction(engine) as db:
        home = accounts.create_practice(db, "Cabinet des Lilas", finess="750012345")
        other = accounts.create_practice(db, "Cabinet du Port")
        assert home.id and other.id

        def user(email: str, name: str, role: str, practices: list[int]) -> User:
            return accounts.create_user(db, email, name, role, PASSWORD, practices)

        return World(
            practice=home,
            other_practice=other,
            nurse=user("nurse@lilas.test", "Claire Infirmière", "nurse", [home.id]),
            gp=user("gp@lilas.test", "Dr Paul Médecin", "gp", [home.id]),
            admin=user("admin@lilas.test", "Sophie Admin", "admin", [home.id]),
            other_nurse=user("nurse@port.test", "Marc Port", "nurse", [other.id]),
            both_practices_gp=user("gp@both.test", "Dr Double", "gp", [home.id, other.id]),
        )


@pytest.fixture(autouse=True)
def clean_database(engine: Engine, world: World) -> Iterator[None]:
    """Each test starts with the world only: everything else it wrote is removed afterwards."""
    yield
    with engine.begin() as connection, audit_guard.suspended(connection):
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in WORLD_TABLES:
                connection.execute(table.delete())
        chains = [0, *(row[0] for row in connection.execute(text("SELECT id FROM practice")))]
        connection.execute(
            text("INSERT INTO audit_head (chain, last_hash, count) VALUES (:c, :h, 0)"),
            [{"c": chain, "h": "0" * 64} for chain in chains],
        )


@pytest.fixture(scope="session")
def inspect_engine(database_url: str) -> Iterator[Engine]:
    """For tests to look at what the app stored: every statement stands alone, so a test never holds
    a lock or an old snapshot while the app writes."""
    engine = make_engine(database_url, immediate=False).execution_options(isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def db(inspect_engine: Engine) -> Iterator[Session]:
    with Session(inspect_engine, expire_on_commit=False) as session:
        yield session


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient that knows how to log in and carries the form token, like a person's browser."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def refresh_token(self, path: str = "/login") -> None:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no form token on {path}"
        self.csrf = match.group(1)

    def login(self, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        self.refresh_token()
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf, "next": "/"}
        )
        if response.status_code == 200:
            self.csrf = CSRF.search(response.text).group(1)  # type: ignore[union-attr]
        return response

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(path, data={**(data or {}), "csrf_token": self.csrf}, **kw)


@pytest.fixture
def browser(app) -> Browser:  # type: ignore[no-untyped-def]
    return Browser(TestClient(app, raise_server_exceptions=False))


@pytest.fixture
def login_as(app):  # type: ignore[no-untyped-def]
    """Another person at another computer: a browser of their own, logged in."""

    def login(user: User) -> Browser:
        other = Browser(TestClient(app, raise_server_exceptions=False))
        assert other.login(user.email).status_code == 200
        return other

    return login


@pytest.fixture
def as_nurse(browser: Browser, world: World) -> Browser:
    assert browser.login(world.nurse.email).status_code == 200
    return browser


@pytest.fixture
def as_gp(browser: Browser, world: World) -> Browser:
    assert browser.login(world.gp.email).status_code == 200
    return browser


@pytest.fixture
def as_admin(browser: Browser, world: World) -> Browser:
    assert browser.login(world.admin.email).status_code == 200
    return browser


def patient_form(**overrides: str) -> dict[str, str]:
    values = {
        "family_name": "Lefèvre",
        "given_names": "Hélène",
        "birth_date": "1957-07-01",
        "sex": "female",
        "ins": "257077512345669",
        "local_id": "",
        "phone": "",
        "referring_gp_id": "",
    }
    values.update(overrides)
    return values


@pytest.fixture
def make_patient(engine: Engine, world: World):  # type: ignore[no-untyped-def]
    """Create a patient through the care API, as the home practice's nurse unless told otherwise."""
    from asalee_track.care import patients

    def make(actor: Actor | None = None, **overrides: str):  # type: ignore[no-untyped-def]
        with transaction(engine) as db:
            return patients.create(db, actor or world.actor(world.nurse), patient_form(**overrides))

    return make


@pytest.fixture(scope="session")
def protocols(app):  # type: ignore[no-untyped-def]
    return app.state.protocols


@pytest.fixture
def enrol(engine: Engine, world: World, protocols):  # type: ignore[no-untyped-def]
    """Enrol a patient in pathways through the care API (consent given on the start date)."""
    from asalee_track.care import enrolment

    def enrol_in(patient, *protocol_ids: str, start: str = "2024-01-15"):  # type: ignore[no-untyped-def]
        with transaction(engine) as db:
            for protocol_id in protocol_ids:
                enrolment.enrol(
                    db,
                    world.actor(world.nurse),
                    protocols,
                    patient.id,
                    {
                        "protocol_id": protocol_id,
                        "start_date": start,
                        "consent_date": start,
                        "consent_method": "oral",
                        "referring_gp_id": str(world.gp.id),
                    },
                )
        return patient

    return enrol_in
