from django.apps import AppConfig


class PagerDutyConfig(AppConfig):
    name = "integrations.pagerduty"
    label = "pagerduty"
    verbose_name = "PagerDuty"

    def ready(self):
        from integrations import registry

        from . import provider

        registry.register(provider.PROVIDER)

        from . import oauth, services, views, views_oauth

        # OAuth: status fields, Refresh Connection runs the login again, disconnect text.
        if oauth.status_extension not in services.STATUS_EXTENSIONS:
            services.STATUS_EXTENSIONS.append(oauth.status_extension)
            services.DISCONNECT_WARNINGS.append(oauth.disconnect_warning)
            services.DISCONNECT_HOOKS.append(oauth.disconnect_hook)
            views.REFRESH_OVERRIDES.append(views_oauth.refresh_with_login)
