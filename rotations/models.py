"""Rotations: who is on call, either by Roster's own cadence or by following a PagerDuty schedule.

A native rotation's turns are computed on the fly from its cadence (see cadence.py) plus its skips
and one-off overrides; nothing is stored per turn. A rotation bound to a PagerDuty schedule stores
PagerDuty's final schedule as `Shift` rows (gaps included), replaced by each sync over its window.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

# A sync still marked as queued after this long is shown as not running (a lost task must not
# disable "Sync now" for ever).
SYNC_STALE_AFTER = dt.timedelta(minutes=10)


NOT_A_TIME_ZONE = "“{value}” is not a time zone (use an IANA name such as Europe/Paris)."
# The IANA names: not the host's `localtime`, nor the `right/…` and `posix/…` copies ZoneInfo also loads.
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime"})


def validate_time_zone(value: str) -> None:
    if value not in TIME_ZONES:
        raise ValidationError(NOT_A_TIME_ZONE.format(value=value))


class Rotation(models.Model):
    class CadenceUnit(models.TextChoices):
        DAYS = "days", "days"
        WEEKS = "weeks", "weeks"

    class SyncState(models.TextChoices):
        IDLE = "idle", "Idle"
        QUEUED = "queued", "Sync running"

    class ScheduleKind(models.TextChoices):
        CLASSIC = "v2", "Classic"
        SHIFT_BASED = "v3", "Shift-based"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="rotations")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    # Native cadence: a turn every `cadence_count` days or weeks, handing over at `handoff_time`
    # (wall-clock time in `time_zone`), the first turn starting on `start_date`.
    cadence_unit = models.CharField(max_length=5, choices=CadenceUnit.choices, default=CadenceUnit.WEEKS)
    cadence_count = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    handoff_time = models.TimeField(default=dt.time(9, 0))
    start_date = models.DateField(default=dt.date.today)

    # PagerDuty binding (empty id: native)
    pagerduty_schedule_id = models.CharField(max_length=40, blank=True, default="", db_index=True)
    pagerduty_schedule_name = models.CharField(max_length=255, blank=True, default="")
    pagerduty_schedule_kind = models.CharField(max_length=2, choices=ScheduleKind.choices, blank=True, default="")
    pagerduty_schedule_url = models.CharField(max_length=500, blank=True, default="")
    pagerduty_schedule_missing = models.BooleanField(default=False)
    # The schedule followed before PagerDuty was disconnected: the rotation page offers to follow
    # it again in one click once PagerDuty is connected again. Cleared by any new binding.
    previous_pagerduty_schedule_id = models.CharField(max_length=40, blank=True, default="")
    previous_pagerduty_schedule_name = models.CharField(max_length=255, blank=True, default="")
    previous_pagerduty_schedule_kind = models.CharField(
        max_length=2, choices=ScheduleKind.choices, blank=True, default=""
    )

    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.IDLE)
    sync_requested_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_ok = models.BooleanField(null=True)
    last_sync_error = models.CharField(max_length=500, blank=True, default="")
    last_sync_error_at = models.DateTimeField(null=True, blank=True)
    # The client error's code: a transient one (PagerDuty unreachable) shows as "retrying", not failed.
    last_sync_error_code = models.CharField(max_length=60, blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rotation"
        verbose_name_plural = "rotations"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def is_bound(self) -> bool:
        return bool(self.pagerduty_schedule_id)

    @property
    def sync_running(self) -> bool:
        return (
            self.sync_state == self.SyncState.QUEUED
            and self.sync_requested_at is not None
            and timezone.now() - self.sync_requested_at < SYNC_STALE_AFTER
        )

    @property
    def sync_retrying(self) -> bool:
        """The last sync failed for a reason that goes away by itself: Roster retries automatically."""
        from integrations.pagerduty.selectors import TRANSIENT_ERROR_CODES

        return self.last_sync_ok is False and self.last_sync_error_code in TRANSIENT_ERROR_CODES

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def cadence_label(self) -> str:
        unit = "day" if self.cadence_unit == self.CadenceUnit.DAYS else "week"
        every = unit if self.cadence_count == 1 else f"{self.cadence_count} {unit}s"
        return f"Every {every} at {self.handoff_time:%H:%M}"

    @property
    def period_days(self) -> int:
        return self.cadence_count * (7 if self.cadence_unit == self.CadenceUnit.WEEKS else 1)


class Member(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    email = models.EmailField()  # stored lower-case; PagerDuty users are matched by it
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "rotation member"
        verbose_name_plural = "rotation members"
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["rotation", "email"], name="member_email_unique_per_rotation")]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class Skip(models.Model):
    """The native turn starting at `turn_start` passes over its person; the order continues after."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="skips")
    turn_start = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "skipped turn"
        verbose_name_plural = "skipped turns"
        ordering = ["turn_start"]
        constraints = [models.UniqueConstraint(fields=["rotation", "turn_start"], name="skip_unique_per_turn")]

    def __str__(self):
        return f"Skip of the turn at {self.turn_start:%Y-%m-%d %H:%M}Z"


