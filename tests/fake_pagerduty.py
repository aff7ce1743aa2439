"""A fake PagerDuty REST API on 127.0.0.1 for browser tests, real-worker tests and benchmarks.

It speaks just enough of PagerDuty's API, with the documented response shapes, for Roster's
calls. Extend it with `server.route("GET", r"/schedules/(?P<id>\\w+)", handler)`, where a handler
takes (fake, request, match) and returns (status, body_dict[, headers]).

    with FakePagerDuty() as fake:
        settings.PAGERDUTY_API_URL = fake.url
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"
ACCOUNT_LEVEL = "Because this request was made using an account-level access token, we were unable to determine the user's identity."


def _fixture(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def param(self, name: str, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        return json.loads(self.body or b"{}")

    @property
    def token(self) -> str:
        auth = self.headers.get("authorization", "")
        if auth.startswith("Token token="):
            return auth.removeprefix("Token token=")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        return ""


@dataclass
class FakePagerDuty:
    # API key or OAuth access token → the user it acts as (None = an account-level key)
    valid_keys: dict = field(
        default_factory=lambda: {
            "u+fakeUserKey0001": {"id": "PXPGF42", "name": "Earline Greenholt", "email": "earline@acme.example"}
        }
    )
    subdomain: str = "acme"
    latency: float = 0.0
    calls: Counter = field(default_factory=Counter)
    log: list = field(default_factory=list)

    def __post_init__(self):
        self._routes: list[tuple[str, re.Pattern, object]] = []
        self._lock = threading.Lock()
        self.route("GET", r"/users/me", _users_me)
        self.route("GET", r"/users", _users)
        self.route("GET", r"/schedules", _list_fixture("schedules", "schedules_list.json"))
        self.route("GET", r"/teams", _list_fixture("teams", "teams_list.json"))

    # -- configuration --

    def route(self, method: str, pattern: str, handler) -> None:
        """Add (or override: the newest route wins) a handler for METHOD path."""
        self._routes.insert(0, (method, re.compile(f"^{pattern}$"), handler))

    def user_html_url(self, user_id: str) -> str:
        return f"https://{self.subdomain}.pagerduty.com/users/{user_id}"

    # -- serving --

    def __enter__(self) -> FakePagerDuty:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    method=self.command,
                    path=parsed.path,
                    query=parse_qs(parsed.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                status, body, headers = fake.dispatch(request)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def dispatch(self, request: FakeRequest):
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            self.calls[(request.method, request.path)] += 1
            self.log.append(request)
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if method == request.method and match:
                result = handler(self, request, match)
                status, body = result[0], result[1]
                headers = dict(result[2]) if len(result) > 2 else {}
                return status, body, headers
        return 404, {"error": {"message": "Not Found", "code": 2100}}, {}

    def authorize(self, request: FakeRequest):
        """The user for the request's credentials, None for an account key, or raise Refused(401)."""
        if request.token not in self.valid_keys:
            raise Refused()
        return self.valid_keys[request.token]


class Refused(Exception):
    pass


def authenticated(handler):
    def wrapper(fake, request, match):
        try:
            user = fake.authorize(request)
        except Refused:
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}
        return handler(fake, request, match, user)

    return wrapper


@authenticated
def _users_me(fake, request, match, user):
    if user is None:
        return 400, {"error": ACCOUNT_LEVEL}
    body = _fixture("users_me.json")
    body["user"].update(
        id=user["id"],
        name=user["name"],
        summary=user["name"],
        email=user["email"],
        html_url=fake.user_html_url(user["id"]),
    )
    return 200, body


@authenticated
def _users(fake, request, match, user):
    body = _fixture("users_list.json")
    for item in body["users"]:
        item["html_url"] = fake.user_html_url(item["id"])
    return 200, body


def _list_fixture(key: str, name: str):
    @authenticated
    def handler(fake, request, match, user):
        return 200, _fixture(name)

    return handler
