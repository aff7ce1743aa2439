from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import CoverRequest


@admin.register(CoverRequest)
class CoverRequestAdmin(ReadOnlyAdmin):
    """Read-only, for support staff: who asked, who took it, and how writing it to the schedule went
    (`apply_state`, `apply_message`, the PagerDuty override ids). Requests change through the rotation
    page, Slack or the API (validated, audited, written to PagerDuty exactly once)."""

    list_display = [
        "created_at",
        "organization",
        "rotation",
        "requester_name",
        "start",
        "end",
        "status",
        "taker_name",
        "apply_state",
        "apply_message",
    ]
    list_filter = ["status", "apply_state", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "rotation__name",
        "requester_name",
        "requester_email",
        "taker_name",
        "taker_email",
        "pagerduty_override_id",
        "swap_override_id",
        "organization__name",
        "organization__slug",
    ]
    list_select_related = ["rotation", "organization"]
    date_hierarchy = "start"
    allow_delete = False
