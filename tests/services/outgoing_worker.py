"""The Celery app a real worker runs in tests/services/test_outgoing_worker.py: Roster's app, allowed
to deliver outgoing webhooks over http to the test's receiver on 127.0.0.1."""

from django.conf import settings

from config.celery import app

settings.DEBUG = True  # http:// endpoints (the receiver has no TLS)
settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True

__all__ = ["app"]
