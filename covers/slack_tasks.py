"""Slack work that may take longer than Slack's 3 seconds: taking a cover request from its Take it
button (it writes to PagerDuty), then answering the person through the click's `response_url`."""

from __future__ import annotations

import logging

from celery import shared_task

from integrations.slack import client as slack

from . import slack_commands as commands

log = logging.getLogger(__name__)


@shared_task
def take_cover(team_id: str, user_id: str, value: str, response_url: str) -> str:
    """Take the request for the Slack user who clicked; tell them (ephemeral) it is theirs, who was
    faster, or why PagerDuty refused."""
    workspace = commands.workspace_for(team_id)
    answer = commands.NOT_CONNECTED if workspace is None else commands.cover_take(workspace, user_id, value)
    post_answer.delay(response_url, answer)
    return answer


@shared_task(autoretry_for=(slack.Unavailable, slack.RateLimited), retry_backoff=2, retry_backoff_max=30, max_retries=4)
def post_answer(response_url: str, text: str) -> None:
    """An ephemeral answer to the person who clicked (a URL of Slack's valid for 30 minutes)."""
    try:
        slack.respond(response_url, {"response_type": "ephemeral", "replace_original": False, "text": text})
    except slack.Permanent as error:
        log.info("Slack did not take an answer: %s", error.code)
