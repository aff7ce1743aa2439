from django.db import models
from encrypted_model_fields.fields import EncryptedTextField

from .client import advice_for

# The provider key: the registry entry, the audit trail, card sections.
PROVIDER = "slack"


class SlackConnection(models.Model):
    """An organization's Slack workspace, installed with "Add to Slack". At most one per organization.

    The bot token is encrypted at rest and never shown anywhere (not even its last characters).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorization"

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="slack_connection"
    )
    team_id = models.CharField(max_length=40)
    team_name = models.CharField(max_length=200, blank=True, default="")
    team_url = models.CharField(max_length=300, blank=True, default="")
    enterprise_id = models.CharField(max_length=40, blank=True, default="")
    app_id = models.CharField(max_length=40, blank=True, default="")
    bot_user_id = models.CharField(max_length=40, blank=True, default="")
    bot_id = models.CharField(max_length=40, blank=True, default="")
    bot_name = models.CharField(max_length=200, blank=True, default="")
    bot_token = EncryptedTextField()
    scopes = models.CharField(max_length=1000, blank=True, default="", help_text="Granted bot scopes, comma-separated.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    validated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    last_error_code = models.CharField(
        max_length=60, blank=True, default="", help_text="Slack's error code for last_error (the advice admins read)."
    )
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error_transient = models.BooleanField(
        default=False, help_text="Slack's trouble (an outage, a rate limit): Roster tries again, nobody has to act."
    )
    connected_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Slack connection"

    def __str__(self):
        return f"Slack {self.team_name or self.team_id} for {self.organization} ({self.get_status_display()})"

    @property
    def last_error_for_admins(self) -> str:
        """The error with what an admin does about it (Click Reconnect Slack …), as admins read it."""
        advice = advice_for(self.last_error_code)
        return f"{self.last_error} {advice}" if advice else self.last_error

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]


class SlackOAuthLogin(models.Model):
    """An "Add to Slack" started and not yet finished: single use, short-lived.

    Only a hash of the `state` is stored; the state itself sits in the admin's session.
    """

    state_hash = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Slack install in progress"

    def __str__(self):
        return f"Slack install for {self.organization_id} started {self.created_at:%Y-%m-%d %H:%M}"


class SlackUser(models.Model):
    """Who an email address is in a Slack workspace (users.lookupByEmail), cached per workspace.

    An empty `user_id` records that no Slack user had the address when it was looked up: it is
    asked again once that answer is older than services.NOT_FOUND_RECHECK (people join Slack).
    """

    team_id = models.CharField(max_length=40)
    email = models.CharField(max_length=254, help_text="Lower case.")
    user_id = models.CharField(max_length=40, blank=True, default="")
    looked_up_at = models.DateTimeField()

    class Meta:
        verbose_name = "Slack user (cached look-up)"
        constraints = [models.UniqueConstraint(fields=["team_id", "email"], name="slack_user_unique_per_workspace")]

    def __str__(self):
        return f"{self.email} in {self.team_id}: {self.user_id or 'not in Slack'}"
