from django.contrib import admin, messages

from accounts.actor import Actor
from accounts.admin import ReadOnlyAdmin

from . import tasks
from .models import EmailReminder, Notification, RotationEmailSettings, RotationSlack


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only, except **Resend** (sends the chosen notifications again, now): Slack, email and
    outgoing webhook deliveries alike (a webhook's has `response_code` and `response_body`; its target
    is "endpoint:<id>"). Staff need the "Can resend notifications" permission
    (`notifications.resend_notification`; a superuser has it)."""

    list_display = [
        "created_at",
        "organization",
        "rotation",
        "kind",
        "channel",
        "target",
        "status",
        "attempts",
        "response_code",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["rotation__name", "target", "source", "last_error", "organization__name", "organization__slug"]
    list_select_related = ["rotation", "organization"]
    actions = ["resend"]
    allow_delete = False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("notifications.resend_notification")

    @admin.action(description="Resend the selected notifications", permissions=["resend"])
    def resend(self, request, queryset):
        ids = tasks.resend(queryset.values_list("id", flat=True), actor=Actor.of_request(request))
        messages.success(request, f"{len(ids)} notification(s) queued to be sent again.")


@admin.register(RotationSlack)
class RotationSlackAdmin(ReadOnlyAdmin):
    """Read-only: rotations' Slack settings change on the rotation page or the API (validated and audited)."""

    list_display = ["rotation", "usergroup_id", "topic_channel_id", "message_channel_id", "gap_behaviour", "updated_at"]
    search_fields = ["rotation__name", "usergroup_id", "topic_channel_id", "message_channel_id"]
    allow_delete = False


# Reminder choices change on the rotation page, the API or the unsubscribe link (audited).
@admin.register(RotationEmailSettings)
class RotationEmailSettingsAdmin(ReadOnlyAdmin):
    list_display = ["rotation", "reminder_hours", "shift_moved", "updated_at"]
    search_fields = ["rotation__name"]
    allow_delete = False


@admin.register(EmailReminder)
class EmailReminderAdmin(ReadOnlyAdmin):
    list_display = ["email", "rotation", "reminder_hours", "shift_moved", "updated_at"]
    search_fields = ["email", "rotation__name"]
    allow_delete = False
