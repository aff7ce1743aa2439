"""Reads of the Slack connection and of who people are in Slack (no Slack call)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import SlackConnection, SlackUser


def get_connection(organization) -> SlackConnection | None:
    return SlackConnection.objects.filter(organization=organization).first()


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class SlackMatch:
    """People (by email) matched to Slack users: `linked` email → user id; `unlinked` in the order
    given; `unchecked`, those of `unlinked` never looked up in Slack yet (from the cache only)."""

    linked: dict[str, str] = field(default_factory=dict)
    unlinked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.linked) + len(self.unlinked)

    def user_ids(self) -> list[str]:
        return list(dict.fromkeys(self.linked.values()))


def slack_match_cached(*, team_id: str, emails: Iterable[str]) -> SlackMatch:
    """What the cache knows ("N of M linked to Slack" on a page): an address never looked up, or
    that Slack did not know, counts as unlinked; one never looked up is also `unchecked`."""
    wanted = list(dict.fromkeys(normalize_email(e) for e in emails if e and e.strip()))
    looked_up = dict(SlackUser.objects.filter(team_id=team_id, email__in=wanted).values_list("email", "user_id"))
    return SlackMatch(
        linked={e: looked_up[e] for e in wanted if looked_up.get(e)},
        unlinked=[e for e in wanted if not looked_up.get(e)],
        unchecked=[e for e in wanted if e not in looked_up],
    )


def connections_for_team(team_id: str) -> list[SlackConnection]:
    """The connections of a Slack workspace (a signed request's `team_id`), oldest first: usually
    one; several when more than one organization added Roster to the same workspace."""
    if not team_id:
        return []
    return list(SlackConnection.objects.filter(team_id=team_id).select_related("organization").order_by("pk"))


def workspace_used_by_another(team_id: str, *, organization) -> bool:
    """Whether another organization than `organization` is connected to the Slack workspace
    `team_id` (the app's one bot token there is theirs too)."""
    return bool(team_id) and SlackConnection.objects.filter(team_id=team_id).exclude(organization=organization).exists()
