"""Production: the settings `gunicorn config.wsgi`, `celery -A config` and manage.py use unless told
otherwise. Each required variable missing stops the start with a message naming it."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env


def required(name: str, why: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why} (see .env.example and README's Deploy).")
    return value


# .env.example's value, and what Django itself makes for a throwaway project.
PLACEHOLDER_SECRET_KEYS = ("change-me",)
MIN_SECRET_KEY_LENGTH = 50  # as Django's deployment check (security.W009)
GENERATE_SECRET_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def strong_secret_key(value: str) -> str:
    """The key, or ImproperlyConfigured naming SECRET_KEY (never showing it): what `check --deploy`
    only warns about stops the start, so no server signs sessions with a guessable key."""
    if value in PLACEHOLDER_SECRET_KEYS or value.startswith("django-insecure"):
        problem = "is the placeholder from .env.example"
    elif len(value) < MIN_SECRET_KEY_LENGTH or len(set(value)) < 5:
        problem = f"is too short or too simple: production needs at least {MIN_SECRET_KEY_LENGTH} random characters"
    else:
        return value
    raise ImproperlyConfigured(f"SECRET_KEY {problem}. Generate one with: {GENERATE_SECRET_KEY}")


DEBUG = False
SECRET_KEY = strong_secret_key(required("SECRET_KEY", "production never signs sessions with a key from the source"))
# Celery through Redis: a web request never runs a task in-process, and beat runs the periodic jobs.
REDIS_URL = required("REDIS_URL", "production queues tasks for the worker and beat through Redis")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
# Checked here for a clear message; base.py reads it (one key, or NEW,OLD while rotating).
required("FIELD_ENCRYPTION_KEY", "API keys, OAuth tokens and webhook secrets are stored encrypted with it")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only. The redirect can be left to the proxy (SECURE_SSL_REDIRECT=false); /healthz stays
# reachable over plain HTTP for load-balancer probes.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Keep database connections open between requests (checked before reuse) unless DATABASE_URL
# says otherwise with ?conn_max_age=.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# HSTS for subdomains and the browser preload list bind every subdomain of the operator's domain
# for months: an operator decision (SECURE_HSTS_INCLUDE_SUBDOMAINS), not a default of Roster's.
SILENCED_SYSTEM_CHECKS = ["security.W021"] + ([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"])
