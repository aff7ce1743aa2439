import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
import responses as responses_lib
import time_machine

from accounts.models import Membership, Organization, User
from accounts.services import api_token_create, organization_create
from tests.factories import PagerDutyConnectionFactory

PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.UTC)  # `frozen`: a Friday; New York springs forward on Sunday 8 March

# What a test uses that makes the engine matter: `make test-services` runs these again on PostgreSQL
# (pytest-django's own list, plus the django_db mark).
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}
LAST_REDIS_DB = 15  # Redis has databases 0 to 15


def xdist_worker_number() -> int | None:
    """0, 1, ... in a pytest-xdist worker (gw0, gw1, ...); None in a run without -n."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def pytest_configure(config):
    """Under pytest-xdist (`make test` and `make test-services` run `-n 2`) each worker process gets its
    own Redis database: the one in REDIS_URL plus its number (gw0: REDIS_URL's, gw1: the next). Its
    cache, rate-limit counts (`config.limits.clear()` empties a whole database) and a real worker's
    queue are then its own. The test databases are per worker already (pytest-django names them
    test_<name>_gw0, test_<name>_gw1)."""
    from django.conf import settings

    number = xdist_worker_number()
    if not number or not settings.REDIS_URL:
        return
    base, _, db = settings.REDIS_URL.rstrip("/").rpartition("/")
    own = int(db or 0) + number
    if own > LAST_REDIS_DB:
        raise pytest.UsageError(
            f"REDIS_URL names database {db}; worker gw{number} would need database {own}, and Redis has 0 to "
            f"{LAST_REDIS_DB}: use a lower one (SERVICES_REDIS_URL) or fewer workers (TEST_WORKERS)"
        )
    url = f"{base}/{own}"
    settings.REDIS_URL = settings.CELERY_BROKER_URL = os.environ["REDIS_URL"] = url
    settings.CACHES["default"]["LOCATION"] = url
    from config.celery import app

    app.conf.broker_url = url


def pytest_itemcollected(item):
    if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.database)


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process, except in tests that use a real worker (`real_celery_worker`)."""
    from config.celery import app

    if "real_celery_worker" in request.fixturenames:
        yield
        return
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _own_throttle_counts(settings):
    """Each test counts password-reset requests afresh, also in a Redis cache shared between runs."""
    import uuid

    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"
    from config import limits

    limits.clear()


@pytest.fixture(autouse=True)
def _every_email_is_marked_automatic():
    """Whatever a test sends: each email Roster sends says it is automatic (RFC 3834), so out-of-office
    replies are not sent back to Roster's address."""
    from django.core import mail

    yield
    for message in getattr(mail, "outbox", []):
        assert message.extra_headers.get("Auto-Submitted") == "auto-generated", message.subject


@pytest.fixture
def mail_down(monkeypatch):
    """Every email fails to send, as when the mail server refuses connections."""
    from django.core.mail import EmailMessage

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", down)
    return monkeypatch


@pytest.fixture
def rsps():
    """Every outbound HTTP call must be mocked: an unexpected call fails the test."""
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def frozen():
    """The clock stands still at NOW."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def postgresql(settings):
    """Skips the test but on PostgreSQL (`make test-services`), for what only its locks decide."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: run `make test-services`")


@pytest.fixture
def postgresql_and_redis(settings):
    """Skips the test but on PostgreSQL with Redis (`make test-services`): a real worker, a shared limiter."""
    if not settings.REDIS_URL or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL and Redis: run `make test-services`")


@pytest.fixture
def org(db) -> Organization:
    return organization_create(name="Acme", admin_email="admin@acme.example", password=PASSWORD)


@pytest.fixture
def admin_user(org) -> User:
    return User.objects.get(email="admin@acme.example")


@pytest.fixture
def staff_client(admin_client, admin_user):
    """Acme's admin, signed in, who is also support staff (the Django admin)."""
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_client


def new_member(org, email: str, *, role: str = Membership.Role.MEMBER, **fields) -> User:
    """A new member of `org` (a plain one unless `role` says admin), who signs in with PASSWORD;
    `fields` are more of the user's (first_name, is_active)."""
    user = User.objects.create_user(email=email, password=PASSWORD, **fields)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