class Override(models.Model):
    """A one-off: `member` is on call from `start` to `end` instead of the cadence's person."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "override"
        verbose_name_plural = "overrides"
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="override_ends_after_start")
        ]

    def __str__(self):
        return f"Override {self.start:%Y-%m-%d %H:%M}Z–{self.end:%Y-%m-%d %H:%M}Z"


class Shift(models.Model):
    """One entry of PagerDuty's final schedule for a bound rotation; `is_gap` marks nobody on call."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField()
    end = models.DateTimeField()
    is_gap = models.BooleanField(default=False)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pagerduty_user_id = models.CharField(max_length=40, blank=True, default="")
    person_name = models.CharField(max_length=200, blank=True, default="")
    person_email = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        verbose_name = "shift (from PagerDuty)"
        verbose_name_plural = "shifts (from PagerDuty)"
        ordering = ["start", "end", "id"]
        indexes = [models.Index(fields=["rotation", "end"], name="shift_rotation_end")]

    def __str__(self):
        return f"{self.person_name or 'Nobody'} {self.start:%Y-%m-%d %H:%M}Z–{self.end:%Y-%m-%d %H:%M}Z"

    def key(self) -> tuple:
        return (
            self.start,
            self.end,
            self.is_gap,
            self.pagerduty_user_id,
            self.member_id,
            self.person_name,
            self.person_email,
        )


