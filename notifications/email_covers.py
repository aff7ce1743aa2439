"""Cover requests by email (issue 25), part of the email channel (`email.EmailChannel`):
- `email.cover_offer` ("created"): to each member of the rotation but the requester who chose shift
  emails from it (a reminder before shifts or moved-shift emails: their own choice, else the
  rotation's defaults, as email reminders pick people), with the one-click unsubscribe; skipped once
  the request is no longer open, or when they turned the emails off since;
- to the requester, about their own request: `email.cover_taken`, `email.cover_expiring` ("nobody
  has taken it yet", an hour before; skipped once no longer open) and `email.cover_expired`;
- `email.cover_cancelled` ("cancelled"): to the taker of a taken request someone else cancelled;
- `email.cover_failed` ("failed"): to the requester and the taker, a take accepted while PagerDuty
  was busy that PagerDuty refused later (or never answered): why, and that the request is open again.
Times are in the rotation's time zone (an email has no reader's zone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.core.mail import EmailMessage

from accounts.models import User
from config import mail
from config.links import public_url
from covers.models import CoverRequest
from covers.time_off import opened_for_time_off
from rotations.models import Member

from . import registry
from .cover_events import cover_of, people_told
from .models import EmailReminder, Notification, RotationEmailSettings

CHANNEL = "email"
OFFER = registry.Kind("email.cover_offer", "Email: a cover request to take", while_open=True)
TAKEN = registry.Kind("email.cover_taken", "Email: your cover request was taken")
EXPIRING = registry.Kind("email.cover_expiring", "Email: nobody has taken your cover request yet", while_open=True)
EXPIRED = registry.Kind("email.cover_expired", "Email: your cover request expired")
CANCELLED = registry.Kind("email.cover_cancelled", "Email: a cover you took was cancelled")
FAILED = registry.Kind("email.cover_failed", "Email: a cover PagerDuty did not take (to the requester and the taker)")
KINDS = (OFFER, TAKEN, EXPIRING, EXPIRED, CANCELLED, FAILED)
TOOK = "You get this email because you took a cover request in Roster."
ASKED = "You get this email because you asked for cover in Roster."
ASKED_FOR_TIME_OFF = "You get this email because Roster asked for cover during your time off."
TO_REQUESTER = {"taken": TAKEN, "expiring": EXPIRING, "expired": EXPIRED}


def chose_email(choice: RotationEmailSettings | EmailReminder | None) -> bool:
    return choice is not None and (bool(choice.reminder_hours) or choice.shift_moved)


def offer_recipients(cover: CoverRequest) -> list[str]:
    """The rotation's members but the requester who chose shift emails from it (three queries)."""
    requester = cover.requester_email.strip().lower()
    emails = {
        e.strip().lower() for e in Member.objects.filter(rotation_id=cover.rotation_id).values_list("email", flat=True)
    } - {requester, ""}
    own = {r.email: r for r in EmailReminder.objects.filter(rotation_id=cover.rotation_id, email__in=emails)}
    defaults = RotationEmailSettings.objects.filter(rotation_id=cover.rotation_id).first()
    return sorted(e for e in emails if chose_email(own.get(e) or defaults))


def plan_cover(cover: CoverRequest, event: str) -> Iterator[registry.Planned]:
    if event == "created":
        for email in offer_recipients(cover):
            yield registry.Planned(CHANNEL, f"email:{email}", OFFER.key)
    elif event in TO_REQUESTER and cover.requester_email.strip():
        yield registry.Planned(CHANNEL, f"email:{cover.requester_email.strip().lower()}", TO_REQUESTER[event].key)
    elif event in ("cancelled", "failed"):
        for address in sorted(people_told(cover, event)):
            yield registry.Planned(CHANNEL, f"email:{address}", (CANCELLED if event == "cancelled" else FAILED).key)


def choice_now(row: Notification) -> RotationEmailSettings | EmailReminder | None:
    """The address's own choice of shift emails from the row's rotation, else the rotation's defaults."""
    rotation_id, email = row.the_rotation.pk, row.target.removeprefix("email:")
    return (
        EmailReminder.objects.filter(rotation_id=rotation_id, email=email).first()
        or RotationEmailSettings.objects.filter(rotation_id=rotation_id).first()
    )


def by_default(row: Notification) -> bool:
    """The address made no choice of its own: it gets the row's emails by the rotation's defaults."""
    return not isinstance(choice_now(row), EmailReminder)


def still_wanted(row: Notification) -> bool:
    """An offer to someone who turned shift emails off since is not sent (the requester's own are)."""
    return row.kind != OFFER.key or chose_email(choice_now(row))


