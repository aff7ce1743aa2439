"""A local webhook receiver (an http.server thread on 127.0.0.1) that checks Standard Webhooks
signatures with the `standardwebhooks` package, as a customer's endpoint would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

from tests.openapi_contract import _validator

# Each event type's schema in outgoing/event_schemas.py.
SCHEMAS = {
    "rotation.handoff": "OutgoingWebhookEventHandoff",
    "rotation.upcoming": "OutgoingWebhookEventUpcoming",
    "rotation.shift_changed": "OutgoingWebhookEventShiftChanged",
    "incident.updated": "OutgoingWebhookEventIncident",
    "webhook.test": "OutgoingWebhookEventTest",
    "cover_request.created": "OutgoingWebhookEventCoverRequestCreated",
    "cover_request.taken": "OutgoingWebhookEventCoverRequestTaken",
    "cover_request.cancelled": "OutgoingWebhookEventCoverRequestCancelled",
    "cover_request.expired": "OutgoingWebhookEventCoverRequestExpired",
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Answers to give, in order (status, headers); then 204.
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # Answer 200 with a body this long (generated as it is written, never held), counting in `streamed`
    # how much of it the sender let through before it closed the connection.
    stream_bytes: int = 0
    streamed: int = 0

    def verified(self, secret: str) -> list[dict]:
        """Every body, its signature verified with `secret` and its shape with the API description's
        `OutgoingWebhookEvent*` schema for its type (raises on one that does not match)."""
        return [described(Webhook(secret).verify(r.body, r.headers)) for r in self.received]


def described(body: dict) -> dict:
    """The body, checked against the API description's schema for its type (an AssertionError if not)."""
    problems = [e.message for e in _validator(("components", "schemas", SCHEMAS[body["type"]])).iter_errors(body)]
    assert not problems, f"a {body['type']} body differs from its description: {problems}"
    return body


def start() -> tuple[ThreadingHTTPServer, Receiver]:
    receiver = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            with lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                status, headers = receiver.answers.pop(0) if receiver.answers else (204, {})
            if receiver.stream_bytes:
                self._stream(receiver.stream_bytes)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _stream(self, size: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"roster! " * 8192  # 64 KiB
            try:
                while receiver.streamed < size:
                    self.wfile.write(chunk[: size - receiver.streamed])
                    receiver.streamed += min(len(chunk), size - receiver.streamed)
            except OSError:  # the sender closed the connection
                self.close_connection = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, receiver


def decode(received: Received) -> dict:
    return json.loads(received.body)
