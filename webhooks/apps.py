from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks and incidents"

    def ready(self):
        from integrations import registry

        from . import card, tasks  # noqa: F401  (tasks: registered in every process, so queueing by name finds them)

        registry.register_card_section(
            "pagerduty",
            registry.CardSection(template="webhooks/card_section.html", context=card.card_context, order=20),
        )
