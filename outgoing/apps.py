from django.apps import AppConfig


class OutgoingConfig(AppConfig):
    name = "outgoing"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        from notifications import registry
        from webhooks import hooks

        from . import events
        from .channel import WebhookChannel

        registry.register(WebhookChannel())
        hooks.register_incident_event_listener(events.incident_event_relay)
