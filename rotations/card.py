"""The "Rotations" section of the PagerDuty card: how many follow schedules, and sync errors."""

from integrations.registry import CardSection

from .models import Rotation


def card_context(request, organization) -> dict:
    bound = list(
        Rotation.objects.filter(organization=organization)
        .exclude(pagerduty_schedule_id="")
        .only(
            "id",
            "name",
            "pagerduty_schedule_name",
            "pagerduty_schedule_id",
            "last_sync_ok",
            "last_sync_error",
            "last_sync_error_code",
        )
        .order_by("name")
    )
    return {
        "bound_rotations": bound,
        "failing_rotations": [r for r in bound if r.last_sync_ok is False],
    }


SECTION = CardSection(template="rotations/card_section.html", context=card_context, order=20)
