from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"

    def ready(self):
        from integrations import registry
        from integrations.pagerduty.models import PROVIDER

        from . import card, services

        # Disconnecting PagerDuty returns bound rotations to their own cadence.
        registry.register_disconnect_hook(
            PROVIDER, registry.DisconnectHook(describe=services.disconnect_warning, apply=services.rotations_unbind_all)
        )
        registry.register_card_section(PROVIDER, card.SECTION)
