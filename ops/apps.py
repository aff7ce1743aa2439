from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What an operator reads: readiness (`/readyz`) and when each periodic job last ran."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from celery.signals import task_prerun

        from . import heartbeat

        task_prerun.connect(heartbeat.record_periodic_run, weak=False, dispatch_uid="ops.periodic_run")
