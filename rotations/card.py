"""The "Rotations" section of the PagerDuty card: how many follow schedules, and sync errors."""

from integrations.registry import CardSection

from . import selectors


def card_context(request, organization) -> dict:
    bound = selectors.bound_rotations(organization)
    return {
        "bound_rotations": bound,
        "failing_rotations": [r for r in bound if r.last_sync_ok is False],
        "freshness": selectors.freshness(organization) if bound else None,
    }


SECTION = CardSection(template="rotations/card_section.html", context=card_context, order=20)
