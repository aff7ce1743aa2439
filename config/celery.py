import logging

from celery import Celery

from config.env import use_settings

use_settings()  # .env first, then production unless it or the environment names other settings

app = Celery("roster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["integrations.pagerduty"])


def enqueue_or_log(task, *args, what: str) -> bool:
    """Send `task(*args)` to the broker without retrying. A broker outage is logged (as `what`) and
    answered False, never raised: callers have stored their work and record that it waits."""
    try:
        task.apply_async(args, retry=False)
    except Exception:
        logging.getLogger(__name__).warning("Could not queue %s", what, exc_info=True)
        return False
    return True
