"""No database work on the event loop: one request waiting there for a row lock (a save behind another
save of the same patient) stopped every request of its process, the one holding the lock included."""

import asyncio
import inspect
from typing import Any

from fastapi.routing import APIRoute

from asalee_track.care import sessions
from tests.web.test_sessions import session_form


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (router := getattr(route, "original_router", None)) is not None:  # an included router
            found.extend(_api_routes(router.routes))
    return found


def test_every_route_runs_in_the_threadpool(app) -> None:  # type: ignore[no-untyped-def]
    routes = _api_routes(app.routes)
    assert len(routes) > 90  # every router was looked into (95 routes when this was written)
    on_the_loop = [route.path for route in routes if inspect.iscoroutinefunction(route.endpoint)]
    assert on_the_loop == []


def test_a_save_runs_off_the_event_loop(as_nurse, make_patient, enrol, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(), "diabete-type-2")
    where: list[str] = []
    save = sessions.save

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("thread")
        return save(*args, **kwargs)

    monkeypatch.setattr(sessions, "save", spy)
    response = as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "80"}))
    assert response.status_code == 200 and "/sessions/" in str(response.url)  # saved, then shown
    assert where == ["thread"]
