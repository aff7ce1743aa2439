"""Settings for bench/webhooks.py: the app's own, plus bench-only views (see bench/urls.py)."""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
