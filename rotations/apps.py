from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"

    def ready(self):
        from integrations import registry
        from integrations.pagerduty import services as pd_services

        from . import card, services

        if services.rotations_unbind_all not in pd_services.DISCONNECT_HOOKS:
            pd_services.DISCONNECT_HOOKS.append(services.rotations_unbind_all)
        if services.disconnect_warning not in pd_services.DISCONNECT_WARNINGS:
            pd_services.DISCONNECT_WARNINGS.append(services.disconnect_warning)
        registry.register_card_section("pagerduty", card.SECTION)
