from integrations import apps  # not the class itself: Django picks the one AppConfig of this module


class PagerDutyConfig(apps.ProviderConfig):
    name = "integrations.pagerduty"
    label = "pagerduty"
    verbose_name = "PagerDuty"
