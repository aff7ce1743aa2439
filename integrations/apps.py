from importlib import import_module

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"


class ProviderConfig(AppConfig):
    """A provider's app (integrations/<provider>/apps.py): ready() registers `<provider>.provider.PROVIDER`."""

    def ready(self):
        from . import registry

        registry.register(import_module(f"{self.name}.provider").PROVIDER)
