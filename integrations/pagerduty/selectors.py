"""Reads of the PagerDuty connection."""

from .models import PagerDutyConnection


def get_connection(organization) -> PagerDutyConnection | None:
    return PagerDutyConnection.objects.filter(organization=organization).first()
