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

        # A person's calendar feeds and time off follow their membership and account (rotations/owners.py).
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Membership

        from . import owners

        post_delete.connect(owners.membership_deleted, sender=Membership, dispatch_uid="rotations_member_left")
        post_save.connect(owners.user_saved, sender=get_user_model(), dispatch_uid="feeds_user_deactivated")
