"""Calendar feeds follow the person who made them (connected in apps.py): a membership deleted (the
person was removed from the organization, or left it) or an account deactivated (`is_active=False`,
from anywhere, Django admin included) revokes every feed they own, inside the same transaction, so
their URLs answer 404 from that moment. A bulk `QuerySet.update(is_active=False)` sends no signal:
`feeds.calendar_feed_for_token` also refuses a feed whose owner is inactive or not a member."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership, Organization, User

from . import feeds


def membership_deleted(sender, instance: Membership, origin=None, **kwargs) -> None:
    # Deleting the organization or the user deletes their feeds too (CASCADE): nothing to revoke.
    initiator = origin.model if isinstance(origin, QuerySet) else type(origin)
    if initiator in (Organization, User):
        return
    feeds.calendar_feeds_revoke_owned(
        user_id=instance.user_id,
        organization_id=instance.organization_id,
        why=": its owner is no longer a member of the organization",
    )


def user_saved(sender, instance: User, created: bool = False, update_fields=None, **kwargs) -> None:
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    feeds.calendar_feeds_revoke_owned(user_id=instance.pk, why=": its owner's account was deactivated")
