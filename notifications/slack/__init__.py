"""The Slack channel of notifications, split by role: `settings` (a rotation's Slack settings,
validated once), `planning` (what a handoff or an upcoming shift makes), `sending` (the calls to
Slack), `page` (the rotation page's Slack section)."""

from __future__ import annotations

from .. import registry
from . import planning, sending


class SlackChannel(registry.Channel):
    key = planning.CHANNEL
    kinds = planning.KINDS

    def plan(self, handoff):
        return planning.plan(handoff)

    def leads(self):
        return planning.reminder_leads()

    def plan_upcoming(self, rotation, shift):
        return planning.plan_reminder(rotation, shift)

    def send(self, notification) -> None:
        sending.send(notification)
