import logging

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config import logging as log_context
from config.env import use_settings

use_settings()  # .env first, then production unless it or the environment names other settings

app = Celery("roster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["integrations.pagerduty"])
app.autodiscover_tasks(["covers"], related_name="slack_tasks")


def enqueue_or_log(task, *args, what: str, **options) -> bool:
    """Send `task(*args)` to the broker (with apply_async's `options`) without retrying. A broker outage
    is logged (as `what`) and answered False, never raised: callers have stored their work and record
    that it waits."""
    try:
        task.apply_async(args, retry=False, **options)
    except Exception:
        logging.getLogger(__name__).warning("Could not queue %s", what, exc_info=True)
        return False
    return True


def enqueue_each(task, ids: list[int], *, delay: float = 0, what: str) -> list[int]:
    """Send `task(id)` for each id (after `delay` seconds) without retrying; returns the ids queued.
    One that could not be queued is logged (as `what`): the caller's sweep queues it later."""
    return [item for item in ids if enqueue_or_log(task, item, countdown=delay, what=f"{what} {item}; the sweep will")]


# --- Log context across the broker: a task queued by a request logs with its request id -----------

_HEADERS = ("request_id", "organization_id")


@before_task_publish.connect(weak=False, dispatch_uid="roster.log_context.publish")
def _carry_log_context(headers=None, **_kwargs) -> None:
    if headers is None:
        return
    values = log_context.context()
    for name in _HEADERS:
        if values.get(name) is not None:
            headers.setdefault(f"roster_{name}", values[name])


@task_prerun.connect(weak=False, dispatch_uid="roster.log_context.prerun")
def _bind_task_log_context(task_id=None, task=None, **_kwargs) -> None:
    request = getattr(task, "request", None)
    carried = {name: getattr(request, f"roster_{name}", None) for name in _HEADERS}
    values = {name: value for name, value in carried.items() if value is not None}
    token = log_context.bind(task_name=getattr(task, "name", None), task_id=task_id, **values)
    _TOKENS[task_id] = token


@task_postrun.connect(weak=False, dispatch_uid="roster.log_context.postrun")
def _unbind_task_log_context(task_id=None, **_kwargs) -> None:
    token = _TOKENS.pop(task_id, None)
    if token is not None:
        try:
            log_context.unbind(token)
        except ValueError:  # set in another context (a thread pool): nothing to restore here
            pass


_TOKENS: dict = {}