def bearer(org, scope: str = "admin", *, name: str = "script", created_by=None, expires_in_days=None) -> dict:
    """A new API token of `org` with `scope`, as the test client's keyword for its header:
    `client.get(url, **bearer(org, "read"))`. An operator's token (it acts for no person) unless
    `created_by` names the admin it acts for."""
    _, raw = api_token_create(
        organization=org, name=name, scope=scope, created_by=created_by, expires_in_days=expires_in_days
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def token_auth(org) -> dict:
    """The header of an admin-scope operator's API token of Acme (`client.get(url, **token_auth)`)."""
    return bearer(org)


@pytest.fixture
def member_user(org) -> User:
    return new_member(org, "member@acme.example")


@pytest.fixture
def other_org(db) -> Organization:
    return organization_create(name="Globex", admin_email="admin@globex.example", password=PASSWORD)


@pytest.fixture
def outsider(other_org) -> User:
    """An admin of another organization."""
    return User.objects.get(email="admin@globex.example")


@pytest.fixture
def pd_connection(org):
    """Acme connected to PagerDuty with an API key (no PagerDuty call made)."""
    return PagerDutyConnectionFactory(organization=org)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_client(client, member_user):
    client.force_login(member_user)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


@pytest.fixture
def captured_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def fake_pagerduty(settings):
    """A fake PagerDuty API on 127.0.0.1; settings point the app (and a real worker) at it."""
    from tests.fake_pagerduty import FakePagerDuty

    with FakePagerDuty() as fake:
        settings.PAGERDUTY_API_URL = fake.url
        settings.PAGERDUTY_EU_API_URL = fake.url
        yield fake


@pytest.fixture(autouse=True)
def _slack_settings(settings):
    """Slack settings never come from a developer's environment: no operator app unless a test (or
    `fake_slack`) sets one, and an API URL where nothing listens."""
    settings.SLACK_CLIENT_ID = settings.SLACK_CLIENT_SECRET = ""
    settings.SLACK_API_URL = "http://127.0.0.1:9/api/"
    settings.SLACK_AUTHORIZE_URL = "https://slack.example.invalid/oauth/v2/authorize"
    settings.SLACK_MAX_RETRY_WAIT = 1
    settings.SLACK_RATE_LIMIT_RETRIES = 2
    settings.SLACK_PACING = False  # on in the tests of pacing only (a test makes many calls at one frozen instant)


@pytest.fixture
def fake_slack(settings):
    """A fake Slack Web API + OAuth server on 127.0.0.1 with the operator's app configured."""
    from tests.fake_slack import FakeSlack

    with FakeSlack() as fake:
        settings.SLACK_API_URL = fake.api_url
        settings.SLACK_AUTHORIZE_URL = fake.authorize_url
        settings.SLACK_CLIENT_ID = fake.client_id
        settings.SLACK_CLIENT_SECRET = fake.client_secret
        settings.SLACK_HOOKS_URL = fake.hooks_url
        yield fake


@pytest.fixture
def real_celery_worker(postgresql_and_redis, transactional_db, settings, fake_pagerduty):
    """A real Celery worker process on the test database and a real Redis (the `services` suite).

    Tests using it are marked `services`; they need DATABASE_URL (PostgreSQL) and REDIS_URL.
    """
    with celery_worker_process(settings) as proc:
        yield proc


@contextlib.contextmanager
def celery_worker_process(settings, *, app_module: str = "config", extra_env: dict | None = None, purge: bool = True):
    """Start a Celery worker (the Celery app in `app_module`) on the test database and Redis; stop it
    on leaving. `purge` empties the queue first (a restart after the broker lost its messages)."""
    import sys
    import time
    from pathlib import Path

    from config.celery import app

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "PAGERDUTY_API_URL": settings.PAGERDUTY_API_URL,
        "PAGERDUTY_EU_API_URL": settings.PAGERDUTY_EU_API_URL,
        "PAGERDUTY_IDENTITY_URL": settings.PAGERDUTY_IDENTITY_URL,
        **(extra_env or {}),
    }
    if purge:
        app.control.purge()
    root = Path(__file__).resolve().parent.parent
    log_path = celery_worker_log()
    log_path.parent.mkdir(exist_ok=True)
    log_file = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            app_module,
            "worker",
            "--pool=solo",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=root,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited; see {log_path}")
        if "ready." in log_path.read_text():
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(f"the Celery worker did not start; see {log_path}")
    try:
        yield proc
    finally:
        stop_process_group(proc, timeout=20)
        log_file.close()


def celery_worker_log():
    """Where the real worker of this test process writes: test-artifacts/celery-worker.log, or
    celery-worker-gw0.log and so on under pytest-xdist (each worker process starts its own)."""
    from pathlib import Path

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"celery-worker-{worker}.log" if worker else "celery-worker.log"
    return Path(__file__).resolve().parent.parent / "test-artifacts" / name


def stop_process_group(proc, *, timeout: float) -> None:
    """Stop a process started with start_new_session=True as bin/run stops its children: SIGTERM to
    the process alone (a Celery worker then shuts its pool and beat down itself), SIGKILL to its whole
    group once it has exited or after `timeout` seconds.

    SIGTERM to the whole group would also reach the worker's pool processes, killing a task in flight:
    the worker's warm shutdown then waits for that task (a minute under load), never for work."""
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # nothing of the group is left
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def assert_no_page_shows(client, urls: list[str], secrets) -> None:
    """Each page answers 200 and shows none of `secrets` (whole)."""
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for secret in secrets:
            assert secret not in response.content.decode(), url


def query_of(url: str) -> dict:
    """The parameters of `url`'s query string, one value each (an OAuth redirect's `state`, `code`...)."""
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll until predicate() is truthy (for work done by a real worker)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


# Every /api/ response any test sees must match the API description (see tests/openapi_contract.py).
from tests.openapi_contract import validate_api_responses  # noqa: E402, F401
