from django.apps import AppConfig


class CoversConfig(AppConfig):
    name = "covers"
    verbose_name = "Cover requests"

    def ready(self):
        from rotations import hooks

        from . import page

        hooks.register_detail_context(page.section_context)  # the rotation page's "Cover requests" section
