"""What a person owns in rotations follows them (connected in apps.py), inside the transaction making
the change:

- A membership deleted (the person was removed from the organization, or left it) revokes every
  calendar feed they own there, so their URLs answer 404 from that moment, and deletes their time off
  there that has not started (`time_off_delete_unstarted`).
- An account deactivated (`is_active=False`, from anywhere, Django admin included) revokes every feed
  they own. A bulk `QuerySet.update(is_active=False)` sends no signal: `feeds.calendar_feed_for_token`
  also refuses a feed whose owner is inactive or not a member."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, Organization, User

from .calendar import feeds
from .time_off.services import time_off_delete_unstarted


def membership_deleted(sender, instance: Membership, origin=None, **kwargs) -> None:
    # Deleting the organization or the user deletes their feeds and time off too (CASCADE).
    initiator = origin.model if isinstance(origin, QuerySet) else type(origin)
    if initiator in (Organization, User):
        return
    feeds.calendar_feeds_revoke_owned(
        user_id=instance.user_id,
        organization_id=instance.organization_id,
        why=": its owner is no longer a member of the organization",
    )
    time_off_delete_unstarted(organization=instance.organization, user=instance.user)


def user_saved(sender, instance: User, created: bool = False, update_fields=None, **kwargs) -> None:
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    feeds.calendar_feeds_revoke_owned(user_id=instance.pk, why=": its owner's account was deactivated")
