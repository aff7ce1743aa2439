"""Reads for the Incidents pages and API."""

from .models import Incident

STATUSES = ["triggered", "acknowledged", "resolved"]


def incidents(*, organization, status: str = "", service: str = ""):
    queryset = Incident.objects.filter(organization=organization)
    if status:
        queryset = queryset.filter(status=status)
    if service:
        queryset = queryset.filter(service_id=service)
    return queryset


def services(*, organization) -> list[tuple[str, str]]:
    """(id, name) of every service the organization's incidents came from."""
    rows = (
        Incident.objects.filter(organization=organization)
        .exclude(service_id="")
        .values_list("service_id", "service_name")
        .distinct()
        .order_by("service_name", "service_id")
    )
    seen: dict[str, str] = {}
    for service_id, name in rows:
        seen.setdefault(service_id, name or service_id)
    return list(seen.items())
