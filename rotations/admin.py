from django.contrib import admin

from accounts.admin import ReadOnlyInline, register_organization_inline

from .models import Handoff, Member, PagerDutyUser, Rotation, Shift, SyncRun


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["position", "name", "email"]


class HandoffInline(ReadOnlyInline, admin.TabularInline):
    model = Handoff
    readonly_fields = fields = ("at", "from_label", "to_label", "recorded_at")
    ordering = ["-at"]


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
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
    readonly_fields = [
        "sync_state",
        "sync_requested_at",
        "last_sync_at",
        "last_sync_ok",
        "last_sync_error",
        "last_sync_error_at",
        "pagerduty_schedule_missing",
    ]
    inlines = [MemberInline, HandoffInline]


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "organization", "schedule_id", "ok", "error", "rotations", "shifts", "changed"]
    list_filter = ["ok", "error_code", "changed"]
    search_fields = ["organization__name", "organization__slug", "schedule_id", "error"]
    list_select_related = ["organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["rotation", "start", "end", "is_gap", "person_name", "person_email", "member"]
    list_filter = ["is_gap"]
    search_fields = ["rotation__name", "person_name", "person_email", "pagerduty_user_id"]
    list_select_related = ["rotation", "member"]


@admin.register(PagerDutyUser)
class PagerDutyUserAdmin(admin.ModelAdmin):
    list_display = ["pagerduty_id", "name", "email", "organization", "fetched_at"]
    search_fields = ["pagerduty_id", "name", "email", "organization__name"]


class RotationSyncInline(ReadOnlyInline, admin.TabularInline):
    """On the Organization admin: each rotation's binding and sync health."""

    model = Rotation
    readonly_fields = fields = ("name", "pagerduty_schedule_id", "last_sync_at", "last_sync_ok", "last_sync_error")
    verbose_name_plural = "Rotations (PagerDuty sync)"


register_organization_inline(RotationSyncInline)
