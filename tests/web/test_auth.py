"""Logging in and out, the rate limit, CSRF, sessions and the practice switcher."""

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import AuditEvent
from tests.conftest import PASSWORD


def test_login_succeeds_and_lands_on_the_worklist(browser, world) -> None:
    response = browser.login(world.nurse.email)
    assert response.status_code == 200
    assert response.url.path == "/worklist"
    assert "Claire Infirmière" in response.text


def test_login_with_wrong_password_is_refused_in_french_and_keeps_the_email(browser, world) -> None:
    response = browser.login(world.nurse.email, "wrong password")
    assert response.status_code == 401
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one(".error").text == "Adresse e-mail ou mot de passe incorrect."
    assert soup.select_one("#email")["value"] == world.nurse.email


def test_login_in_english_when_the_browser_asks_for_it(browser, world) -> None:
    browser.client.headers["Accept-Language"] = "en-GB,en;q=0.8"
    response = browser.login(world.nurse.email, "wrong password")
    assert "Wrong email or password." in response.text


def test_too_many_failures_lock_the_email_even_with_the_right_password(browser, world) -> None:
    for _ in range(3):  # the test settings allow 3 failures per window
        assert browser.login(world.gp.email, "nope").status_code == 401
    response = browser.login(world.gp.email, PASSWORD)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.text
    assert browser.get("/patients").url.path == "/login"


def test_logins_are_audited_success_and_failure(browser, world, db) -> None:
    browser.login(world.nurse.email, "nope")
    browser.login(world.nurse.email)
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "login").order_by(AuditEvent.id)).all()
    outcomes = [e.outcome for e in events]
    assert outcomes == ["failure", "success"]


def test_post_without_csrf_token_is_refused_and_changes_nothing(as_nurse, make_patient) -> None:
    patient = make_patient()
    response = as_nurse.client.post(f"/patients/{patient.id}", data={"family_name": "Changed"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.text
    assert "LEFÈVRE" in as_nurse.get(f"/patients/{patient.id}").text


def test_login_form_itself_requires_the_token(browser, world) -> None:
    response = browser.client.post("/login", data={"email": world.nurse.email, "password": PASSWORD})
    assert response.status_code == 403


def test_htmx_requests_send_the_token_as_a_header(as_nurse, make_patient) -> None:
    patient = make_patient()
    response = as_nurse.client.post(
        f"/patients/{patient.id}",
        headers={"X-CSRF-Token": as_nurse.csrf, "HX-Request": "true"},
        data={"family_name": "Lefèvre", "given_names": "Hélène", "birth_date": "1957-07-01", "sex": "female"},
    )
    assert response.status_code == 200


def test_pages_need_a_login(browser) -> None:
    response = browser.get("/patients", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/patients"


def test_logout_ends_the_session(as_nurse) -> None:
    as_nurse.post("/logout")
    assert as_nurse.get("/patients").url.path == "/login"


def test_session_cookie_is_httponly_and_samesite(browser, world) -> None:
    response = browser.client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_open_redirect_after_login_is_refused(browser, world) -> None:
    browser.refresh_token()
    response = browser.client.post(
        "/login",
        data={
            "email": world.nurse.email,
            "password": PASSWORD,
            "csrf_token": browser.csrf,
            "next": "//evil.example",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_practice_switcher_changes_whose_patients_are_listed(browser, world, make_patient) -> None:
    make_patient(family_name="Lilas")
    make_patient(world.actor(world.other_nurse, world.other_practice), family_name="Portuaire")
    browser.login(world.both_practices_gp.email)
    assert "LILAS" in browser.get("/patients").text
    browser.post("/practice", {"practice_id": str(world.other_practice.id)})
    page = browser.get("/patients").text
    assert "PORTUAIRE" in page and "LILAS" not in page


def test_switching_to_a_practice_one_does_not_belong_to_is_refused(as_nurse, world) -> None:
    response = as_nurse.post("/practice", {"practice_id": str(world.other_practice.id)})
    assert response.status_code == 403


def test_session_ends_after_inactivity(as_nurse, engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from asalee_track.store.tables import UserSession
    from asalee_track.store.types import utcnow

    assert as_nurse.get("/worklist").url.path == "/worklist"
    with engine.begin() as connection:  # last used longer ago than the idle limit (2 hours by default)
        connection.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=3)))
    assert as_nurse.get("/worklist").url.path == "/login"


def test_logout_everywhere_ends_the_other_devices_sessions(app, world) -> None:
    from fastapi.testclient import TestClient

    from tests.conftest import Browser

    laptop, phone = Browser(TestClient(app)), Browser(TestClient(app))
    laptop.login(world.gp.email)
    phone.login(world.gp.email)
    laptop.post("/account/logout-everywhere")
    assert phone.get("/worklist").url.path == "/login"
    assert laptop.get("/worklist").url.path == "/login"
    assert laptop.login(world.gp.email).url.path == "/worklist"  # logging in again works


def test_password_change_applies_the_policy_and_keeps_this_session(app, world, engine) -> None:
    from fastapi.testclient import TestClient

    from asalee_track.store.db import transaction
    from asalee_track.store.tables import User
    from tests.conftest import Browser

    here, elsewhere = Browser(TestClient(app)), Browser(TestClient(app))
    here.login(world.admin.email)
    elsewhere.login(world.admin.email)
    weak = here.post(
        "/account/password", {"current": PASSWORD, "new": "aaaaaaaaaaaaaa", "confirm": "aaaaaaaaaaaaaa"}
    )
    assert weak.status_code == 422 and "Trop facile à deviner" in weak.text
    short = here.post("/account/password", {"current": PASSWORD, "new": "court", "confirm": "court"})
    assert "Au moins 12 caractères." in short.text
    wrong = here.post(
        "/account/password",
        {"current": "nope", "new": "une phrase de passe", "confirm": "une phrase de passe"},
    )
    assert "pas votre mot de passe actuel." in wrong.text
    done = here.post(
        "/account/password",
        {"current": PASSWORD, "new": "une phrase de passe", "confirm": "une phrase de passe"},
    )
    assert "Mot de passe modifié" in done.text
    assert elsewhere.get("/worklist").url.path == "/login"
    with transaction(engine) as db:  # the shared world keeps its password for the other tests
        from asalee_track.care.accounts import hash_password

        user = db.get(User, world.admin.id)
        user.password_hash = hash_password(PASSWORD)
        db.add(user)
