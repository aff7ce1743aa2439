"""Calendar feeds (iCalendar, RFC 5545): private subscription URLs, each its own person's: of a
rotation (everyone's shifts; one per rotation and person, and one made by an operator's API token),
or of the person's shifts in every rotation of the organization (matched by email). Leaving the
organization or a deactivated account revokes every feed the person owns (rotations/owners.py).

Only the SHA-256 hash of a feed's token is stored; the URL is shown once. Each event is one shift:

- `UID` is derived from the rotation id and the turn's number for a native rotation's turn (its own
  identity: trimmed by an override or given to the next person by a skip, it stays the same event;
  a turn an override splits in two: its later part is keyed by the turn and part number); otherwise
  (a PagerDuty shift, an override) from the rotation id, the shift's start and the person's key (a
  gap: its end); never a row id. So it survives re-syncs and recomputations: a calendar client keeps
  the same event, with the notes and alarms people added to it.
- A moved shift keeps its UID and its `SEQUENCE` grows: SEQUENCE is the rotation's *version*, the
  seconds since 2020 of the latest change Roster knows of (the rotation edited, a member, override or skip added or removed, a PagerDuty sync).
  It only grows: removals bump the rotation's `updated_at` (services._schedule_changed).
  `DTSTAMP` is that same instant, so an unchanged rotation renders byte-identical (hence the ETag).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.actor import Actor
from accounts.audit import audit_record
from accounts.models import Membership, hash_token
from config.links import public_url

from .. import selectors
from ..models import CalendarFeed, Rotation

DAYS_BACK = 30
DAYS_AHEAD = 180
TOKEN_PREFIX = "cal_"
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
REFRESH = dt.timedelta(hours=1)
MAX_ALARM_MINUTES = 7 * 24 * 60


def feed_url(raw_token: str) -> str:
    return public_url("calendar_feed", raw_token)


def webcal_url(raw_token: str) -> str:
    return "webcal://" + feed_url(raw_token).split("://", 1)[1]


# --- services -------------------------------------------------------------------------------------


def _active(*, organization, rotation=None, user=None):
    """A rotation's feed owned by `user` (None: the API-token feed), or `user`'s person feed."""
    qs = CalendarFeed.objects.filter(organization=organization, revoked_at__isnull=True)
    if rotation is not None:
        return qs.filter(kind=CalendarFeed.Kind.ROTATION, rotation=rotation, user=user)
    return qs.filter(kind=CalendarFeed.Kind.PERSON, user=user)


def _describe(feed: CalendarFeed) -> str:
    owner = feed.user.email if feed.user is not None else ""
    if feed.rotation is None:  # a person feed
        return f"{owner}’s shifts"
    return f"rotation “{feed.rotation.name}” ({owner + '’s' if owner else 'made by an API token'})"


def _audit(feed: CalendarFeed, action: str, *, actor: Actor | None, why: str = "") -> None:
    audit_record(
        organization=feed.organization,
        provider="roster",
        action=f"calendar_feed.{action}",
        summary=f"Calendar feed …{feed.last4} for {_describe(feed)} {action}{why}",
        actor=actor,
        detail={"kind": feed.kind, "last4": feed.last4, "rotation_id": feed.rotation_id},
    )


def calendar_feed_create(
    *, organization, rotation: Rotation | None = None, user=None, alarm_minutes: int | None = None, actor: Actor | None
) -> tuple[CalendarFeed, str]:
    """A new feed, replacing (revoking) the one it supersedes: returns it and its raw token, to show
    once. Used for both Create and Regenerate. With a rotation, `user` is the person the feed belongs
    to (None: an operator's API token made it); without, it is `user`'s own person feed."""
    kind = CalendarFeed.Kind.ROTATION if rotation is not None else CalendarFeed.Kind.PERSON
    with transaction.atomic():
        replaced = _active(organization=organization, rotation=rotation, user=user).update(revoked_at=timezone.now())
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(
            organization=organization,
            kind=kind,
            rotation=rotation,
            user=user,
            token_hash=hash_token(raw),
            last4=raw[-4:],
            alarm_minutes=alarm_minutes,
            created_by=actor.user if actor else None,
        )
        _audit(feed, "regenerated" if replaced else "created", actor=actor)
    return feed, raw


def calendar_feed_revoke(*, organization, rotation: Rotation | None = None, user=None, actor: Actor | None) -> int:
    """Revoke the active feed of a rotation and person (None: the API-token feed), or of a person
    (its URL answers 404 from now on)."""
    return _revoke(_active(organization=organization, rotation=rotation, user=user), actor=actor)


def calendar_feeds_revoke_owned(*, user_id: int, organization_id: int | None = None, why: str) -> int:
    """Revoke every active feed `user_id` owns (in one organization, or in all): they left it, were
    removed, or their account was deactivated. Call inside the transaction making that change."""
    owned = CalendarFeed.objects.filter(user_id=user_id, revoked_at__isnull=True)
    if organization_id is not None:
        owned = owned.filter(organization_id=organization_id)
    return _revoke(owned, actor=None, why=why)


def _revoke(active: QuerySet[CalendarFeed], *, actor: Actor | None, why: str = "") -> int:
    with transaction.atomic():
        feeds = list(active.select_for_update(of=("self",)).select_related("organization", "rotation", "user"))
        CalendarFeed.objects.filter(pk__in=[f.pk for f in feeds]).update(revoked_at=timezone.now())
        for feed in feeds:
            _audit(feed, "revoked", actor=actor, why=why)
    return len(feeds)


def calendar_feed_active(*, organization, rotation: Rotation | None = None, user=None) -> CalendarFeed | None:
    return _active(organization=organization, rotation=rotation, user=user).first()


def api_token_feeds(rotation: Rotation) -> list[CalendarFeed]:
    """The rotation's active feeds made by an operator's API token (listed on the rotation page)."""
    return list(_active(organization=rotation.organization, rotation=rotation, user=None))


def calendar_feed_for_token(raw: str) -> CalendarFeed | None:
    """The active feed of a raw token, or None (unknown and revoked look the same). A feed whose
    owner is no longer an active member of its organization is None too, even if a bulk change
    skipped the revocation (rotations/apps.py)."""
    member = Membership.objects.filter(organization_id=OuterRef("organization_id"), user_id=OuterRef("user_id"))
    return (
        CalendarFeed.objects.filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .alias(owner_is_member=Exists(member))
        .filter(Q(user__isnull=True) | Q(user__is_active=True, owner_is_member=True))
        .select_related("organization", "user")
        .first()
    )


# --- rendering ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    rotation: Rotation
    start: dt.datetime
    end: dt.datetime
    who: selectors.Person | None  # None: nobody on call
    turn: int | None = None  # a native turn's number (cadence.Slot.turn)
    part: int = 0  # a turn split by an override: its later parts are 1, 2, ...


def _version(rotation: Rotation) -> dt.datetime:
    """The latest change Roster knows of for this rotation (uses prefetched overrides and skips)."""
    stamps = [rotation.updated_at, rotation.last_sync_at or EPOCH]
    stamps += [o.created_at for o in rotation.overrides.all()]
    stamps += [s.created_at for s in rotation.skips.all()]
    stamps += [m.created_at for m in rotation.members.all()]  # removals bump updated_at (services)
    return max(stamps)


def _uid(event: Event) -> str:
    # A native turn is keyed by its number: trimmed by an override or given to someone else by a
    # skip, it stays the same event (new times or person, higher SEQUENCE). A gap is keyed by its
    # end: its start may be the window's (moving) start, its end is a handoff.
    if event.turn is not None:
        key = f"{event.rotation.pk}|turn|{event.turn}" + (f"|part|{event.part}" if event.part else "")
    elif event.who is None:
        key = f"{event.rotation.pk}|gap-until|{event.end.isoformat()}"
    else:
        key = f"{event.rotation.pk}|{event.start.isoformat()}|{event.who.key}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    host = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0]
    return f"{digest}@{host}"


def window_now(now: dt.datetime) -> dt.datetime:
    """The feed's window moves by whole hours (its refresh interval), so a feed stays byte-identical,
    and its ETag valid, for up to an hour when nothing changed."""
    return now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def feed_rotations(feed: CalendarFeed, *, now: dt.datetime) -> list[Rotation]:
    """The rotations a feed covers, with what [now - 30 days, now + 180 days) needs prefetched:
    a constant number of queries however many rotations."""
    since, until = now - dt.timedelta(days=DAYS_BACK), now + dt.timedelta(days=DAYS_AHEAD)
    rotations = selectors.rotations_for(feed.organization, now=since, until=until)
    if feed.kind == CalendarFeed.Kind.ROTATION:
        return list(rotations.filter(pk=feed.rotation_id or 0))
    email = feed.user.email if feed.user is not None else ""
    return list(rotations.filter(members__email__iexact=email).distinct())


def feed_etag(feed: CalendarFeed, rotations: list[Rotation], *, now: dt.datetime) -> str:
    """Changes whenever the rendered feed may change (the window, a rotation's version, the feed's
    options, the person's email), so a matching If-None-Match is answered without rendering."""
    parts = [feed.token_hash, str(feed.alarm_minutes), feed.user.email if feed.user else "", now.isoformat()]
    parts += [f"{r.pk}:{r.name}:{_version(r).isoformat()}" for r in rotations]
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def feed_events(feed: CalendarFeed, rotations: list[Rotation], *, now: dt.datetime) -> list[Event]:
    since, until = now - dt.timedelta(days=DAYS_BACK), now + dt.timedelta(days=DAYS_AHEAD)
    email = feed.user.email.lower() if feed.user is not None else ""
    events: list[Event] = []
    for rotation in rotations:
        parts: dict[int, int] = {}  # turn -> parts seen (slots come in time order)
        for slot in selectors.timeline(rotation, since=since, until=until):
            part = 0
            if slot.turn is not None:
                part = parts[slot.turn] = parts.get(slot.turn, -1) + 1
            if feed.kind == CalendarFeed.Kind.PERSON and (slot.who is None or slot.who.email.lower() != email):
                continue
            events.append(
                Event(rotation=rotation, start=slot.start, end=slot.end, who=slot.who, turn=slot.turn, part=part)
            )
    events.sort(key=lambda e: (e.start, e.rotation.pk))
    return events


def render_feed(feed: CalendarFeed, rotations: list[Rotation], *, now: dt.datetime) -> bytes:
    events = feed_events(feed, rotations, now=now)
    versions = {r.pk: _version(r) for r in rotations}
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Roster//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if feed.kind == CalendarFeed.Kind.ROTATION and rotations:
        cal.add("x-wr-calname", f"On call: {rotations[0].name}")
    else:
        cal.add("x-wr-calname", "My on-call shifts")
    cal.add("refresh-interval", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    for event in events:
        version = versions[event.rotation.pk]
        vevent = icalendar.Event()
        vevent.add("uid", _uid(event))
        vevent.add("dtstamp", version.astimezone(dt.UTC))
        vevent.add("sequence", max(0, int((version - EPOCH).total_seconds())))
        vevent.add("dtstart", event.start.astimezone(dt.UTC))
        vevent.add("dtend", event.end.astimezone(dt.UTC))
        if feed.kind == CalendarFeed.Kind.PERSON:
            summary = f"On call: {event.rotation.name}"
        elif event.who is None:
            summary = "Nobody on call"
        else:
            summary = f"{event.who.name} on call"
        vevent.add("summary", summary)
        vevent.add("transp", "TRANSPARENT")
        link = public_url("rotations:detail", event.rotation.pk)
        vevent.add("url", link)
        vevent.add("description", f"{event.rotation.name}: {link}")
        if feed.alarm_minutes and event.who is not None:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", -dt.timedelta(minutes=feed.alarm_minutes))
            vevent.add_component(alarm)
        cal.add_component(vevent)
    return cal.to_ical()
