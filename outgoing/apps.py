from django.apps import AppConfig


class OutgoingConfig(AppConfig):
    name = "outgoing"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        from notifications import registry
        from webhooks.signals import incident_event_recorded

        from . import events
        from .channel import WebhookChannel

        registry.register(WebhookChannel())
        incident_event_recorded.connect(events.incident_event_listener, dispatch_uid="outgoing.relay")
