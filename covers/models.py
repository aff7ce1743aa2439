"""Cover requests (issue 25): a member asks someone to be on call in their place for a time range
of a rotation; another member takes it (or swaps: gives one of their own shifts back), and Roster
writes the change to the schedule (a Roster override, or a PagerDuty override written exactly once)."""

from __future__ import annotations

from django.db import models


class CoverRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Taken"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class Apply(models.TextChoices):  # writing the change to the schedule
        NONE = "", "Not applied"
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    rotation = models.ForeignKey("rotations.Rotation", on_delete=models.CASCADE, related_name="cover_requests")
    requester = models.ForeignKey("rotations.Member", on_delete=models.SET_NULL, null=True, related_name="+")
    requester_name = models.CharField(max_length=200)  # kept when the member goes
    requester_email = models.CharField(max_length=254)
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.TextField(blank=True, default="")  # at most 500 characters (the service checks)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    taker = models.ForeignKey("rotations.Member", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    taker_name = models.CharField(max_length=200, blank=True, default="")
    taker_email = models.CharField(max_length=254, blank=True, default="")
    # A swap: the taker's own shift [swap_start, swap_end) goes back to the requester.
    swap_start = models.DateTimeField(null=True, blank=True)
    swap_end = models.DateTimeField(null=True, blank=True)
    apply_state = models.CharField(max_length=10, choices=Apply.choices, blank=True, default="")
    # A sentence: why PagerDuty refused, or what happened on undo.
    apply_message = models.CharField(max_length=500, blank=True, default="")
    pagerduty_override_id = models.CharField(max_length=64, blank=True, default="")
    swap_override_id = models.CharField(max_length=64, blank=True, default="")
    native_override = models.ForeignKey(
        "rotations.Override", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    swap_native_override = models.ForeignKey(
        "rotations.Override", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254)  # Actor.label
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.CharField(max_length=254, blank=True, default="")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=254, blank=True, default="")
    expired_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)  # "nobody has taken it", an hour before
    # A take accepted while PagerDuty was busy, then refused (or never reached): who took it, when it failed.
    take_failed_at = models.DateTimeField(null=True, blank=True)
    failed_taker_name = models.CharField(max_length=200, blank=True, default="")
    failed_taker_email = models.CharField(max_length=254, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cover request"
        verbose_name_plural = "cover requests"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["rotation", "-created_at"], name="cover_rotation_created"),
            models.Index(fields=["status", "start"], name="cover_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="cover_ends_after_start")
        ]

    def __str__(self):
        return (
            f"Cover for {self.requester_name} {self.start:%Y-%m-%d %H:%M}Z–{self.end:%Y-%m-%d %H:%M}Z ({self.status})"
        )

    @property
    def is_swap(self) -> bool:
        return self.swap_start is not None and self.swap_end is not None
