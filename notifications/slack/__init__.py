"""The Slack channel of notifications, split by role: `settings` (a rotation's Slack settings,
validated once), `planning` (what a handoff or an upcoming shift makes), `sending` (the calls to
Slack), `page` (the rotation page's Slack section), `covers` (cover requests' messages)."""

from __future__ import annotations

from .. import registry
from . import covers, page, planning, sending


class SlackChannel(registry.Channel):
    key = planning.CHANNEL
    kinds = planning.KINDS + covers.KINDS
    plan = staticmethod(planning.plan)
    leads = staticmethod(planning.reminder_leads)
    plan_upcoming = staticmethod(planning.plan_reminder)
    plan_cover = staticmethod(covers.plan_cover)
    send = staticmethod(sending.send)
    target_labels = staticmethod(page.target_labels)
