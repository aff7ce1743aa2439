from .actor import SYSTEM, Actor
from .models import AuditEvent

SUMMARY_MAX: int = AuditEvent._meta.get_field("summary").max_length or 300


def audit_record(
    *, organization, provider: str, action: str, summary: str, actor: Actor | None = None, detail=None
) -> AuditEvent:
    """Record a change to an integration or to the organization itself (provider "roster": members,
    invitations). Callers pass last-4 digits at most, never a secret. No actor: Roster itself. A summary
    longer than the column holds (a long URL, many event names) is shortened with "…", never refused."""
    actor = actor or SYSTEM
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    return AuditEvent.objects.create(
        organization=organization,
        provider=provider,
        action=action,
        actor=actor.user,
        actor_label=actor.label,
        summary=summary,
        detail=detail or {},
    )


def audit_recent(*, organization, provider: str, limit: int = 5):
    return AuditEvent.objects.filter(organization=organization, provider=provider).select_related(None)[:limit]
