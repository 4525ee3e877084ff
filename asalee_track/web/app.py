"""The application: settings, database, middleware, error pages, routes."""

import asyncio
import gc
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from asalee_track import i18n
from asalee_track.care import audit, demo, followup
from asalee_track.care.errors import Forbidden, NotFound
from asalee_track.config import Settings, get_settings
from asalee_track.fhir.bulk import ExportWorker
from asalee_track.fhir.catalog import build_catalog
from asalee_track.protocols import ProtocolSet, load_protocols
from asalee_track.store import migrate
from asalee_track.store.db import is_sqlite, make_engine, refresh_statistics, transaction
from asalee_track.store.wal import WalCheckpointer
from asalee_track.web import pending
from asalee_track.web.body_limit import ReadBodyFirst
from asalee_track.web.deps import LoginRequired
from asalee_track.web.devices import cookie_name
from asalee_track.web.forms import read_posted
from asalee_track.web.rendering import is_htmx, render, request_locale
from asalee_track.web.routes import (
    admin,
    auth,
    concertations,
    cooperation,
    education,
    enrolments,
    fhir,
    imports,
    lab_mappings,
    labs,
    patients,
    reports,
    review,
    sessions,
    tokens,
    worklist,
)
from asalee_track.web.security import SAFE_METHODS, CsrfRefused, csrf_protect
from asalee_track.web.templating import make_templates

log = logging.getLogger("asalee_track")
STATIC_DIR = Path(__file__).resolve().parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Beside the app in each process: the Bulk Data export worker (jobs live in the database) and, on
    SQLite, the thread that copies the write-ahead log into the database file off the requests' path."""
    worker = ExportWorker(app.state.engine, app.state.settings)
    checkpointer = WalCheckpointer(app.state.engine)
    worker.start()
    checkpointer.start()
    try:
        yield
    finally:
        worker.stop()
        checkpointer.stop()


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, upgrade: bool = True
) -> FastAPI:
    settings = settings or get_settings()
    # A broken protocol refuses start-up with every error listed (ProtocolLoadError), never half-runs.
    protocols = load_protocols(settings.protocols_dir)
    engine = engine or make_engine(settings.database_url)
    if upgrade:
        migrate.upgrade(engine)
        refresh_statistics(engine)
    with transaction(engine) as db:
        problems = production_problems(db, settings)
        if problems:
            raise ProductionRefused(problems)
        audit.use_key(settings.resolved_audit_key())
        stale = followup.schedules_stale(db, protocols)
    if stale:  # derived schedules follow the protocols in force, rebuilt while the server serves
        threading.Thread(
            target=_rebuild_schedules, args=(engine, protocols), name="schedule-rebuild", daemon=True
        ).start()
    app = FastAPI(
        title="asalee-track",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(read_posted), Depends(csrf_protect)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.protocols = protocols
    build_catalog(settings.protocols_dir, protocols)  # FHIR routes and export worker read it, not the files
    # Labels and units for display; a measure shared by pathways (weight) is defined alike in each.
    app.state.measures = {m.id: m for p in reversed(protocols.all()) for m in p.measures}
    app.state.templates = make_templates(settings.templates_dir)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        worklist,
        imports,
        patients,
        enrolments,
        sessions,
        review,
        reports,
        cooperation,
        concertations,
        labs,
        education,
        admin,
        lab_mappings,
        tokens,
        fhir,
    ):
        app.include_router(module.router)
    _add_middleware(app, settings)
    _add_error_pages(app)
    # What start-up built (protocols, templates, routes, models) lives as long as the process: moved out
    # of the collector's sight, full collections stop rescanning it during requests (measured: the
    # pathway page's slowest requests went from 200 ms to 80 ms).
    gc.freeze()
    return app


def _rebuild_schedules(engine: Engine, protocols: ProtocolSet) -> None:
    try:
        rebuilt = followup.rebuild_schedules(engine, protocols)
        log.info("schedules rebuilt for %s patients after a protocol change", rebuilt)
    except Exception:  # noqa: BLE001 - retried at the next start-up, which finds them still stale
        log.exception("rebuilding the schedules failed")


