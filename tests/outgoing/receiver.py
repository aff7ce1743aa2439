"""A local webhook receiver (an http.server thread on 127.0.0.1) that checks Standard Webhooks
signatures with the `standardwebhooks` package, as a customer's endpoint would."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


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

    def verified(self, secret: str) -> list[dict]:
        """Every body whose signature `secret` verifies (raises on one that does not)."""
        return [Webhook(secret).verify(r.body, r.headers) for r in self.received]


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
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, receiver


def decode(received: Received) -> dict:
    return json.loads(received.body)
