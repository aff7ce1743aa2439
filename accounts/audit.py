from .actor import SYSTEM, Actor
from .models import AuditEvent


def audit_record(
    *, organization, provider: str, action: str, summary: str, actor: Actor | None = None, detail=None
) -> AuditEvent:
    """Record a change to an integration or to the organization itself (provider "roster": members,
    invitations). Callers pass last-4 digits at most, never a secret. No actor: Roster itself."""
    actor = actor or SYSTEM
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
