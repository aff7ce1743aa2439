"""Email reminders: a channel of notifications (channel "email").

Per rotation and person (by email, lower-case): "email me N hours before my shift" and "email me
when a shift of mine moves". A person's own choice is an `EmailReminder` row; without one the
rotation's defaults apply (`RotationEmailSettings`, set by admins; both off unless set). Made by the
upcoming core (`upcoming.py`): `plan_reminder` for a shift about to start (kind `email.reminder`),
`plan_moved` for a moved shift (kind `email.shift_moved`), each once per (shift, person). Sent by the
worker through Django's mail (`EMAIL_URL`); an SMTP error is Transient (tried again with backoff).

Every email carries a one-click unsubscribe: a signed token (django.core.signing, no expiry) naming
the rotation and the address. Its page asks to confirm with a button (a GET never unsubscribes: mail
scanners follow links); the `List-Unsubscribe` / `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
headers (RFC 8058) let a mail client POST to the same URL, which unsubscribes at once.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterator
from typing import Any

from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Max
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.numbers import whole
from accounts.refusal import Refusal
from config import mail
from config.links import public_url
from rotations.models import Rotation

from . import email_covers, registry
from .models import EmailReminder, Notification, RotationEmailSettings
from .registry import ShiftChange, UpcomingShift

CHANNEL = "email"
REMINDER = registry.Kind("email.reminder", "Email reminder before a shift")
MOVED = registry.Kind("email.shift_moved", "Email: a shift moved")
KINDS = (REMINDER, MOVED)
MAX_HOURS = 168
UNSUBSCRIBE_SALT = "notifications.email.unsubscribe"


class ReminderError(Refusal):
    """A reminder setting refused; `field` is the setting it is about."""


# --- settings ----------------------------------------------------------------------------------


def defaults_get(rotation: Rotation) -> RotationEmailSettings:
    return RotationEmailSettings.objects.filter(rotation=rotation).first() or RotationEmailSettings(rotation=rotation)


def clean_hours(value: Any) -> int | None:
    value = whole(value)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_HOURS):
        raise ReminderError(f"A whole number of hours from 1 to {MAX_HOURS}.", field="reminder_hours")
    return value


def _known(changes: dict[str, Any], *allowed: str) -> None:
    if unknown := sorted(set(changes) - set(allowed)):
        raise ReminderError("Not a reminder setting.", field=unknown[0])


def clean_flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ReminderError("Must be true or false.", field=field)
    return value


def mine(rotation: Rotation, email: str) -> dict:
    """The reminders `email` gets from this rotation: its own choice, or the rotation's defaults."""
    email = email.strip().lower()
    own = EmailReminder.objects.filter(rotation=rotation, email=email).first()
    defaults = defaults_get(rotation)
    source: Any = own or defaults
    return {
        "email": email,
        "reminder_hours": source.reminder_hours,
        "shift_moved": source.shift_moved,
        "follows_default": own is None,
        "defaults": defaults,
    }


def _audit(rotation: Rotation, actor: Actor | None, action: str, summary: str, **detail: Any) -> None:
    audit_record(
        organization=rotation.organization,
        provider="roster",
        action=action,
        actor=actor,
        summary=summary,
        detail={"rotation": rotation.pk, **detail},
    )


def reminder_set(
    *, rotation: Rotation, email: str, actor: Actor | None, changes: dict[str, Any], via: str = "page"
) -> dict:
    """Change `email`'s own reminders for the rotation (`reminder_hours`, `shift_moved`; the rest
    keeps its current value); `follow_default=True` drops the own choice. Raises ReminderError."""
    email = email.strip().lower()
    _known(changes, "reminder_hours", "shift_moved", "follow_default")
    if changes.get("follow_default") is not None and clean_flag(changes["follow_default"], "follow_default"):
        EmailReminder.objects.filter(rotation=rotation, email=email).delete()
        _audit(
            rotation, actor, "reminders_default", f"{email} follows the email reminder defaults of “{rotation.name}”"
        )
        return mine(rotation, email)
    current = mine(rotation, email)
    hours = clean_hours(changes.get("reminder_hours", current["reminder_hours"]))
    moved = clean_flag(changes.get("shift_moved", current["shift_moved"]), "shift_moved")
    EmailReminder.objects.update_or_create(
        rotation=rotation, email=email, defaults={"reminder_hours": hours, "shift_moved": moved}
    )
    what = f"{hours} hours before a shift" if hours else "no reminder"
    _audit(
        rotation,
        actor,
        "reminders_set",
        f"{email} set email reminders of “{rotation.name}” ({via}): {what}, moved shifts {'on' if moved else 'off'}",
    )
    return mine(rotation, email)


