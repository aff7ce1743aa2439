"""The migration that stores a refused key's reason without the admin's advice after it: the card
and the JSON status read as before, and members never see the advice."""

from importlib import import_module

import pytest
from django.apps import apps

from accounts.models import Organization
from integrations.pagerduty.credentials import UNAUTHORIZED_HELP
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import connection_health

pytestmark = pytest.mark.django_db

migration = import_module("integrations.pagerduty.migrations.0006_last_error_without_advice")
REASON = "Unauthorized: Invalid or expired API token."


def test_stored_advice_is_split_from_the_reason_and_put_back_when_reversed():
    stored = {
        "whole": f"{REASON} {UNAUTHORIZED_HELP}",  # before last_error_code existed: no code
        "cut": f"{'A long reason. ' * 20}{REASON} {UNAUTHORIZED_HELP}"[:500],  # cut inside the advice
        "other": "PagerDuty refused access: the credentials lack the permission or scope for this.",
    }
    for slug, error in stored.items():
        PagerDutyConnection.objects.create(
            organization=Organization.objects.create(name=slug, slug=slug),
            auth_type="api_key",
            status="invalid",
            last_error=error,
        )

    migration.drop_advice(apps, None)
    rows = {c.organization.slug: c for c in PagerDutyConnection.objects.select_related("organization")}
    assert (rows["whole"].last_error, rows["whole"].last_error_code) == (REASON, "pagerduty_unauthorized")
    assert rows["cut"].last_error == f"{'A long reason. ' * 20}{REASON}"
    assert rows["other"].last_error == stored["other"] and rows["other"].last_error_code == ""
    health = connection_health(rows["whole"], name_fixers=False)
    assert (health.message, health.help) == (REASON, UNAUTHORIZED_HELP)
    assert connection_health(rows["other"], name_fixers=False).help == ""

    migration.append_advice(apps, None)
    assert PagerDutyConnection.objects.get(organization__slug="whole").last_error == stored["whole"]
    assert PagerDutyConnection.objects.get(organization__slug="other").last_error == stored["other"]
