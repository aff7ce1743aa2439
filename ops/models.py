from django.db import models


class PeriodicRun(models.Model):
    """When a periodic job (an entry of CELERY_BEAT_SCHEDULE) last started in a worker: beat sent it and
    a worker took it. One row a task; `/readyz` and the metrics read the newest."""

    task = models.CharField(max_length=200, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        verbose_name = "periodic job run"

    def __str__(self):
        return f"{self.task} at {self.last_run_at:%Y-%m-%d %H:%M:%S} UTC"