def failed(cover: CoverRequest, email: str, span: list[str]) -> tuple[str, list[str], str]:
    """(subject, lines, footer) of a take PagerDuty did not take, to its taker or its requester."""
    rotation, who = cover.rotation, cover.failed_taker_name or cover.failed_taker_email
    not_changed = f"request for cover in {rotation.name}, but PagerDuty's schedule was not changed"
    if email == cover.failed_taker_email.strip().lower():
        hello, subject = who, f"Your cover for {cover.requester_name} in {rotation.name} did not happen"
        said = f"You took {cover.requester_name}'s {not_changed}, so you are not on call for it:"
        again = "It is open again: take it again on the rotation page once what PagerDuty said is solved."
        why = TOOK
    else:
        hello = cover.requester_name
        subject = f"{who}'s cover in {rotation.name} did not happen: you are still on call"
        said = f"{who} took your {not_changed}, so you are still on call:"
        again = f"It is open again: someone else can take it, or ask {who} to take it again."
        why = ASKED_FOR_TIME_OFF if opened_for_time_off(cover) else ASKED
    lines = [f"Hello {hello},", "", said, "", *span]
    if cover.apply_state == CoverRequest.Apply.REFUSED and cover.apply_message:
        lines += ["", cover.apply_message]
    if cover.status == CoverRequest.Status.OPEN:
        lines += ["", again]
    return subject, lines, why


def canceller(cover: CoverRequest) -> str:
    """Who cancelled (an Actor label: an email, an API token, "system"), by name where Roster knows one:
    the requester, a member of the rotation, a person with an account."""
    label = cover.cancelled_by
    if label.lower() == cover.requester_email.lower():
        return cover.requester_name
    member = Member.objects.filter(rotation_id=cover.rotation_id, email__iexact=label).first()
    user = None if member or "@" not in label else User.objects.filter(email__iexact=label).first()
    return (member and member.name) or (user and user.get_full_name()) or label or "Roster"


def compose(row: Notification, *, unsubscribe_url: str, when: Callable[..., str]) -> EmailMessage:
    """The email of a cover request's row (plain text), the request as it is now."""
    cover = cover_of(row)
    rotation = cover.rotation
    email = row.target.removeprefix("email:")
    zone = rotation.time_zone
    link = public_url("rotations:detail", rotation.pk)
    span = [
        f"  From:  {when(rotation, cover.start.isoformat())} ({zone})",
        f"  Until: {when(rotation, cover.end.isoformat())} ({zone})",
    ]
    note = ["", "Their note:", *[f"  {line}" for line in cover.note.splitlines()]] if cover.note else []
    headers: dict[str, str] = {}
    why = ASKED_FOR_TIME_OFF if opened_for_time_off(cover) else ASKED
    if row.kind == OFFER.key:
        subject = f"{cover.requester_name} asks for cover in {rotation.name}"
        member = rotation.members.filter(email=email).first()  # offered to the rotation's members
        lines = [
            f"Hello {member.name}," if member else "Hello,",
            "",
            f"{cover.requester_name} asks for someone to cover their on-call shift in {rotation.name}:",
            "",
            *span,
            *note,
            "",
            f"Take it on the rotation page (first come, first served): {link}",
            "",
            f"You get this email because shift emails are on by default in {rotation.name}."
            if by_default(row)
            else f"You get this email because you chose shift emails from {rotation.name}.",
            f"Stop these emails (no sign-in needed): {unsubscribe_url}",
        ]
        headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    else:
        if row.kind == TAKEN.key:
            who = cover.taker_name or cover.taker_email or "Someone"
            subject = f"{who} took your cover request in {rotation.name}"
            lines = [f"Hello {cover.requester_name},", "", f"{who} took your request for cover in {rotation.name}:"]
            lines += ["", *span]
            if cover.swap_start and cover.swap_end:
                lines += [
                    "",
                    f"It is a swap: you cover {who}'s shift from {when(rotation, cover.swap_start.isoformat())} "
                    f"until {when(rotation, cover.swap_end.isoformat())} ({zone}).",
                ]
            if cover.apply_message:
                lines += ["", cover.apply_message]
        elif row.kind == EXPIRING.key:
            subject = f"Nobody has taken your cover request in {rotation.name} yet"
            lines = [
                f"Hello {cover.requester_name},",
                "",
                f"Nobody has taken your request for cover in {rotation.name} yet, and it starts soon:",
                "",
                *span,
                "",
                "If nobody takes it, you stay on call.",
            ]
        elif row.kind == CANCELLED.key:
            subject = f"{canceller(cover)} cancelled the cover you took in {rotation.name}"
            lines = [f"Hello {cover.taker_name},", "", f"{subject}, so you are no longer on call for it:", "", *span]
            lines += ["", cover.apply_message] if cover.apply_message else []
            why = TOOK
        elif row.kind == FAILED.key:
            subject, lines, why = failed(cover, email, span)
        else:
            subject = f"Your cover request in {rotation.name} expired"
            lines = [
                f"Hello {cover.requester_name},",
                "",
                f"Nobody took your request for cover in {rotation.name} before it ended, so you stayed on call:",
                "",
                *span,
            ]
        lines += ["", f"The rotation: {link}", "", why]
    return mail.email(subject=subject, body="\n".join(lines) + "\n", to=email, headers=headers)
