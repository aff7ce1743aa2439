"""Who acts, for the audit trail and the `created_by`/`connected_by` columns: a signed-in person,
an organization API token, or Roster itself (beat, the worker, a management command)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import User


@dataclass(frozen=True)
class Actor:
    label: str  # what the audit trail shows, kept when the user is deleted
    user: User | None = None  # the person, when a person acted

    @classmethod
    def person(cls, user: User) -> Actor:
        return cls(label=user.email, user=user)

    @classmethod
    def of_request(cls, request: HttpRequest) -> Actor:
        """The API token when the request was authenticated by one, else the signed-in person."""
        token = getattr(request, "api_token", None)
        if token is not None:
            return cls(label=f"API token …{token.last4}")
        return cls.person(request.user)  # type: ignore[arg-type]  # views that call this require a sign-in


def acting_user(request: HttpRequest) -> User | None:
    """The person a request acts for: the signed-in user, a person's API token's creator, or None (an
    operator's token, made by `manage.py create_api_token`, or no one signed in)."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return None if token.by_operator else token.created_by
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


SYSTEM = Actor(label="system")
