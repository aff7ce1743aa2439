"""Beat's heartbeat: each periodic job records when a worker started it (one upsert, no read)."""

from functools import cache

from django.conf import settings
from django.utils import timezone

from .models import PeriodicRun


@cache
def periodic_tasks() -> frozenset[str]:
    return frozenset(str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values())


def record_periodic_run(sender=None, task=None, **_kwargs) -> None:
    """Celery's task_prerun: remember when a periodic job started (other tasks are ignored)."""
    name = getattr(task, "name", None)
    if name not in periodic_tasks():
        return
    PeriodicRun.objects.update_or_create(task=name, defaults={"last_run_at": timezone.now()})
