from django.apps import AppConfig


class OutgoingConfig(AppConfig):
    name = "outgoing"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        from . import events, tasks  # noqa: F401  (tasks: registered in every process)

        events.install()
