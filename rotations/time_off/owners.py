"""Time off follows the person's membership (connected in rotations/apps.py): when they leave or are
removed from an organization, their time off there that has not started is deleted (what has started
stays: the turns already handed over for it are history)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership, Organization, User

from ..models import TimeOff
from .services import _rotations_changed


def membership_deleted(sender, instance: Membership, origin=None, **kwargs) -> None:
    # Deleting the organization or the user deletes their time off too (CASCADE).
    initiator = origin.model if isinstance(origin, QuerySet) else type(origin)
    if initiator in (Organization, User):
        return
    deleted, _ = TimeOff.objects.filter(
        organization_id=instance.organization_id, user_id=instance.user_id, start__gt=timezone.now()
    ).delete()
    if deleted:  # their turns go back to them: calendar feeds must see the change
        _rotations_changed(instance.organization, instance.user)
