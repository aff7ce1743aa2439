from django.contrib import admin

from accounts.actor import Actor
from accounts.admin import ReadOnlyAdmin, ReadOnlyInline, register_organization_inline

from .calendar.feeds import calendar_feed_revoke
from .models import CalendarFeed, Handoff, Member, PagerDutyUser, Rotation, Shift, SyncRun, TimeOff


class MemberInline(ReadOnlyInline, admin.TabularInline):
    model = Member
    readonly_fields = fields = ("position", "name", "email")


class HandoffInline(ReadOnlyInline, admin.TabularInline):
    model = Handoff
    readonly_fields = fields = ("at", "from_label", "to_label", "recorded_at")
    ordering = ["-at"]


# Rotations, their members, shifts, PagerDuty people and time off change on the pages and the API
# (validated; time off re-plans the rotations): support staff read them here.
@admin.register(Rotation)
class RotationAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "organization",
        "time_zone",
        "pagerduty_schedule_id",
        "last_sync_at",
        "last_sync_ok",
        "pagerduty_schedule_missing",
    ]
    list_filter = ["last_sync_ok", "pagerduty_schedule_missing", "sync_state"]
    search_fields = [
        "name",
        "organization__name",
        "organization__slug",
        "pagerduty_schedule_id",
        "pagerduty_schedule_name",
    ]
    list_select_related = ["organization"]
    inlines = [MemberInline, HandoffInline]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "organization", "schedule_id", "ok", "error", "rotations", "shifts", "changed"]
    list_filter = ["ok", "error_code", "changed"]
    search_fields = ["organization__name", "organization__slug", "schedule_id", "error"]
    list_select_related = ["organization"]


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    list_display = ["rotation", "start", "end", "is_gap", "person_name", "person_email", "member"]
    list_filter = ["is_gap"]
    search_fields = ["rotation__name", "person_name", "person_email", "pagerduty_user_id"]
    list_select_related = ["rotation", "member"]


@admin.register(PagerDutyUser)
class PagerDutyUserAdmin(ReadOnlyAdmin):
    list_display = ["pagerduty_id", "name", "email", "organization", "fetched_at"]
    search_fields = ["pagerduty_id", "name", "email", "organization__name"]


@admin.register(TimeOff)
class TimeOffAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "start", "end", "created_at"]
    search_fields = ["user__email", "organization__name"]
    list_select_related = ["user", "organization"]
    allow_delete = False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Support staff see which feeds exist and can revoke one (audited, as from the page); the
    token is never stored, only its hash and last 4 characters, and the hash is not shown."""

    list_display = ["__str__", "organization", "kind", "rotation", "user", "created_at", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["organization__name", "organization__slug", "rotation__name", "user__email", "last4"]
    list_select_related = ["organization", "rotation", "user"]
    readonly_fields = [
        "organization",
        "kind",
        "rotation",
        "user",
        "last4",
        "alarm_minutes",
        "created_by",
        "created_at",
        "revoked_at",
    ]
    fields = tuple(readonly_fields)
    actions = ["revoke"]
    allow_change = True
    allow_delete = False

    @admin.action(description="Revoke the selected calendar feeds (their URLs answer 404)", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(
            calendar_feed_revoke(
                organization=feed.organization, rotation=feed.rotation, user=feed.user, actor=Actor.of_request(request)
            )
            for feed in queryset.filter(revoked_at__isnull=True).select_related("organization", "rotation", "user")
        )
        self.message_user(request, f"{revoked} calendar feed(s) revoked.")


class RotationSyncInline(ReadOnlyInline, admin.TabularInline):
    """On the Organization admin: each rotation's binding and sync health."""

    model = Rotation
    readonly_fields = fields = ("name", "pagerduty_schedule_id", "last_sync_at", "last_sync_ok", "last_sync_error")
    verbose_name_plural = "Rotations (PagerDuty sync)"
    show_change_link = True


register_organization_inline(RotationSyncInline)
