from integrations import apps  # not the class itself: Django picks the one AppConfig of this module


class SlackConfig(apps.ProviderConfig):
    name = "integrations.slack"
    label = "slack"
    verbose_name = "Slack"
