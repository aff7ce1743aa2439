from django.db import models
from encrypted_model_fields.fields import EncryptedTextField


class PagerDutyConnection(models.Model):
    """An organization's link to its PagerDuty account. At most one per organization.

    Credentials are encrypted at rest (django-encrypted-model-fields); the card and the API only
    ever show `key_last4`.
    """

    class AuthType(models.TextChoices):
        API_KEY = "api_key", "REST API key"
        OAUTH = "oauth", "OAuth 2.0"

    class Region(models.TextChoices):
        US = "us", "US (api.pagerduty.com)"
        EU = "eu", "EU (api.eu.pagerduty.com)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INVALID = "invalid", "Invalid credentials"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorization"

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="pagerduty_connection"
    )
    auth_type = models.CharField(max_length=10, choices=AuthType.choices)
    region = models.CharField(max_length=2, choices=Region.choices, default=Region.US)
    api_key = EncryptedTextField(blank=True, default="")
    key_last4 = models.CharField(max_length=4, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    # Who the connection acts as. Empty for account-level keys (not tied to a user).
    is_account_key = models.BooleanField(default=False)
    external_user_id = models.CharField(max_length=40, blank=True, default="")
    external_user_name = models.CharField(max_length=200, blank=True, default="")
    external_user_email = models.CharField(max_length=254, blank=True, default="")
    account_subdomain = models.CharField(max_length=100, blank=True, default="")
    # {"read_schedules": "yes"|"no"|"unknown", "read_users": ..., "read_teams": ..., "write": ...}
    capabilities = models.JSONField(default=dict, blank=True)

    validated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PagerDuty connection"

    def __str__(self):
        return f"PagerDuty for {self.organization} ({self.get_status_display()})"

    @property
    def display_name(self) -> str:
        if self.external_user_name:
            return self.external_user_name
        if self.account_subdomain:
            return f"{self.account_subdomain}.pagerduty.com"
        return "PagerDuty"
