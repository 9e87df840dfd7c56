"""A real HTTP receiver on loopback for webhook deliveries, and their verification.

The receiver is a threaded stdlib server: the relay's async client talks to it
over a real socket while the test's event loop keeps running. It records every
request to its own (random) path with the FakeClock's time of arrival, and
answers from a script of replies (then 200). Other paths get a 404 and are not
recorded, so a stray delivery meant for an earlier test never shows up here.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from tests.clock import FakeClock


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    at: datetime
    """The FakeClock's time when the request arrived."""

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def timestamp(self) -> int:
        return int(self.headers["webhook-timestamp"])

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload

    @property
    def type(self) -> str:
        event_type: str = self.payload["type"]
        return event_type


def verify(secret: str, received: Received) -> dict[str, Any]:
    """Standard Webhooks verification, timestamp tolerance included (so only for
    deliveries sent while the FakeClock is within minutes of the real time)."""
    verified: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return verified


def signed_with(secret: str, received: Received) -> bool:
    """Whether one of the delivery's signatures is the package's own signature with
    this secret over its id, timestamp and body (no wall-clock tolerance: the
    FakeClock may be hours ahead)."""
    expected = Webhook(secret).sign(
        received.webhook_id,
        datetime.fromtimestamp(received.timestamp, UTC),
        received.body.decode(),
    )
    return expected in received.signatures


class Receiver:
    def __init__(self, clock: FakeClock, port: int = 0, path: str | None = None) -> None:
        """On a free port, at a random path; or at a given `port` and `path`, to come
        back where an endpoint was registered while nothing listened there."""
        self._clock = clock
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._received: list[Received] = []
        self.path = path or f"/hooks/{secrets.token_hex(8)}"
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; then 200 again."""
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _take(self, received: Received) -> Reply:
        with self._lock:
            self._received.append(received)
            return self._replies.popleft() if self._replies else Reply()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path != receiver.path:
                    self._answer(Reply(404, "not here"))
                    return
                reply = receiver._take(
                    Received(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                        at=receiver._clock.now(),
                    )
                )
                self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                data = reply.body.encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
