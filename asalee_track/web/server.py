"""How uvicorn serves the app: a client that trickles its request headers is cut off, and every
connection sends at once (TCP_NODELAY), with one worker or several.

uvicorn times out an idle keep-alive connection but not one that sends a header line now and then, so a
handful of such clients (slowloris) would hold connections open for ever. The body has its own limit
(body_limit.ReadBodyFirst)."""

import asyncio
import socket
from functools import partial
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from asalee_track.config import Settings

KEEP_ALIVE_SECONDS = 5


class HeaderTimeoutProtocol(H11Protocol):
    """Closes the connection when a request's headers are not all in within the header timeout."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # With --workers N uvicorn hands asyncio a socket it bound itself, whose protocol number reads 0,
        # and asyncio then leaves Nagle's algorithm on: every response after a connection's first waited
        # ~40 ms for the client's delayed ACK (measured: 48 ms for a static file, 2 ms with one worker).
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        waiting_for_headers = self.cycle is None or self.cycle.response_complete
        if waiting_for_headers and self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._cancel_header_deadline()  # the headers are in; the body has its own limit

    def on_response_complete(self) -> None:
        self._cancel_header_deadline()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Options shared by `serve` and the test servers, so tests meet the protocol users meet."""
    protocol = partial(HeaderTimeoutProtocol, header_timeout=settings.header_timeout_seconds)
    return {"http": protocol, "timeout_keep_alive": KEEP_ALIVE_SECONDS}
