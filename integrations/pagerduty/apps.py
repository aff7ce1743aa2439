from django.apps import AppConfig


class PagerDutyConfig(AppConfig):
    name = "integrations.pagerduty"
    label = "pagerduty"
    verbose_name = "PagerDuty"

    def ready(self):
        from integrations import registry

        from . import provider

        registry.register(provider.PROVIDER)