def defaults_set(*, rotation: Rotation, actor: Actor | None, changes: dict[str, Any]) -> RotationEmailSettings:
    """An admin sets what people who made no choice get (`reminder_hours`, `shift_moved`)."""
    _known(changes, "reminder_hours", "shift_moved")
    current = defaults_get(rotation)
    if "reminder_hours" in changes:
        current.reminder_hours = clean_hours(changes["reminder_hours"])
    if "shift_moved" in changes:
        current.shift_moved = clean_flag(changes["shift_moved"], "shift_moved")
    current.save()
    _audit(
        rotation,
        actor,
        "reminders_defaults",
        f"Set the email reminder defaults of “{rotation.name}”: "
        f"{current.reminder_hours or 'no'} hours before, moved shifts {'on' if current.shift_moved else 'off'}",
    )
    return current


# --- unsubscribe -------------------------------------------------------------------------------


def unsubscribe_token(rotation_id: int, email: str) -> str:
    return signing.dumps({"r": rotation_id, "e": email.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(rotation_id: int, email: str) -> str:
    return public_url("unsubscribe", unsubscribe_token(rotation_id, email))


def unsubscribe_read(token: str) -> tuple[Rotation, str] | None:
    """The rotation and address a token names; None when it is forged, garbled or the rotation is gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("e"), str):
        return None
    rotation = Rotation.objects.select_related("organization").filter(pk=data["r"]).first()
    return (rotation, data["e"]) if rotation is not None else None


def unsubscribe(*, rotation: Rotation, email: str, via: str) -> None:
    """No more shift emails from this rotation to `email` (its own choice: off, whatever the defaults)."""
    EmailReminder.objects.update_or_create(
        rotation=rotation, email=email.lower(), defaults={"reminder_hours": None, "shift_moved": False}
    )
    _audit(
        rotation,
        None,
        "reminders_unsubscribe",
        f"{email} unsubscribed from the shift emails of “{rotation.name}” ({via})",
    )


# --- planners ----------------------------------------------------------------------------------


def _choices(cache: dict) -> tuple[dict[int, RotationEmailSettings], dict[tuple[int, str], EmailReminder]]:
    """Every rotation's defaults and every own choice, read once per scan."""
    if "email" not in cache:
        cache["email"] = (
            {d.rotation_id: d for d in RotationEmailSettings.objects.all()},
            {(r.rotation_id, r.email): r for r in EmailReminder.objects.all()},
        )
    return cache["email"]


def _effective(cache: dict, rotation_id: int, email: str) -> RotationEmailSettings | EmailReminder | None:
    defaults, own = _choices(cache)
    return own.get((rotation_id, email.lower())) or defaults.get(rotation_id)


# --- the emails --------------------------------------------------------------------------------


def when(rotation: Rotation, moment: str) -> str:
    return dt.datetime.fromisoformat(moment).astimezone(rotation.tz).strftime("%a %-d %b %Y %H:%M")


def _in(delta: dt.timedelta) -> str:
    minutes = max(round(delta.total_seconds() / 60), 1)
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


def compose(row: Notification, *, now: dt.datetime | None = None) -> EmailMessage:
    """The email a notification row sends: plain text, the shift times in the rotation's time zone."""
    rotation = row.the_rotation
    email = row.target.removeprefix("email:")
    link = public_url("rotations:detail", rotation.pk)
    stop = unsubscribe_url(rotation.pk, email)
    zone = rotation.time_zone
    if row.kind == REMINDER.key:
        shift = row.payload["shift"]
        name = shift["person"]["name"]
        left = dt.datetime.fromisoformat(shift["start"]) - (now or timezone.now())
        starts = f"starts in {_in(left)}" if left > dt.timedelta(0) else f"started {_in(-left)} ago"  # a Resend
        subject = f"Reminder: your {rotation.name} on-call shift {starts}"
        lines = [
            f"Hello {name},",
            "",
            f"Your on-call shift in {rotation.name} {starts}.",
            "",
            f"  From:  {when(rotation, shift['start'])} ({zone})",
            f"  Until: {when(rotation, shift['end'])} ({zone})",
        ]
        why = ("reminders before shifts are on by default", "you asked for a reminder before your shifts")
    else:
        name = row.payload["person"]["name"]
        subject = f"Your on-call shifts in {rotation.name} changed"
        lines = [f"Hello {name},", "", f"Your on-call shifts in {rotation.name} changed ({zone} times)."]
        for title, key in (("No longer yours:", "before"), ("Now yours:", "after")):
            if row.payload.get(key):
                lines += ["", title]
                lines += [f"  {when(rotation, s['start'])} – {when(rotation, s['end'])}" for s in row.payload[key]]
        why = ("emails when a shift moves are on by default", "you asked to hear when a shift of yours moves")
    lines += [
        "",
        f"The rotation: {link}",
        "",
        f"You get this email because {why[0] if email_covers.by_default(row) else why[1]} in {rotation.name}.",
        f"Stop these emails (no sign-in needed): {stop}",
    ]
    return mail.email(
        subject=subject,
        body="\n".join(lines) + "\n",
        to=email,
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def still_wanted(row: Notification) -> bool:
    """Unsubscribed (or turned off) since the row was made: not sent."""
    choice = email_covers.choice_now(row)
    return choice is not None and (bool(choice.reminder_hours) if row.kind == REMINDER.key else choice.shift_moved)


class EmailChannel(registry.Channel):
    """Reminders before a shift and "your shifts moved", by email (the planners read `_effective`);
    cover requests' emails (`email_covers`)."""

    key = CHANNEL
    kinds = KINDS + email_covers.KINDS
    plan_cover = staticmethod(email_covers.plan_cover)
    target_labels = staticmethod(registry.people)

    def leads(self) -> dict[int, dt.timedelta]:
        """The largest "N hours before" of each rotation (its default or anyone's own): two queries."""
        hours: dict[int, int] = {
            rotation_id: h or 0
            for rotation_id, h in RotationEmailSettings.objects.filter(reminder_hours__isnull=False).values_list(
                "rotation_id", "reminder_hours"
            )
        }
        for rotation_id, most in (
            EmailReminder.objects.filter(reminder_hours__isnull=False)
            .values("rotation_id")
            .annotate(most=Max("reminder_hours"))
            .values_list("rotation_id", "most")
        ):
            hours[rotation_id] = max(hours.get(rotation_id, 0), most)
        return {rotation_id: dt.timedelta(hours=h) for rotation_id, h in hours.items()}

    def watched(self) -> set[int]:
        return set(RotationEmailSettings.objects.filter(shift_moved=True).values_list("rotation_id", flat=True)) | set(
            EmailReminder.objects.filter(shift_moved=True).values_list("rotation_id", flat=True)
        )

    def plan_upcoming(self, rotation: Rotation, shift: UpcomingShift) -> Iterator[registry.Planned]:
        email = shift.person.email
        choice = _effective(shift.cache, rotation.pk, email) if email else None
        if choice is not None and choice.reminder_hours and shift.lead <= dt.timedelta(hours=choice.reminder_hours):
            yield registry.Planned(CHANNEL, f"email:{email.lower()}", REMINDER.key, {"hours": choice.reminder_hours})

    def plan_shift_changed(self, rotation: Rotation, change: ShiftChange) -> Iterator[registry.Planned]:
        email = change.person.email
        choice = _effective(change.cache, rotation.pk, email) if email else None
        if choice is not None and choice.shift_moved:
            yield registry.Planned(CHANNEL, f"email:{email.lower()}", MOVED.key)

    def send(self, row: Notification) -> None:
        covers = {k.key for k in email_covers.KINDS}
        address = row.target.removeprefix("email:")
        if row.kind not in (REMINDER.key, MOVED.key, *covers):
            raise registry.SendError(f"Roster does not know how to send “{row.kind}” by email.", permanent=True)
        if not (email_covers.still_wanted(row) if row.kind in covers else still_wanted(row)):
            raise registry.SendError(f"Not sent: {address} turned these emails off.", permanent=True)
        if row.kind in covers:
            stop = unsubscribe_url(row.the_rotation.pk, address)
            message = email_covers.compose(row, unsubscribe_url=stop, when=when)
        else:
            message = compose(row)
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            raise registry.SendError(
                f"The mail server did not take the email ({type(error).__name__}); Roster tries again. "
                "If this keeps failing, check EMAIL_URL."
            ) from None
