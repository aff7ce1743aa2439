from django.contrib import admin

from accounts.admin import register_organization_inline

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
    "last_error_at",
    "connected_by",
    "updated_at",
)


class SlackConnectionInline(admin.StackedInline):
    model = SlackConnection
    extra = 0
    max_num = 0
    can_delete = False
    fields = readonly_fields = HEALTH_FIELDS
    verbose_name = "Slack connection health"


register_organization_inline(SlackConnectionInline)


@admin.register(SlackConnection)
class SlackConnectionAdmin(admin.ModelAdmin):
    list_display = ["organization", "status", "team_name", "team_id", "bot_name", "validated_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["organization__name", "organization__slug", "team_name", "team_id"]
    fields = readonly_fields = ("organization", *HEALTH_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Disconnecting revokes the token at Slack and is audited: an organization admin does it
        # from Settings → Integrations, never a bare row delete here.
        return False


@admin.register(SlackUser)
class SlackUserAdmin(admin.ModelAdmin):
    """Who an email address is in a workspace, as Roster last looked it up. Deleting a row makes Roster
    look the address up again."""

    list_display = ["email", "team_id", "user_id", "looked_up_at"]
    search_fields = ["email", "team_id", "user_id"]
    fields = readonly_fields = ("team_id", "email", "user_id", "looked_up_at")

    def has_add_permission(self, request):
        return False
