from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "integrations.slack"
    label = "slack"
    verbose_name = "Slack"

    def ready(self):
        from integrations import registry

        from . import provider

        registry.register(provider.PROVIDER)