class ProductionRefused(RuntimeError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("production mode refuses to start: " + "; ".join(problems))
        self.problems = problems


def production_problems(db: Session, settings: Settings) -> list[str]:
    """What keeps ASALEE_ENV=production from starting, each with its fix."""
    if not settings.production:
        return []
    problems = []
    if not settings.secret_key:
        problems.append("set ASALEE_SECRET_KEY (48 random characters, kept out of the database)")
    demo_accounts = demo.active_demo_accounts(db)
    if demo_accounts:
        problems.append(
            "demo accounts are open (" + ", ".join(demo_accounts) + "): `asalee-track user deactivate EMAIL`"
        )
    return problems


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # SQLite admits one writer at a time. Writing requests of this process wait their turn here, without
    # holding a thread; waiting inside SQLite instead ties up the threadpool until the request holding
    # the lock cannot get a thread to finish (measured: 50 clients, 30 s waits and timeouts). Reads run
    # in read-only transactions beside them (deps.get_db) and write their audit records in a short
    # transaction of their own. Several workers still share SQLite through busy_timeout.
    gate = asyncio.Semaphore(1) if is_sqlite(app.state.engine) else None

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = uuid.uuid4().hex[:12]
        request.state.locale = request.session.get("locale") or i18n.negotiate(
            request.headers.get("accept-language")
        )
        i18n.follow_locale(lambda: request_locale(request))  # every page, fragment and export of the request
        if gate is None or request.method in SAFE_METHODS or request.url.path.startswith("/static/"):
            response = await call_next(request)
        else:
            async with gate:
                response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if settings.production:  # served over HTTPS only: browsers must never try plain HTTP
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        response.headers["X-Request-ID"] = request.state.request_id
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=86400"
        else:
            response.headers["Cache-Control"] = "no-store"  # health data stays out of shared caches
        return response

    # Added last, so it runs first: the session is there for everything else.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=cookie_name(settings, "asalee_session"),
        max_age=settings.session_absolute_hours * 3600,  # the server ends sessions; this bounds the cookie
        same_site="lax",
        https_only=settings.https_only,
    )
    # Outermost: a body is read whole (capped, timed) before anything else, the database turn included.
    app.add_middleware(
        ReadBodyFirst, max_bytes=settings.max_request_mb * 2**20, timeout=settings.body_timeout_seconds
    )


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    i18n.follow_locale(lambda: request_locale(request))  # may render outside the request's middleware
    page = render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": i18n.gettext(title),
            "message": i18n.gettext(message),
            "request_id": getattr(request.state, "request_id", ""),
        },
        status_code=status,
    )
    # The 500 page is answered outside the middleware that adds these to every other response.
    page.headers.update(SECURITY_HEADERS)
    page.headers["Cache-Control"] = "no-store"
    return page


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = "/login"
        if request.method == "GET" and request.url.path != "/":
            target += "?next=" + request.url.path
        elif request.method == "POST" and await pending.keep_posted_form(request):
            target += "?kept=1"
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return _error_page(
            request,
            404,
            i18n.N_("Not found"),
            i18n.N_("This page does not exist, or is not part of your practice."),
        )

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return _error_page(
            request,
            403,
            i18n.N_("Form expired"),
            i18n.N_("This form is no longer valid. Go back, reload the page and try again."),
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        return _error_page(
            request, 403, i18n.N_("Not allowed"), i18n.N_("Your role does not give access to this page.")
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return await not_found(request, NotFound())
        if exc.status_code == 405:
            return _error_page(
                request,
                405,
                i18n.N_("Not allowed"),
                i18n.N_("This address does not accept this kind of request."),
            )
        return _error_page(
            request, exc.status_code, i18n.N_("Error"), i18n.N_("The request could not be served.")
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        log.info("request %s refused: %s", getattr(request.state, "request_id", "-"), exc.errors())
        return _error_page(
            request,
            422,
            i18n.N_("Incorrect request"),
            i18n.N_("Some of what was sent is missing or malformed."),
        )

    @app.exception_handler(DataError)
    async def data_refused(request: Request, exc: DataError) -> Response:
        # The database refused a value that validation let through (e.g. NUL in a comment on
        # PostgreSQL): the transaction is rolled back, nothing was written, and the user is told.
        log.info(
            "request %s: value refused by the database: %s",
            getattr(request.state, "request_id", "-"),
            exc.orig,
        )
        return _error_page(
            request,
            422,
            i18n.N_("Incorrect request"),
            i18n.N_("Some of what was sent is missing or malformed."),
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("request %s failed", getattr(request.state, "request_id", "-"), exc_info=exc)
        return _error_page(
            request,
            500,
            i18n.N_("Something went wrong"),
            i18n.N_(
                "Nothing you entered has been lost. Please try again; if it happens again, "
                "give this reference to your administrator."
            ),
        )
