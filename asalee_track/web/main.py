"""The ASGI application that `asalee-track serve` (uvicorn) loads: configured from the environment."""

from asalee_track.web.app import create_app

app = create_app()
