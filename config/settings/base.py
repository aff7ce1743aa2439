from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=False)
# Required unless DEBUG: a server never signs sessions with a key that is in the source.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY is not set: set it in the environment (see .env.example).")
SECRET_KEY = SECRET_KEY or "development-only-insecure-key"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "encrypted_model_fields",
    "axes",  # sign-in throttling (see "Sign-in throttling" below)
    "accounts",
    "integrations",
    "integrations.pagerduty",
    "integrations.slack",
    "rotations",
    "webhooks",
    "covers",
    "notifications",
    "outgoing",
    "ops",
]

MIDDLEWARE = [
    "config.middleware.request_context",  # first: the request id on every log line and in X-Request-ID
    "config.middleware.request_metrics",  # it times the whole answer
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.reject_nul_characters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.CurrentOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a refused sign-in into the sign-in page saying when
]

# Content-Security-Policy on every response (django-csp): only this site's own scripts, styles,
# images and fonts (no inline script or style in the templates); no framing, as X-Frame-Options says;
# forms post only here, and no <base> tag may move relative URLs elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.organization",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes refuses sign-in (the site's and the admin's) while an account or address is locked out;
# ModelBackend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/settings/integrations/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Email (password resets, invitations): printed to the console unless EMAIL_URL is set, e.g.
# smtp+tls://user:password@smtp.example.com:587
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Roster <roster@localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# django-encrypted-model-fields: a Fernet key (or a comma-separated list, newest first, for rotation).
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[]) or None
if FIELD_ENCRYPTION_KEY and len(FIELD_ENCRYPTION_KEY) == 1:
    FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY[0]

# PagerDuty
PAGERDUTY_API_URL = env("PAGERDUTY_API_URL", default="https://api.pagerduty.com").rstrip("/")
PAGERDUTY_EU_API_URL = env("PAGERDUTY_EU_API_URL", default="https://api.eu.pagerduty.com").rstrip("/")
PAGERDUTY_IDENTITY_URL = env("PAGERDUTY_IDENTITY_URL", default="https://identity.pagerduty.com").rstrip("/")
PAGERDUTY_TIMEOUT = env.float("PAGERDUTY_TIMEOUT", default=10.0)
# Retries on 429/5xx: how many, and the longest single wait the client accepts before giving up
# and raising RateLimited/Unavailable (so a worker never hangs on a long Retry-After).
PAGERDUTY_RETRIES = env.int("PAGERDUTY_RETRIES", default=3)
PAGERDUTY_MAX_RETRY_WAIT = env.float("PAGERDUTY_MAX_RETRY_WAIT", default=10.0)
PAGERDUTY_RETRY_BACKOFF = env.float("PAGERDUTY_RETRY_BACKOFF", default=0.5)
# PagerDuty OAuth 2.0 (integrations/pagerduty/oauth.py). The operator's app is optional: without
# it each organization pastes its own app's Client ID/Secret. A Classic app (many PagerDuty
# accounts) asks for PAGERDUTY_OAUTH_SCOPES=read; a scoped app for the default list.
PAGERDUTY_OAUTH_ENABLED = env.bool("PAGERDUTY_OAUTH_ENABLED", default=False)
PAGERDUTY_CLIENT_ID = env("PAGERDUTY_CLIENT_ID", default="")
PAGERDUTY_CLIENT_SECRET = env("PAGERDUTY_CLIENT_SECRET", default="")
PAGERDUTY_OAUTH_SCOPES = env(
    "PAGERDUTY_OAUTH_SCOPES", default="openid schedules.read teams.read users.read oncalls.read"
)
# Refresh an OAuth token this many seconds before it expires.
PAGERDUTY_OAUTH_REFRESH_MARGIN = env.int("PAGERDUTY_OAUTH_REFRESH_MARGIN", default=3600)

# Slack (integrations/slack/): the operator's Slack app ("Add to Slack"), and where Slack's Web API
# and OAuth authorize page live (another Slack-compatible server, or a fake in tests).
SLACK_CLIENT_ID = env("SLACK_CLIENT_ID", default="")
SLACK_CLIENT_SECRET = env("SLACK_CLIENT_SECRET", default="")
SLACK_API_URL = env("SLACK_API_URL", default="https://slack.com/api/").rstrip("/") + "/"
SLACK_AUTHORIZE_URL = env("SLACK_AUTHORIZE_URL", default="https://slack.com/oauth/v2/authorize")
SLACK_TIMEOUT = env.int("SLACK_TIMEOUT", default=10)
# A 429 is retried in-process (slack_sdk's retry handler) only when Slack asks to wait at most this
# many seconds, at most SLACK_RATE_LIMIT_RETRIES times; longer waits raise RateLimited to the caller.
SLACK_MAX_RETRY_WAIT = env.int("SLACK_MAX_RETRY_WAIT", default=5)
SLACK_RATE_LIMIT_RETRIES = env.int("SLACK_RATE_LIMIT_RETRIES", default=2)
# The client keeps each workspace within Slack's per-method limits itself (config.limits, moving windows).
SLACK_PACING = env.bool("SLACK_PACING", default=True)
# Slack slash commands, buttons and events (covers/slack_events.py) at {PUBLIC_BASE_URL}/integrations/slack/events/:
# each request is checked with the Slack app's Signing Secret; unset, that URL answers 404. Slack's
# response_url for an ephemeral answer must start with SLACK_HOOKS_URL (Slack's own; a fake in tests).
SLACK_SIGNING_SECRET = env("SLACK_SIGNING_SECRET", default="")
SLACK_HOOKS_URL = env("SLACK_HOOKS_URL", default="https://hooks.slack.com/").rstrip("/") + "/"

