from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, register_organization_inline
from integrations.admin import ConnectionAdmin, ConnectionInline

from .models import SlackConnection, SlackUser

# Never the token: the workspace, the bot and health only.
HEALTH_FIELDS = (
    "status",
    "team_name",
    "team_id",
    "team_url",
    "enterprise_id",
    "app_id",
    "bot_user_id",
    "bot_id",
    "bot_name",
    "scopes",
    "validated_at",
    "last_error",
    "last_error_code",
    "last_error_at",
    "last_error_transient",
    "connected_by",
    "updated_at",
)


class SlackConnectionInline(ConnectionInline):
    model = SlackConnection
    fields = readonly_fields = HEALTH_FIELDS
    verbose_name = "Slack connection health"


register_organization_inline(SlackConnectionInline)


@admin.register(SlackConnection)
class SlackConnectionAdmin(ConnectionAdmin):
    list_display = ["organization", "status", "team_name", "team_id", "bot_name", "validated_at", "last_error"]
    list_filter = ["status"]
    search_fields = [*ConnectionAdmin.search_fields, "team_name", "team_id"]
    fields = readonly_fields = ("organization", *HEALTH_FIELDS)


@admin.register(SlackUser)
class SlackUserAdmin(ReadOnlyAdmin):
    """Who an email address is in a workspace, as Roster last looked it up. Deleting a row makes Roster
    look the address up again."""

    list_display = ["email", "team_id", "user_id", "looked_up_at"]
    search_fields = ["email", "team_id", "user_id"]
    fields = readonly_fields = ("team_id", "email", "user_id", "looked_up_at")
    allow_change = True
