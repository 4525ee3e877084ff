"""How the application behaves as deployed: production mode, oversized and slow requests."""

import socket
import urllib.request
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from asalee_track.care import accounts
from asalee_track.config import Settings
from asalee_track.store.db import transaction
from asalee_track.web.app import ProductionRefused, create_app
from tests.conftest import PASSWORD, Browser
from tests.servers import serving


def _production(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"env": "production", **changes})


def test_production_refuses_to_start_without_a_configured_secret(settings, engine) -> None:
    with pytest.raises(ProductionRefused, match="ASALEE_SECRET_KEY"):
        create_app(_production(settings, secret_key=""), engine, upgrade=False)


def test_production_refuses_to_start_while_demo_accounts_are_open(settings, engine, world) -> None:
    with transaction(engine) as db:
        accounts.create_user(db, "admin@demo.asalee.fr", "Démo", "admin", PASSWORD, [world.practice.id])
    try:
        with pytest.raises(ProductionRefused, match="admin@demo.asalee.fr"):
            create_app(_production(settings), engine, upgrade=False)
        with transaction(engine) as db:
            accounts.deactivate(db, "admin@demo.asalee.fr")
        create_app(_production(settings), engine, upgrade=False)  # closed: it starts
    finally:
        with engine.begin() as connection:
            from sqlalchemy import text

            demo = "(SELECT id FROM app_user WHERE email = 'admin@demo.asalee.fr')"
            connection.execute(text(f"DELETE FROM membership WHERE user_id IN {demo}"))
            connection.execute(text("DELETE FROM app_user WHERE email = 'admin@demo.asalee.fr'"))


def test_production_cookies_are_secure_host_only_and_hsts_is_sent(settings, engine, world) -> None:
    app = create_app(_production(settings), engine, upgrade=False)
    browser = Browser(TestClient(app, base_url="https://testserver"))
    response = browser.client.get("/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-asalee_session=") and "secure" in cookie.lower() and "path=/" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")
    logged_in = browser.login(world.nurse.email)
    assert logged_in.url.path == "/worklist"
    assert any(
        c.startswith("__Host-asalee_device=") for c in logged_in.history[0].headers.get_list("set-cookie")
    )


def test_development_mode_sends_no_hsts(browser) -> None:
    assert "strict-transport-security" not in browser.client.get("/login").headers


def test_an_oversized_request_is_refused_in_french_and_changes_nothing(as_nurse, db) -> None:
    big = "x" * (11 * 2**20)  # the default limit is 10 MB
    response = as_nurse.post("/patients", {"family_name": big})
    assert response.status_code == 413
    assert "trop volumineuse" in response.text and "10 Mo" in response.text


def test_a_slow_upload_does_not_hold_up_other_requests(app) -> None:
    """An anonymous client sends the start of a POST body and stalls; a login page still comes back
    while that body is unfinished."""
    with serving(app) as base:
        address = urlparse(base)
        slow = socket.create_connection((address.hostname, address.port))
        try:
            slow.sendall(
                b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\nemail=a"
            )
            with urllib.request.urlopen(f"{base}/login", timeout=10) as page:
                assert page.status == 200
            slow.settimeout(0.2)
            with pytest.raises(TimeoutError):
                slow.recv(1)  # the slow request is still waiting for its body: no answer yet
        finally:
            slow.close()


def test_a_client_trickling_its_headers_is_cut_off_and_others_are_served(settings, engine) -> None:
    """Slowloris: a header line now and then would keep a connection open for ever; past the header
    timeout the server closes it, while a normal client is answered meanwhile."""
    app = create_app(settings.model_copy(update={"header_timeout_seconds": 1.0}), engine, upgrade=False)
    with serving(app) as base:
        address = urlparse(base)
        slow = socket.create_connection((address.hostname, address.port))
        try:
            slow.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            with urllib.request.urlopen(f"{base}/login", timeout=10) as page:
                assert page.status == 200
            slow.settimeout(0.3)
            closed = False
            for _ in range(10):  # one header line every 0.3 s: never a complete request
                try:
                    slow.sendall(b"X-Slow: 1\r\n")
                    closed = slow.recv(1) == b""
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                if closed:
                    break
            assert closed, "the connection trickling its headers was still open after 3 s"
        finally:
            slow.close()


def test_a_request_whose_headers_arrive_in_time_is_answered(settings, engine) -> None:
    app = create_app(settings.model_copy(update={"header_timeout_seconds": 1.0}), engine, upgrade=False)
    with serving(app) as base:
        address = urlparse(base)
        with socket.create_connection((address.hostname, address.port)) as client:
            client.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            client.sendall(b"Connection: close\r\n\r\n")
            client.settimeout(10)
            assert client.recv(12).startswith(b"HTTP/1.1 200")


def test_each_connection_sends_at_once_on_a_socket_bound_for_several_workers() -> None:
    """`serve --workers N` binds the socket itself (uvicorn's Config.bind_socket) and hands it to the
    workers; asyncio then leaves Nagle's algorithm on, and every keep-alive response after the first
    waited ~40 ms for the client's delayed ACK. The app's protocol turns it off on every connection."""
    import asyncio
    from functools import partial

    import uvicorn

    from asalee_track.web.server import HeaderTimeoutProtocol

    async def accepted_no_delay() -> int:
        config = uvicorn.Config(app=None, host="127.0.0.1", port=0)  # type: ignore[arg-type]
        listening = config.bind_socket()  # exactly what the multi-worker supervisor passes down
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(HeaderTimeoutProtocol):
            def connection_made(self, transport):  # type: ignore[no-untyped-def]
                super().connection_made(transport)
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        config.load()  # the protocol needs the loaded config (its app, its server state)
        from uvicorn.server import ServerState

        factory = partial(Probe, config=config, server_state=ServerState(), app_state={}, header_timeout=5.0)
        server = await asyncio.get_running_loop().create_server(factory, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_no_delay()) == 1
