import hashlib
import os
import tempfile

from config.env import env

# Pinned before the base settings read them: the suite depends on no developer's .env or shell
# (config/env.py gives the test settings only TEST_ENVIRONMENT from the environment).
env.ENVIRON = {**env.ENVIRON, "SECRET_KEY": "test-only-secret-key-never-used-elsewhere-0123456789"}

from .base import *  # noqa: E402, F403

# Tests run a fake identity service on http://127.0.0.1; oauthlib insists on https otherwise.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

# A fixed key for the test suite only.
FIELD_ENCRYPTION_KEY = "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E="
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PAGERDUTY_API_URL = env("PAGERDUTY_API_URL", default="https://api.pagerduty.test")
PAGERDUTY_EU_API_URL = env("PAGERDUTY_EU_API_URL", default="https://api.eu.pagerduty.test")
PAGERDUTY_IDENTITY_URL = env("PAGERDUTY_IDENTITY_URL", default="https://identity.pagerduty.test")
PAGERDUTY_MAX_RETRY_WAIT = 0.0  # responses-based tests never sleep
PAGERDUTY_RETRY_BACKOFF = 0.0
# Shared counts without Redis: one file per checkout and xdist worker (processes a test starts share it).
ROSTER_LIMITS_SQLITE = os.path.join(
    tempfile.gettempdir(),
    "roster-test-limits-{}-{}.sqlite3".format(
        hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12],  # noqa: F405
        os.environ.get("PYTEST_XDIST_WORKER", "main"),
    ),
)
PUBLIC_BASE_URL = "https://roster.example.com"
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