class Handoff(models.Model):
    """The on-call person changed at `at`. Recorded once (unique per rotation and instant)."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="handoffs")
    at = models.DateTimeField()
    from_label = models.CharField(max_length=500, blank=True, default="")
    to_label = models.CharField(max_length=500, blank=True, default="")  # "" = a gap: nobody
    to_key = models.CharField(max_length=500, blank=True, default="")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "handoff"
        verbose_name_plural = "handoffs"
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["rotation", "at"], name="handoff_once_per_instant")]

    def __str__(self):
        return f"Handoff at {self.at:%Y-%m-%d %H:%M}Z to {self.to_label or 'nobody'}"


class PagerDutyUser(models.Model):
    """Cache of PagerDuty users (schedule entries carry only ids and names), per organization."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    pagerduty_id = models.CharField(max_length=40)
    name = models.CharField(max_length=200, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    fetched_at = models.DateTimeField()

    class Meta:
        verbose_name = "PagerDuty user (cached)"
        verbose_name_plural = "PagerDuty users (cached)"
        constraints = [models.UniqueConstraint(fields=["organization", "pagerduty_id"], name="pd_user_unique_per_org")]

    def __str__(self):
        return f"{self.name} ({self.pagerduty_id})"


class SyncRun(models.Model):
    """One sync of one PagerDuty schedule, shared by every rotation of the organization bound to it."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    schedule_id = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    error_code = models.CharField(max_length=60, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    rotations = models.PositiveIntegerField(default=0)
    shifts = models.PositiveIntegerField(default=0)
    changed = models.BooleanField(default=False)

    class Meta:
        verbose_name = "schedule sync run"
        verbose_name_plural = "schedule sync runs"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization", "schedule_id", "-started_at"], name="syncrun_schedule")]

    def __str__(self):
        return f"Sync of {self.schedule_id} at {self.started_at:%Y-%m-%d %H:%M}Z"


class CalendarFeed(models.Model):
    """A private iCalendar subscription URL: one rotation's shifts, or one person's shifts in every
    rotation of the organization (matched by email). Only the SHA-256 hash of its token is stored;
    the URL is shown once. A revoked feed answers 404 like an unknown one.

    A feed belongs to `user`, the person who made it: each member has their own URL for a rotation
    (at most one active per rotation and person), revoked all at once when they leave the organization
    or their account is deactivated (rotations/apps.py). A rotation feed without a user was made by an
    operator's API token (acting for no person) and lives until revoked."""

    class Kind(models.TextChoices):
        ROTATION = "rotation", "Rotation"
        PERSON = "person", "Person"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rotation = models.ForeignKey(
        Rotation, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    alarm_minutes = models.PositiveIntegerField(null=True, blank=True)  # a VALARM this long before each shift
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "calendar feed"
        verbose_name_plural = "calendar feeds"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="rotation", rotation__isnull=False))
                | models.Q(kind="person", rotation__isnull=True, user__isnull=False),
                name="calendar_feed_rotation_or_person",
            )
        ]
        indexes = [models.Index(fields=["user", "revoked_at"], name="calendar_feed_owner")]

    def __str__(self):
        return f"Calendar feed ({self.kind}) …{self.last4}"

    @property
    def made_by_api_token(self) -> bool:
        return self.kind == self.Kind.ROTATION and self.user_id is None


class TimeOff(models.Model):
    """A person of the organization is away from `start` to `end`: native rotations pass over their
    turns (the member whose email is theirs, as a skip does), and Roster asks for cover of their
    shifts in PagerDuty-bound rotations (covers/time_off.py). Services: rotations/time_off/."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="time_offs")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="time_offs")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.TextField(blank=True, default="")  # at most 500 characters, one paragraph
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "time off"
        verbose_name_plural = "time off"
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="time_off_ends_after_start")
        ]
        indexes = [models.Index(fields=["organization", "end"], name="time_off_org_end")]

    def __str__(self):
        return f"Time off {self.start:%Y-%m-%d %H:%M}Z–{self.end:%Y-%m-%d %H:%M}Z"


class DueSchedule(models.Model):
    """A PagerDuty schedule of an organization waiting to be re-read in full (issue 26): each
    organization's own queue, drained by its own task within its credential's budget
    (rotations/freshness.py), most urgent first: a re-read someone asked for, a change the poll
    noticed, a schedule the poll cannot see (no escalation policy uses it) not read for a sync
    interval, then the periodic sync.
    One row per (organization, schedule); marking it again keeps the higher priority."""

    class Priority(models.IntegerChoices):
        NOW = 0, "Requested (Sync now, a cover request)"
        CHANGED = 1, "Changed in PagerDuty"
        UNSEEN = 2, "Due, and GET /oncalls cannot see it"
        PERIODIC = 3, "Periodic sync"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    schedule_id = models.CharField(max_length=40)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PERIODIC)
    due_at = models.DateTimeField(help_text="When it first became due (the order within a priority).")
    marked_at = models.DateTimeField(help_text="When it was last marked due (a re-read started before keeps it).")
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "PagerDuty schedule due for a re-read"
        verbose_name_plural = "PagerDuty schedules due for a re-read"
        constraints = [models.UniqueConstraint(fields=["organization", "schedule_id"], name="due_schedule_once")]
        indexes = [models.Index(fields=["organization", "priority", "due_at"], name="due_schedule_order")]

    def __str__(self):
        return f"{self.schedule_id} for {self.organization_id} ({self.get_priority_display()})"
