from django.apps import AppConfig


class CoversConfig(AppConfig):
    name = "covers"
    verbose_name = "Cover requests"

    def ready(self):
        from django.db.models.signals import post_delete

        from rotations import hooks
        from rotations.models import TimeOff

        from . import page, time_off

        hooks.register_detail_context(page.section_context)  # the rotation page's "Cover requests" section
        post_delete.connect(time_off.time_off_deleted, sender=TimeOff, dispatch_uid="covers.time_off_deleted")
