"""Slack's one request URL, `{PUBLIC_BASE_URL}/integrations/slack/events/`: slash commands (`/roster`),
interactive payloads (the Take it button, the `cover_ask` modal's submit) and Events API requests
(`url_verification`; `app_uninstalled` and `tokens_revoked` turn the workspace's connections into
"Reconnect Slack" at once).

Every request is checked with slack_sdk's SignatureVerifier against SLACK_SIGNING_SECRET (HMAC of
`v0:{timestamp}:{body}`; a timestamp over 5 minutes old is refused): no CSRF token, Slack signs
instead. While the secret is unset the URL is a 404. Slack waits 3 seconds for the answer, so:
- `who` and `help` answer at once (database reads only);
- `cover` opens its modal inline: views.open must be called within 3 s of the command (the
  `trigger_id` expires), a worker's queue could take longer, and it is one fast call (plus users.info
  the first time Roster sees the person), each with a 1.2 s timeout and no retry sleeping;
- the modal's submit creates the request inline (database only; Slack shows field errors only from
  this answer);
- the Take it button is queued (taking writes to PagerDuty): `covers.slack_tasks.take_cover` answers
  through the payload's `response_url`.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from slack_sdk.signature import SignatureVerifier

from accounts.refusal import Refusal
from config.celery import enqueue_or_log
from integrations.slack.services import connections_revoked

from . import slack_commands as commands
from . import slack_tasks
from .slack_commands import json_object

log = logging.getLogger(__name__)


def _ephemeral(text: str) -> JsonResponse:
    return JsonResponse({"response_type": "ephemeral", "text": text})


def _signed(request: HttpRequest, body: bytes) -> bool:
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    try:
        return verifier.is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp"),
            signature=request.headers.get("X-Slack-Signature"),
        )
    except ValueError:  # a timestamp that is not a number
        return False


@csrf_exempt
def events(request: HttpRequest) -> HttpResponse:
    if not settings.SLACK_SIGNING_SECRET:
        return HttpResponse("Not Found", status=404, content_type="text/plain")
    if request.method != "POST":
        response = HttpResponse("Only POST.", status=405, content_type="text/plain")
        response["Allow"] = "POST"
        return response
    try:
        body = request.body
    except RequestDataTooBig:
        return HttpResponse("Too large.", status=413, content_type="text/plain")
    if not _signed(request, body):
        return HttpResponse("The request is not signed by Slack, or is too old.", status=401, content_type="text/plain")
    if request.content_type == "application/json":
        return _event(body)
    form = request.POST
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return HttpResponse("Unreadable payload.", status=400, content_type="text/plain")
        return _interaction(payload)
    if "command" in form:
        return _command(form)
    return HttpResponse("Unknown request.", status=400, content_type="text/plain")


def _event(body: bytes) -> HttpResponse:
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return HttpResponse("Unreadable event.", status=400, content_type="text/plain")
    if event.get("type") == "url_verification":
        return JsonResponse({"challenge": str(event.get("challenge") or "")})
    inner = json_object(event.get("event"))
    kind, bot_tokens = inner.get("type"), json_object(inner.get("tokens")).get("bot")
    if kind == "app_uninstalled" or (kind == "tokens_revoked" and bot_tokens):
        connections_revoked(team_id=str(event.get("team_id") or ""))
    return HttpResponse(status=200)  # acknowledged (anything else too), so Slack does not retry


def _command(form) -> HttpResponse:
    text = str(form.get("text") or "").strip()
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    if verb in ("", "help"):
        return _ephemeral(commands.HELP)
    workspace = commands.workspace_for(str(form.get("team_id") or ""))
    if workspace is None:
        return _ephemeral(commands.NOT_CONNECTED)
    try:
        if verb == "who":
            return _ephemeral(commands.who(workspace, rest))
        if verb == "cover":
            commands.cover_open(workspace, str(form.get("user_id") or ""), str(form.get("trigger_id") or ""), rest)
            return HttpResponse(status=200)  # the modal is the answer
    except Refusal as refusal:
        return _ephemeral(refusal.message)
    return _ephemeral(f"Roster does not know `{commands.escape(verb[:40])}`.\n\n{commands.HELP}")


def _interaction(payload: dict) -> HttpResponse:
    team, user = json_object(payload.get("team")), json_object(payload.get("user"))
    team_id = str(team.get("id") or user.get("team_id") or "")
    user_id = str(user.get("id") or "")
    kind = payload.get("type")
    if kind == "view_submission":
        view = json_object(payload.get("view"))
        if view.get("callback_id") != commands.ASK_CALLBACK:
            return HttpResponse(status=200)
        workspace = commands.workspace_for(team_id)
        if workspace is None:
            return JsonResponse(commands.modal_errors({"rotation": commands.NOT_CONNECTED}))
        return JsonResponse(commands.cover_submit(workspace, user_id, view))
    if kind == "block_actions":
        response_url = str(payload.get("response_url") or "")
        actions = payload.get("actions")
        for action in actions if isinstance(actions, list) else []:
            if isinstance(action, dict) and action.get("action_id") == commands.TAKE_ACTION:
                enqueue_or_log(
                    slack_tasks.take_cover,
                    team_id,
                    user_id,
                    str(action.get("value") or ""),
                    response_url,
                    what="a Take it click from Slack",
                )
    return HttpResponse(status=200)  # acknowledged; anything to say goes through response_url
