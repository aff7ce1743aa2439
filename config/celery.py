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


def enqueue_each(task, ids: list[int], *, delay: float = 0, what: str) -> list[int]:
    """Send `task(id)` for each id (after `delay` seconds) without retrying; returns the ids queued.
    One that could not be queued is logged (as `what`): the caller's sweep queues it later."""
    queued = []
    for item in ids:
        try:
            task.apply_async((item,), countdown=delay, retry=False)
        except Exception:
            logging.getLogger(__name__).warning("Could not queue %s %s; the sweep will", what, item, exc_info=True)
        else:
            queued.append(item)
    return queued
