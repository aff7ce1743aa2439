"""Notifications: one row per thing to tell someone about a handoff (or an upcoming shift), per
target and kind, delivered once. See services.py for how rows are made and delivered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from rotations.models import Rotation


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    # None: an event of no rotation (an outgoing webhook's incident.updated or test event).
    rotation = models.ForeignKey(
        "rotations.Rotation", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # The source: a handoff, an upcoming shift (`source` = "shift:<start>:<person key>", no handoff),
    # or an event ("incident:<id>", "test:<hex>").
    handoff = models.ForeignKey(
        "rotations.Handoff", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # A cover request's event (source "cover:<id>:<event>", no handoff): see cover_events.py.
    cover_request = models.ForeignKey(
        "covers.CoverRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=200)  # "handoff:<id>" or a shift's identity
    source_at = models.DateTimeField()  # the handoff's instant, or the shift's start: newer supersedes older
    channel = models.CharField(max_length=40)  # "slack", "email", "webhook"
    target = models.CharField(max_length=200)  # the channel's id of where it goes ("usergroup:S123", "endpoint:4")
    kind = models.CharField(max_length=60)  # "slack.on_duty", "slack.usergroup", "webhook.rotation.handoff"
    stateful = models.BooleanField(default=False)  # sets state: only the newest per (rotation, target, kind)
    payload = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)  # when its task message should have run
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")  # plain words; why skipped or failed
    sent_at = models.DateTimeField(null=True, blank=True)
    resent_at = models.DateTimeField(null=True, blank=True)  # an admin asked to send it again
    # The last attempt's answer, when the channel reports one (an outgoing webhook's HTTP status).
    response_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # The start of the last answer's body: at most 64 KiB were read (outgoing.safe_http.MAX_RESPONSE_BYTES).
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Rows are read-only in Django admin (no change permission): its Resend action needs this.
        permissions = [("resend_notification", "Can resend notifications")]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "source", "channel", "target", "kind"], name="notification_once_per_target"
            ),
            models.UniqueConstraint(
                fields=["organization", "source", "channel", "target", "kind"],
                condition=models.Q(rotation=None),
                name="notification_event_once_per_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["rotation", "-created_at"], name="notification_recent"),
            models.Index(fields=["rotation", "channel", "target", "kind", "source_at"], name="notification_state"),
            models.Index(fields=["channel", "target", "-created_at"], name="notification_target_log"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.channel}:{self.target} ({self.status})"

    @property
    def the_rotation(self) -> Rotation:
        """The rotation of a rotation's notification (a handoff's, a shift's: Slack, email)."""
        if self.rotation is None:
            raise LookupError(f"Notification {self.pk} is an event of no rotation.")
        return self.rotation


class HandoffFanout(models.Model):
    """This handoff's notifications were created (the scan skips it from then on)."""

    handoff = models.OneToOneField(
        "rotations.Handoff", primary_key=True, on_delete=models.CASCADE, related_name="notification_fanout"
    )
    planned = models.PositiveIntegerField(default=0)  # notifications its planners asked for
    fanned_out_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Fan-out of handoff {self.handoff_id}"


class CoverFanout(models.Model):
    """This event of this cover request made its notifications (the sweep's scan skips it from then on)."""

    cover_request = models.ForeignKey("covers.CoverRequest", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=10)  # covers.signals.EVENTS
    planned = models.PositiveIntegerField(default=0)
    fanned_out_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cover_request", "event"], name="cover_fanout_once_per_event")]

    def __str__(self):
        return f"Fan-out of cover request {self.cover_request_id} ({self.event})"


class CoverSlackMessage(models.Model):
    """The Slack message offering a cover request (its "Take it" button), updated in place
    (chat.update) when the request is taken, cancelled or expires."""

    cover_request = models.OneToOneField(
        "covers.CoverRequest", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    channel_id = models.CharField(max_length=40)
    ts = models.CharField(max_length=40)  # Slack's id of the message in its channel
    posted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Slack message of cover request {self.cover_request_id}"


class RotationSlack(models.Model):
    """A rotation's Slack settings (validated in `notifications.slack.rotation_slack_update`).

    `last_topic` is the topic Roster set last on the topic channel: Roster changes the topic only
    while the channel still shows it (a topic a person edited is left alone). `group_note` and
    `topic_note` say, in plain words, what Roster did not do and why (a gap, an edited topic)."""

    class Gap(models.TextChoices):
        KEEP = "keep", "Keep the group as it was"
        DISABLE = "disable", "Disable the group"

    rotation = models.OneToOneField("rotations.Rotation", on_delete=models.CASCADE, related_name="slack_settings")
    usergroup_id = models.CharField(max_length=40, blank=True, default="")
    topic_channel_id = models.CharField(max_length=40, blank=True, default="")
    topic_template = models.CharField(max_length=500, blank=True, default="")
    message_channel_id = models.CharField(max_length=40, blank=True, default="")
    on_duty_template = models.CharField(max_length=2000, blank=True, default="")
    off_duty_template = models.CharField(max_length=2000, blank=True, default="")
    reminder_template = models.CharField(max_length=2000, blank=True, default="")
    reminder_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    permanent_member_ids = models.JSONField(default=list, blank=True)
    gap_behaviour = models.CharField(max_length=10, choices=Gap.choices, default=Gap.KEEP)
    last_topic = models.CharField(max_length=500, blank=True, default="")
    group_disabled = models.BooleanField(default=False)
    group_note = models.CharField(max_length=500, blank=True, default="")
    topic_note = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rotation's Slack settings"
        verbose_name_plural = "rotations' Slack settings"

    def __str__(self):
        return f"Slack settings of rotation {self.rotation_id}"


class ShiftSnapshot(models.Model):
    """A watched rotation's shifts over the next days as last seen (`upcoming.shift_changes_scan`):
    the next scan diffs against it to find shifts that moved. `shifts` is a list of
    [start iso, end iso, person key, name, email]; `version` grows with each change found."""

    rotation = models.OneToOneField("rotations.Rotation", on_delete=models.CASCADE, related_name="shift_snapshot")
    shifts = models.JSONField(default=list, blank=True)
    taken_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Shift snapshot of rotation {self.rotation_id} (v{self.version})"


class ReminderChoice(models.Model):
    """Which shift emails: a reminder `reminder_hours` before each shift (None: none), and an email
    when a shift moves."""

    reminder_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    shift_moved = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RotationEmailSettings(ReminderChoice):
    """A rotation's email reminder defaults (set by admins): what a person who made no choice of
    their own gets. Both off unless an admin turns them on."""

    rotation = models.OneToOneField("rotations.Rotation", on_delete=models.CASCADE, related_name="email_settings")

    class Meta:
        verbose_name = "rotation's email reminder defaults"
        verbose_name_plural = "rotations' email reminder defaults"

    def __str__(self):
        return f"Email reminder defaults of rotation {self.rotation_id}"


class EmailReminder(ReminderChoice):
    """One person's own choice of shift emails from one rotation (by email, lower-case); it replaces
    the rotation's defaults for them. Unsubscribing stores both off."""

    rotation = models.ForeignKey("rotations.Rotation", on_delete=models.CASCADE, related_name="email_reminders")
    email = models.EmailField()

    class Meta:
        verbose_name = "email reminder choice"
        verbose_name_plural = "email reminder choices"
        constraints = [models.UniqueConstraint(fields=["rotation", "email"], name="email_reminder_once_per_person")]

    def __str__(self):
        return f"Email reminders of {self.email} for rotation {self.rotation_id}"