# Rotations: how often beat syncs PagerDuty schedules (seconds), how far ahead, how long a looked-up
# PagerDuty user is trusted, and the per-worker rate of schedule syncs (PagerDuty allows 960/min per key).
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics is a 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
ROSTER_SYNC_INTERVAL = env.int("ROSTER_SYNC_INTERVAL", default=300)
ROSTER_SYNC_LOOKAHEAD_DAYS = env.int("ROSTER_SYNC_LOOKAHEAD_DAYS", default=15)
ROSTER_PAGERDUTY_USER_CACHE_HOURS = env.int("ROSTER_PAGERDUTY_USER_CACHE_HOURS", default=24)
# Time off: how many days ahead Roster opens cover requests for a person's shifts in PagerDuty-bound rotations.
ROSTER_TIME_OFF_LEAD_DAYS = env.int("ROSTER_TIME_OFF_LEAD_DAYS", default=7)
# Issue 26 (README → Freshness): PagerDuty requests Roster's background work (syncs, change polls) may
# send per credential a minute, counted by every process together (config.limits.shared_limiter); the
# rest of PagerDuty's 960/min is left to people clicking and the customer's own scripts. Every
# ROSTER_CHANGE_POLL_SECONDS each connection reads the next ROSTER_CHANGE_LOOKAHEAD_DAYS of on-call
# entries of all its schedules (GET /oncalls, a few requests) and re-reads only the schedules that changed.
PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE = env.int("PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE", default=480)
ROSTER_CHANGE_POLL_SECONDS = env.int("ROSTER_CHANGE_POLL_SECONDS", default=30)
ROSTER_CHANGE_LOOKAHEAD_DAYS = env.int("ROSTER_CHANGE_LOOKAHEAD_DAYS", default=7)
# Without REDIS_URL, counts every process shares live in this SQLite file (config/limits_sqlite.py).
ROSTER_LIMITS_SQLITE = env("ROSTER_LIMITS_SQLITE", default=str(BASE_DIR / "var" / "limits.sqlite3"))

# Settings → Members: how many days an invitation link stays valid.
ROSTER_INVITATION_DAYS = env.int("ROSTER_INVITATION_DAYS", default=7)

# Celery: Redis when REDIS_URL is set. Without it tasks run in-process here and in the test settings;
# the development settings use an embedded broker instead and production requires REDIS_URL.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Workers log through LOGGING below (LOG_FORMAT, redaction, request ids), not Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TIMEZONE = "UTC"

