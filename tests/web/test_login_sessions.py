"""Logins kept server-side, forms kept across an expired login, and throttling that slows guessers
without letting a stranger lock a nurse out."""

import base64
import hashlib
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, update
from sqlmodel import select

from asalee_track.care import accounts, login_throttle
from asalee_track.store.db import transaction
from asalee_track.store.tables import CareSession, LoginAttempt, Observation, UserSession
from asalee_track.store.types import utcnow
from tests.conftest import PASSWORD, Browser
from tests.web.test_sessions import session_form


def _browser(app, address: str = "testclient") -> Browser:  # type: ignore[no-untyped-def]
    return Browser(TestClient(app, raise_server_exceptions=False, client=(address, 50000)))


def _age_sessions(engine, **ago: timedelta) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(update(UserSession).values({k: utcnow() - v for k, v in ago.items()}))


# -- server-side sessions --------------------------------------------------------------------------


def test_a_cookie_saved_before_logout_no_longer_opens_anything(app, world) -> None:
    nurse = _browser(app)
    nurse.login(world.nurse.email)
    saved = dict(nurse.client.cookies)
    nurse.post("/logout")
    thief = _browser(app)
    thief.client.cookies.update(saved)
    response = thief.get("/worklist", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_cookie_holds_no_user_id_only_a_session_token(as_nurse, db, world, settings) -> None:
    rows = db.exec(select(UserSession).where(UserSession.user_id == world.nurse.id)).all()
    assert len(rows) == 1 and rows[0].ended_at is None
    signed = as_nurse.client.cookies["asalee_session"].encode()
    content = json.loads(base64.b64decode(TimestampSigner(settings.resolved_secret_key()).unsign(signed)))
    assert "uid" not in content and "user_id" not in content
    # The database keeps only the token's hash: a stolen table opens no session.
    assert hashlib.sha256(content["sid"].encode()).hexdigest() == rows[0].token_hash != content["sid"]


def test_idle_limit_slides_with_activity(as_nurse, engine) -> None:
    _age_sessions(engine, last_seen_at=timedelta(minutes=100), created_at=timedelta(minutes=100))
    assert as_nurse.get("/worklist").url.path == "/worklist"  # used again: last seen is now
    _age_sessions(engine, last_seen_at=timedelta(minutes=100))
    assert as_nurse.get("/worklist").url.path == "/worklist"  # 200 minutes after login, still open


def test_absolute_limit_ends_even_an_active_session(as_nurse, engine) -> None:
    _age_sessions(engine, created_at=timedelta(hours=13))
    assert as_nurse.get("/worklist").url.path == "/login"


def test_deactivating_a_user_ends_their_sessions_at_once(app, world, engine) -> None:
    nurse = _browser(app)
    nurse.login(world.other_nurse.email)
    try:
        with transaction(engine) as db:
            accounts.deactivate(db, world.other_nurse.email)
        assert nurse.get("/worklist").url.path == "/login"
    finally:
        with engine.begin() as connection:  # the shared world keeps its users for the other tests
            from asalee_track.store.tables import User

            connection.execute(update(User).where(User.id == world.other_nurse.id).values(active=True))


def test_account_page_lists_open_sessions_and_ends_another_one(app, world) -> None:
    laptop, phone = _browser(app, "10.0.0.1"), _browser(app, "10.0.0.2")
    laptop.login(world.gp.email)
    phone.login(world.gp.email)
    page = laptop.get("/account").text
    assert "10.0.0.1" in page and "10.0.0.2" in page and "Cette session" in page
    other = page.split("/account/sessions/")[1].split("/end")[0]
    laptop.post(f"/account/sessions/{other}/end")
    assert phone.get("/worklist").url.path == "/login"
    assert laptop.get("/worklist").url.path == "/worklist"


def test_nobody_ends_another_users_session(app, world, db) -> None:
    nurse, gp = _browser(app), _browser(app)
    nurse.login(world.nurse.email)
    gp.login(world.gp.email)
    nurse_session = db.exec(select(UserSession.id).where(UserSession.user_id == world.nurse.id)).one()
    assert gp.post(f"/account/sessions/{nurse_session}/end").status_code == 404
    assert nurse.get("/worklist").url.path == "/worklist"


# -- a form posted after the login expired --------------------------------------------------------


def test_a_session_typed_after_expiry_is_saved_after_logging_in_again(
    as_nurse, make_patient, enrol, engine, db, world
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    form = session_form(**{"m.weight": "81,4", "notes": "Quarante minutes d'éducation"})
    _age_sessions(engine, last_seen_at=timedelta(hours=3))
    sent = as_nurse.post(f"/patients/{patient.id}/sessions", form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/login?kept=1"
    assert db.exec(select(func.count()).select_from(CareSession)).one() == 0
    login_page = as_nurse.get("/login?kept=1").text
    assert "Ce que vous aviez saisi a été conservé" in login_page
    resumed = as_nurse.login(world.nurse.email)
    assert "Rien de ce que vous aviez saisi n'est perdu" in resumed.text
    assert 'value="81,4"' in resumed.text and "Quarante minutes" in resumed.text
    as_nurse.refresh_token("/worklist")
    fields = dict(
        (tag.split('name="')[1].split('"')[0], tag.split('value="')[1].split('"')[0].replace("&#39;", "'"))
        for tag in resumed.text.split("<input")[1:]
        if 'type="hidden"' in tag and "csrf_token" not in tag
    )
    saved = as_nurse.post(f"/patients/{patient.id}/sessions", fields)
    assert saved.status_code == 200
    weights = db.exec(select(Observation.value_num).where(Observation.measure_id == "weight")).all()
    assert weights == [81.4]


def test_a_kept_form_is_never_shown_to_another_user(
    app, as_nurse, make_patient, enrol, engine, world
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    _age_sessions(engine, last_seen_at=timedelta(hours=3))
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(notes="Confidentiel"))
    page = as_nurse.login(world.gp.email)  # someone else at the same computer
    assert page.url.path == "/worklist" and "Confidentiel" not in page.text


# -- throttling ---------------------------------------------------------------------------------------


def test_an_unknown_email_costs_a_password_check_like_a_known_one(browser) -> None:
    accounts._dummy_hash.cache_clear()
    browser.login("nobody@nowhere.test", "whatever password")
    assert accounts._dummy_hash.cache_info().misses == 1  # a real argon2 hash was checked


def test_too_many_failures_ask_to_wait_with_a_growing_delay(app, world) -> None:
    guesser = _browser(app)
    for _ in range(3):  # the test settings allow 3 failures per account and address
        assert guesser.login(world.gp.email, "nope").status_code == 401
    refused = guesser.login(world.gp.email, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 30
    assert "Attendez 30 secondes" in refused.text


def test_waiting_the_delay_lets_the_right_password_in(app, world, engine) -> None:
    user = _browser(app)
    for _ in range(3):
        user.login(world.gp.email, "nope")
    with engine.begin() as connection:  # 31 seconds later
        connection.execute(update(LoginAttempt).values(at=utcnow() - timedelta(seconds=31)))
    assert user.login(world.gp.email).url.path == "/worklist"


def test_a_stranger_elsewhere_cannot_lock_the_nurse_out(app, world) -> None:
    nurse = _browser(app, "192.0.2.10")
    nurse.login(world.nurse.email)
    nurse.post("/logout")  # her browser now knows the account
    codes = []
    for address in range(4):  # 3 tries from each of 4 addresses: past the account's allowance (10)
        stranger = _browser(app, f"198.51.100.{address}")
        codes += [stranger.login(world.nurse.email, "guess").status_code for _ in range(3)]
    assert codes == [401] * 10 + [429, 429]
    new_computer = _browser(app, "198.51.100.99")
    assert new_computer.login(world.nurse.email, PASSWORD).status_code == 429
    assert nurse.login(world.nurse.email).url.path == "/worklist"


def test_password_spraying_from_one_address_is_slowed(app, world) -> None:
    sprayer = _browser(app, "203.0.113.9")
    codes = [sprayer.login(f"user{n}@lilas.test", "Printemps2026!").status_code for n in range(22)]
    assert codes[:20] == [401] * 20 and codes[20:] == [429, 429]


def test_old_failures_are_purged(app, world, engine, db) -> None:
    with transaction(engine) as session:
        session.add(LoginAttempt(email="old@x.test", client="1.2.3.4", at=utcnow() - timedelta(days=2)))
    _browser(app).login(world.gp.email, "nope")
    emails = db.exec(select(LoginAttempt.email)).all()
    assert emails == [world.gp.email]
    assert login_throttle.FIRST_DELAY == timedelta(seconds=30)
