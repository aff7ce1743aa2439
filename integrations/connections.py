"""What every provider's connection does the same way (PagerDuty, Slack; the next one too): see
CONTRIBUTING.md, "Adding a provider".

- `audit_revalidation`: the audit line of a re-check, when a person asked or the status changed;
- `locked_connection`: the disconnect's row lock, taken after every network call (revocation);
- `validate_one` / `enqueue_each`: the beat's validation fan-out and one validation task's body;
- `PendingLogins`: the single-use pending OAuth logins (hash of `state` only) a sign-in or an
  install is checked against when the provider sends the admin back.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record

from . import registry

log = logging.getLogger(__name__)


def audit_revalidation(connection, *, provider: str, was: str, actor: Actor | None, summary: str) -> None:
    """A re-check is audited when someone asked for it, or when it changed the connection's status."""
    if actor is not None or was != connection.status:
        audit_record(
            organization=connection.organization, provider=provider, action="revalidate", actor=actor, summary=summary
        )


@contextmanager
def locked_connection(model, organization) -> Iterator:
    """The organization's connection row locked until the block ends (None if it went meanwhile). Make
    every network call (revoking tokens) before: no lock is held while a provider answers."""
    with transaction.atomic():
        yield model.objects.select_for_update().filter(organization=organization).first()


def disconnect_hook_notes(provider: str, organization) -> list[str]:
    """Run other apps' disconnect hooks (rotations unbind) inside the disconnect transaction."""
    return [hook.apply(organization) for hook in registry.disconnect_hooks(provider)]


def audit_disconnect(
    *, organization, provider: str, actor: Actor | None, what: str, notes: list[str], detail: dict
) -> list[str]:
    """The disconnect's audit line: `what` and, in brackets, the notes that say something (tokens
    revoked or not, rotations unbound). Returns those notes, for the page."""
    said = [note for note in notes if note]
    summary = what + (f" ({'; '.join(said)})" if said else "")
    audit_record(
        organization=organization, provider=provider, action="disconnect", actor=actor, summary=summary, detail=detail
    )
    return said


def enqueue_each(rows, task) -> int:
    """Beat fan-out: one `task.delay(id)` per row of the queryset."""
    ids = list(rows.values_list("id", flat=True))
    for row_id in ids:
        task.delay(row_id)
    return len(ids)


def validate_one(model, connection_id: int, *, revalidate: Callable, error_type: type[Exception]) -> str:
    """One validation task: re-check the stored credentials and return the connection's status
    ("gone" when the row is). A transient error is raised for the task's retry (it is already on
    the card); a permanent one is recorded on the card by `revalidate` and logged."""
    connection = model.objects.select_related("organization").filter(pk=connection_id).first()
    if connection is None:
        return "gone"
    try:
        revalidate(connection=connection)
    except error_type as error:
        if not getattr(error, "permanent", True):
            raise  # retried with backoff; the error is already on the card
        log.info("%s %s failed validation: %s", model._meta.verbose_name, connection_id, getattr(error, "code", ""))
    return connection.status


class SetupProblem(Exception):
    """The provider's OAuth app cannot be used (not set up on this server, or not for this
    connection): `message` says why, to an organization's admin."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SignInError(Exception):
    """A sign-in (install) that cannot finish. `message` is for the admin; nothing was changed."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = f"{message} Nothing was changed."
        self.code = code


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class PendingLogins:
    """A provider's pending OAuth logins: `model` has state_hash, organization, user, created_at and
    used_at. The admin's browser carries `state` in its session under `session_key`; Roster keeps
    only its hash. `error` is the provider's error class, `error(message, code=...)`; the words say
    what the flow is called ("sign-in", "install"), where it starts and how to start it again."""

    model: Any  # a Django model class
    error: Callable[..., Exception]
    session_key: str
    provider: str
    flow: str
    origin: str
    again: str
    expired_again: str
    ttl: timedelta = timedelta(minutes=10)

    def start(self, *, organization, user, state: str, session=None, **fields) -> None:
        """Record a pending login for `state` (a fresh secrets.token_urlsafe); with a session, put it there."""
        self.model.objects.create(state_hash=state_hash(state), organization=organization, user=user, **fields)
        if session is not None:
            session[self.session_key] = state

    def claim(self, *, organization, user, state: str, session_state: str | None):
        """The pending login of `state`, marked used (once only): same organization, under `ttl` old,
        and the same session and person (unless the model's `bound_to_session` says the login was
        started without a browser session, from the JSON API). Raises `error` otherwise."""
        if not state:
            raise self.error(
                f"{self.provider} sent the {self.flow} back without a state, so Roster cannot trust it.",
                code="missing_state",
            )
        login = self.model.objects.filter(state_hash=state_hash(state)).first()
        if login is None or login.organization_id != organization.pk:
            raise self.error(f"The {self.flow} did not come from {self.origin} (unknown state).", code="forged_state")
        if login.used_at is not None:
            raise self._reused()
        if login.created_at < timezone.now() - self.ttl:
            raise self.error(
                f"The {self.flow} expired (it must finish within {int(self.ttl.total_seconds() // 60)} minutes). "
                + self.expired_again,
                code="expired_state",
            )
        if getattr(login, "bound_to_session", True) and (
            not session_state or not hmac.compare_digest(session_state, state) or login.user_id != user.pk
        ):
            raise self.error(
                f"The {self.flow} was started in another browser session, so Roster cannot trust it.",
                code="forged_state",
            )
        if self.model.objects.filter(pk=login.pk, used_at=None).update(used_at=timezone.now()) != 1:
            raise self._reused()
        return login

    def _reused(self) -> Exception:
        return self.error(f"This {self.flow} was already used. {self.again}", code="reused_state")

    def missing_code(self) -> Exception:
        return self.error(
            f"{self.provider} sent the {self.flow} back without an authorization code.", code="missing_code"
        )

    def burn(self, *, organization, state: str, **cleared) -> None:
        """A login the provider refused: used, and its `cleared` fields emptied."""
        self.model.objects.filter(state_hash=state_hash(state), organization=organization).update(
            used_at=timezone.now(), **cleared
        )

    def delete_for(self, organization) -> None:
        """A disconnect drops the organization's pending logins (they may hold client secrets)."""
        self.model.objects.filter(organization=organization).delete()

    def delete_stale(self) -> int:
        return self.model.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()[0]
