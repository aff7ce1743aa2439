from .models import AuditEvent


def audit_record(*, organization, provider: str, action: str, summary: str, actor=None, detail=None) -> AuditEvent:
    """Record a change to an integration or to the organization itself (provider "roster": members,
    invitations). Callers pass last-4 digits at most, never a secret."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = actor.email
    elif actor is None:
        label = "system"
    else:
        label = str(actor)
    return AuditEvent.objects.create(
        organization=organization,
        provider=provider,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=label,
        summary=summary,
        detail=detail or {},
    )


def audit_recent(*, organization, provider: str, limit: int = 5):
    return AuditEvent.objects.filter(organization=organization, provider=provider).select_related(None)[:limit]
