from django.db import models
from encrypted_model_fields.fields import EncryptedTextField

# The provider key: the registry entry, the audit trail, card sections.
PROVIDER = "pagerduty"


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

    class RefreshResult(models.TextChoices):
        OK = "ok", "Refreshed"
        FAILED = "failed", "Failed (will retry)"
        REFUSED = "refused", "Refused by PagerDuty (re-authorize)"

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
    # {"read_schedules": "yes"|"no"|"unknown", "read_users": ..., "read_teams": ..., "write": ...,
    #  "write_overrides": ...} — the two writes are learned from PagerDuty's answers (or OAuth scopes)
    capabilities = models.JSONField(default=dict, blank=True)

    validated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The client error's code (e.g. "pagerduty_unavailable"): tells a transient error (PagerDuty
    # unreachable, rate-limited: Roster retries by itself) from one a person must fix.
    last_error_code = models.CharField(max_length=60, blank=True, default="")
    connected_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- OAuth 2.0 (auth_type "oauth"): see oauth.py. Tokens and the client secret are encrypted.
    oauth_uses_operator_app = models.BooleanField(
        default=False, help_text="True: the server's app (PAGERDUTY_CLIENT_ID); False: the organization's own app."
    )
    oauth_client_id = models.CharField(max_length=200, blank=True, default="")
    oauth_client_secret = EncryptedTextField(blank=True, default="")
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True, default="", help_text="Granted scopes, space-separated.")
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_refresh_result = models.CharField(max_length=20, blank=True, default="", choices=RefreshResult.choices)
    last_refresh_error = models.CharField(max_length=500, blank=True, default="")

    # --- Freshness (issue 26): how Roster notices changes made in PagerDuty (rotations/freshness.py).
    class ChangeDetection(models.TextChoices):
        ONCALLS = "oncalls", "On-call entries (GET /oncalls)"
        FULL_FETCHES = "full_fetches", "Whole schedules re-read in turn (no oncalls.read)"

    change_detection = models.CharField(max_length=20, blank=True, default="", choices=ChangeDetection.choices)
    change_polled_at = models.DateTimeField(null=True, blank=True)
    change_poll_seconds = models.FloatField(default=0, help_text="How long the last change poll took.")
    change_poll_requests = models.PositiveIntegerField(default=0, help_text="Requests the last change poll sent.")
    refetch_wait_seconds = models.FloatField(
        default=0, help_text="Recent time from a change noticed to its schedule re-read (moving average)."
    )

    class Meta:
        verbose_name = "PagerDuty connection"
        verbose_name_plural = "PagerDuty connections"

    def __str__(self):
        return f"PagerDuty for {self.organization} ({self.get_status_display()})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def clear_oauth(self) -> None:
        """Forget every OAuth credential (switching to an API key)."""
        self.oauth_uses_operator_app = False
        self.oauth_client_id = self.oauth_client_secret = ""
        self.access_token = self.refresh_token = self.scopes = ""
        self.token_expires_at = self.last_refreshed_at = None
        self.last_refresh_result = self.last_refresh_error = ""

    @property
    def display_name(self) -> str:
        if self.external_user_name:
            return self.external_user_name
        if self.account_subdomain:
            return f"{self.account_subdomain}.pagerduty.com"
        return "PagerDuty"


class PagerDutyOAuthLogin(models.Model):
    """A login started with "Connect with OAuth" and not yet finished: single use, short-lived.

    Only a hash of the `state` is stored; the state itself sits in the admin's session. The PKCE
    verifier and the app's client secret are encrypted and deleted once the login is used.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    bound_to_session = models.BooleanField(default=True, help_text="False when started by an API token.")
    region = models.CharField(max_length=2, choices=PagerDutyConnection.Region.choices, default="us")
    code_verifier = EncryptedTextField(blank=True, default="")
    uses_operator_app = models.BooleanField(default=False)
    client_id = models.CharField(max_length=200, blank=True, default="")
    client_secret = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "PagerDuty OAuth login in progress"
        verbose_name_plural = "PagerDuty OAuth logins in progress"

    def __str__(self):
        return f"OAuth login for {self.organization_id} started {self.created_at:%Y-%m-%d %H:%M}"