# Sign-in throttling (README → Operations). After ROSTER_LOGIN_FAILURE_LIMIT failed sign-ins for one
# account, or from one address, within ROSTER_LOGIN_COOLOFF_MINUTES, sign-in for it (site and admin) is
# refused, even with the right password, until that long after the last failure; the sign-in page says
# when. A successful sign-in clears the account's count. django-axes counts in the database.
ROSTER_LOGIN_FAILURE_LIMIT = env.int("ROSTER_LOGIN_FAILURE_LIMIT", default=5)
ROSTER_LOGIN_COOLOFF_MINUTES = env.int("ROSTER_LOGIN_COOLOFF_MINUTES", default=15)
# Behind N reverse proxies that each append to X-Forwarded-For, the client's address is the Nth entry
# from the right. 0 (the default): REMOTE_ADDR, and X-Forwarded-For (anyone can send one) is ignored.
ROSTER_TRUSTED_PROXY_COUNT = env.int("ROSTER_TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = ROSTER_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ROSTER_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: the account, or the address
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused attempt does not move the retry time
AXES_HANDLER = "accounts.signin.SigninAttemptHandler"
AXES_USERNAME_CALLABLE = "accounts.signin.attempted_email"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # no row (address, browser) kept for every successful sign-in
AXES_VERBOSE = False  # no start-up banner; failures and lockouts are still logged (addresses masked)
# Password-reset requests are limited the same way per address and per email (django-ratelimit), counted
# in the cache: with REDIS_URL (production) Django's RedisCache, shared by every gunicorn worker; without
# it each process counts on its own (LocMemCache), which is enough for development only.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CACHES["default"]["KEY_PREFIX"] = "roster"


# The periodic jobs (Celery beat): each entry is a task and how often it runs.
def _every(task: str, **interval: float) -> dict:
    return {"task": task, "schedule": timedelta(**interval)}


CELERY_BEAT_SCHEDULE = {
    # Every 6 hours: re-validate every active connection, so a revoked key shows on the card.
    "pagerduty-validate-connections": _every("integrations.pagerduty.tasks.start_validate_connections", hours=6),
    # Every 5 minutes: refresh OAuth tokens that expire within PAGERDUTY_OAUTH_REFRESH_MARGIN.
    "pagerduty-refresh-tokens": _every("integrations.pagerduty.tasks.start_refresh_tokens", minutes=5),
    # Every 6 hours: re-check every active Slack connection (auth.test), so a removed app shows on the card.
    "slack-validate-connections": _every("integrations.slack.tasks.start_validate_connections", hours=6),
    # Every ROSTER_SYNC_INTERVAL seconds (5 minutes by default): sync every bound rotation.
    "rotations-sync": _every("rotations.tasks.start_sync", seconds=ROSTER_SYNC_INTERVAL),
    # Every ROSTER_CHANGE_POLL_SECONDS (30 s): each organization's change poll (GET /oncalls), re-reading
    # only the schedules that changed (rotations/freshness.py).
    "rotations-poll-changes": _every("rotations.tasks.poll_changes", seconds=ROSTER_CHANGE_POLL_SECONDS),
    # Every minute: record the handoffs that happened (native cadence, overrides, skips, stored shifts).
    "rotations-record-handoffs": _every("rotations.tasks.record_handoffs", minutes=1),
    # Every 10 minutes: cover requests for shifts inside people's time off (ROSTER_TIME_OFF_LEAD_DAYS ahead).
    "covers-time-off": _every("covers.tasks.time_off_covers", minutes=10),
    # Every minute: fan out handoffs no nudge reached, each channel's own scan (outgoing webhooks: relay
    # missed incident events, free stuck endpoints), reset rows a dead worker left sending, queue lost
    # ones (outgoing webhooks: one per endpoint, round-robin).
    "notifications-sweep": _every("notifications.tasks.sweep", minutes=1),
    # Every minute: reminders of shifts about to start, and notifications of shifts that moved.
    "notifications-upcoming": _every("notifications.tasks.upcoming", minutes=1),
    # Every minute: queue webhook deliveries that were stored but never processed (broker was down).
    "webhooks-sweep-deliveries": _every("webhooks.tasks.sweep_deliveries", minutes=1),
    # Once a day: add to each recorded PagerDuty webhook subscription the events Roster reads that it does not
    # send (one made when Roster asked for fewer, or by hand); what PagerDuty refuses is named on the card.
    "webhooks-subscription-events": _every("webhooks.tasks.start_subscription_checks", days=1),
    # Every minute: cover requests nobody took expire at their end, and are announced an hour before their start.
    "covers-expire": _every("covers.tasks.expire", minutes=1),
}

# Outgoing webhooks: true lets endpoints on loopback and private networks, on any port, receive (tests,
# on-premises); otherwise only the ports listed (an endpoint URL's port, or its scheme's default).
OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
OUTGOING_WEBHOOKS_ALLOWED_PORTS = env.list("OUTGOING_WEBHOOKS_ALLOWED_PORTS", cast=int, default=[443, 80])

# Webhooks: the largest body accepted (PagerDuty guarantees 55 KB, best effort 256 KB), how many
# unverified deliveries an organization may hold before it saves a secret, and the sweeper's pace.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
WEBHOOK_MAX_HELD = env.int("WEBHOOK_MAX_HELD", default=100)  # then 503: PagerDuty retries
WEBHOOK_MAX_HELD_BODY_BYTES = env.int("WEBHOOK_MAX_HELD_BODY_BYTES", default=256 * 1024)  # unsigned: held
WEBHOOK_SWEEP_AFTER_SECONDS = env.int("WEBHOOK_SWEEP_AFTER_SECONDS", default=10)  # queuing failed
WEBHOOK_SWEEP_STALE_SECONDS = env.int("WEBHOOK_SWEEP_STALE_SECONDS", default=300)  # queued, never processed
WEBHOOK_SWEEP_BATCH = env.int("WEBHOOK_SWEEP_BATCH", default=2000)
# The card warns that processing is behind once a delivery has waited this long.
WEBHOOK_BACKLOG_WARN_SECONDS = env.int("WEBHOOK_BACKLOG_WARN_SECONDS", default=120)
WEBHOOK_RELAY_LINGER = env.float("WEBHOOK_RELAY_LINGER", default=0.05)  # seconds a web process gathers ids per message

# LOG_FORMAT=json: one JSON object a line (timestamp, level, logger, message, request_id,
# organization_id, task_name, task_id), Django's request and runserver lines included; plain otherwise.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
_JSON_LOGS = LOG_FORMAT == "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Every handler redacts secret paths (invitation, webhook, calendar feed, unsubscribe) from what
    # it writes (config/logging.py). Django's default handlers for `django` and `django.server` have no
    # such filter, so both loggers are given ours instead.
    "filters": {
        "redact_tokens": {"()": "config.logging.RedactInvitationTokens"},
        "context": {"()": "config.logging.AddContext"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if _JSON_LOGS else "plain",
            "filters": ["redact_tokens", "context"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "json" if _JSON_LOGS else "django.server",
            "filters": ["redact_tokens", "context"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},  # to root's console
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
