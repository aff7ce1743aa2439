"""The only place Roster speaks HTTP to Slack: a thin layer over slack_sdk's WebClient.

Every call raises one typed error a caller can act on, with a message in plain words:
- `NeedsReauth`: the token is dead (the app was removed, the token revoked, the account
  deactivated): the connection needs "Reconnect Slack";
- `RateLimited(retry_after)`: Slack's 429 after slack_sdk's retry handler gave up (or Slack asked
  to wait longer than SLACK_MAX_RETRY_WAIT, so a worker never sleeps long): retry later; code
  "paced" when Roster held the call itself because this workspace's window of Slack's limit for the
  method is full (LIMITS, counted in config.limits), `retry_after` the seconds until it frees;
- `Unavailable`: a 5xx, a timeout, a network failure or an answer that is not Slack's JSON: retry;
- `Permanent`: anything else Slack refused (`missing_scope`, `channel_not_found`,
  `not_in_channel`, ...): retrying will not help until a person fixes it, and the message says how.

Slack answers most errors with HTTP 200 and `{"ok": false, "error": "<code>"}`; slack_sdk turns
those (and non-200 answers) into SlackApiError, which `_call` maps. The bot token never appears in
an error message or a log line: slack_sdk's own request logging (DEBUG, with headers) goes to a
logger pinned at INFO.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest as RetryRequest
from slack_sdk.http_retry.response import HttpResponse as RetryResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse, WebClient
from slack_sdk.webhook import WebhookClient

from config import limits, retry_after

log = logging.getLogger(__name__)

# slack_sdk logs each request with its headers (the bearer token) at DEBUG: never let that through.
_SDK_LOG = logging.getLogger("integrations.slack.sdk")
_SDK_LOG.setLevel(logging.INFO)

NEEDS_REAUTH_CODES = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
# What an admin does about a dead token or a missing permission (a member reads who to ask instead).
REAUTH_HELP = "Click Reconnect Slack to add Roster to the workspace again."
SCOPE_HELP = "Click Reconnect Slack to grant it (an operator may first need to add it to the Slack app)."
MAX_PAGES = 50  # conversations.list: at most 50 pages of 200 channels for a picker

# Plain words for what Slack refused, and the fix. `{channel}` is the channel's id or name.
PERMANENT_MESSAGES = {
    "missing_scope": "Roster's Slack app lacks a permission it needs{needed}.",
    "channel_not_found": "Slack cannot find channel {channel}, or it is private and @Roster is not in it: "
    "pick another channel, or invite @Roster to it (type /invite @Roster in the channel).",
    "not_in_channel": "@Roster is not in channel {channel}: invite it (type /invite @Roster in the channel).",
    "is_archived": "Channel {channel} is archived: pick another channel.",
    "too_long": "The topic is longer than Slack's 250 characters: shorten the template.",
    "no_users_provided": "Slack refuses to empty a user group: at least one person must stay in it.",
    "invalid_users": "Slack refused some of the people (guests, bots and deactivated people cannot be in a user group).",
    "permission_denied": "Slack lets only its admins change user groups in this workspace: a Slack admin must allow "
    "everyone to manage user groups (Workspace settings → Permissions → User Groups).",
    "plan_upgrade_required": "User groups need a paid Slack plan.",
    "paid_teams_only": "User groups need a paid Slack plan.",
    "name_already_exists": "A Slack user group with that name already exists: pick it, or choose another name.",
    "handle_already_exists": "That @handle is already taken in Slack (by a user group, a channel or a person).",
    "bad_handle": "Slack does not accept that @handle: use lower-case letters, digits, dots, dashes or underscores.",
    "user_disabled": "That Slack account is deactivated.",
    "users_not_found": "No Slack user has that email address.",
    "msg_blocks_too_long": "The message is too long for Slack: shorten the template.",
    "message_not_found": "Slack cannot find the message to update (someone deleted it).",
    "cant_update_message": "Slack lets Roster update only its own messages.",
    "invalid_code": "Slack refused the authorization code (it was already used or is too old). Try Add to Slack again.",
    "bad_redirect_uri": "Slack refused the redirect URL: the Slack app must list exactly the redirect URL shown on the card.",
    "oauth_authorization_url_mismatch": "Slack refused the redirect URL: the Slack app must list exactly the "
    "redirect URL shown on the card.",
    "invalid_client_id": "Slack does not know SLACK_CLIENT_ID: the operator must set the Slack app's Client ID.",
    "bad_client_secret": "Slack refused SLACK_CLIENT_SECRET: the operator must set the Slack app's current Client Secret.",
}
# Slack's limits per workspace and method (tier 2: 20 a minute, tier 3: 50, tier 4: 100; chat.postMessage
# about one a second per channel, counted per channel), kept as moving windows. See
# /work/shared/slack-api.md, "Rate limits".
_TIER1, _TIER2, _TIER3, _TIER4 = "1 per minute", "20 per minute", "50 per minute", "100 per minute"
LIMITS = {
    "auth.test": _TIER4,
    "auth.revoke": _TIER3,
    "apps.uninstall": _TIER1,
    "users.lookupByEmail": _TIER3,
    "users.info": _TIER4,
    "views.open": _TIER4,
    "usergroups.list": _TIER2,
    "usergroups.create": _TIER2,
    "usergroups.users.update": _TIER2,
    "usergroups.disable": _TIER2,
    "usergroups.enable": _TIER2,
    "conversations.list": _TIER2,
    "conversations.info": _TIER3,
    "conversations.setTopic": _TIER2,
    "chat.postMessage": "1 per second",  # per channel
    "chat.update": _TIER3,
}
# A call made while Slack waits for Roster's answer (a slash command, a modal's submit: 3 s in all):
# a short timeout and no sleeping on a 429.
INTERACTIVE_TIMEOUT = 1.2
_CODE = re.compile(r"^[a-z0-9_.]{1,60}$")
_SCOPES = re.compile(r"^[a-z0-9_.:,]{1,300}$")


def advice_for(code: str) -> str:
    """What an admin does about the error of this code (REAUTH_HELP, SCOPE_HELP), or "". Chosen where
    it is shown, from the stored code, so it always reads in today's words."""
    if code in NEEDS_REAUTH_CODES:
        return REAUTH_HELP
    return SCOPE_HELP if code == "missing_scope" else ""


class SlackError(Exception):
    """A Slack call failed. `code` is Slack's error code (or ours); `message` is for people: the
    `reason`, then the `advice` an admin follows (`advice_for(code)`) when there is one."""

    permanent = True

    def __init__(self, code: str, reason: str, *, advice: str = ""):
        self.code = code
        self.reason = reason
        self.advice = advice
        self.message = f"{reason} {advice}" if advice else reason
        super().__init__(f"{code}: {self.message}")


class NeedsReauth(SlackError):
    pass


class RateLimited(SlackError):
    permanent = False

    def __init__(self, code: str, message: str, *, retry_after: float | None = None):
        super().__init__(code, message)
        self.retry_after = retry_after


class Unavailable(SlackError):
    permanent = False


class Permanent(SlackError):
    pass


def safe_code(code: object) -> str:
    """Slack's error code as we may repeat it: a short lower-case token, or "unknown"."""
    return code if isinstance(code, str) and _CODE.match(code) else "unknown"


def error_for(code: str, *, channel: str = "", needed: str = "") -> SlackError:
    """The typed error for a Slack error code (also used for the OAuth redirect's `error`)."""
    code = safe_code(code)
    if code in NEEDS_REAUTH_CODES:
        return NeedsReauth(
            code,
            f"Slack no longer accepts Roster's token ({code}): the app was removed or its token revoked.",
            advice=advice_for(code),
        )
    if code == "ratelimited":
        return RateLimited(code, "Slack is rate-limiting Roster; it will try again.")
    if code in {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}:
        return Unavailable(code, "Slack had a problem answering; Roster will try again.")
    template = PERMANENT_MESSAGES.get(code)
    if template is None:
        return Permanent(code, f"Slack refused the request ({code}).")
    return Permanent(
        code,
        template.format(channel=channel or "(unknown)", needed=f" ({needed})" if needed else ""),
        advice=advice_for(code),
    )


class _CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (sleeps Retry-After, then retries), but only for short waits."""

    def __init__(self, *, max_retry_count: int, max_wait: float):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: RetryRequest,
        response: RetryResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        wait = retry_after.seconds(headers.get("retry-after"))
        return wait is not None and wait <= self.max_wait


@dataclass(frozen=True)
class Install:
    """What oauth.v2.access returns for a bot install (the token stays in memory until saved)."""

    access_token: str
    scopes: list[str]
    bot_user_id: str
    app_id: str
    team_id: str
    team_name: str
    enterprise_id: str


@dataclass(frozen=True)
class SlackPerson:
    """users.info: who a Slack user is (`email` empty without users:read.email, or for a bot)."""

    id: str
    email: str
    name: str
    tz: str
    active: bool


@dataclass(frozen=True)
class Identity:
    """auth.test: who the token acts as."""

    team_id: str
    team_name: str
    url: str
    user_id: str
    user: str
    bot_id: str
    enterprise_id: str


class SlackClient:
    """One workspace's bot token. `SlackClient.anonymous()` for oauth.v2.access (no token).

    `interactive=True` while Slack waits for Roster's answer (3 s): INTERACTIVE_TIMEOUT a call, and
    a 429 is raised at once instead of slept on."""

    def __init__(self, token: str | None, *, team_id: str | None = None, interactive: bool = False):
        self._team_id = team_id or None
        handlers: list[RetryHandler] = [ConnectionErrorRetryHandler(max_retry_count=0 if interactive else 1)]
        if not interactive:
            handlers.append(
                _CappedRateLimitRetryHandler(
                    max_retry_count=settings.SLACK_RATE_LIMIT_RETRIES, max_wait=settings.SLACK_MAX_RETRY_WAIT
                )
            )
        self._web = WebClient(
            token=token,
            base_url=settings.SLACK_API_URL,
            timeout=min(settings.SLACK_TIMEOUT, INTERACTIVE_TIMEOUT) if interactive else settings.SLACK_TIMEOUT,
            logger=_SDK_LOG,
            retry_handlers=handlers,
        )

    @classmethod
    def anonymous(cls) -> SlackClient:
        return cls(None)

    def pace(self, api: str, *, channel: str = "") -> None:
        """Count one call of `api` (e.g. "conversations.setTopic") in this workspace's window of
        Slack's limit for it (LIMITS; per channel for chat.postMessage), shared by every process
        through config.limits. When the window is full nothing is sent: RateLimited("paced") says
        in `retry_after` when it frees. Never sleeps. Each call does this itself; a caller uses it
        to wait for its turn before the calls that lead up to one (then passes `counted=True`)."""
        rate = LIMITS.get(api)
        if not (rate and self._team_id and settings.SLACK_PACING):
            return
        refused = limits.hit(rate, "slack", self._team_id, api, channel if api == "chat.postMessage" else "")
        if refused:
            raise RateLimited(
                "paced",
                f"Roster keeps to Slack's limit of {rate} {api} calls; it will try again when the limit allows.",
                retry_after=refused.retry_after,
            )

    # --- the one place a call is made and its failure mapped ----------------------------------

    def _call(
        self, method: Callable[..., SlackResponse], *, where: str = "", counted: bool = False, **params: Any
    ) -> dict:
        name = getattr(method, "__name__", "call")
        if not counted:
            self.pace(name.replace("_", "."), channel=where)
        try:
            response = method(**{k: v for k, v in params.items() if v is not None})
        except SlackApiError as exc:
            raise _mapped(exc.response, channel=where) from None
        except SlackClientError as exc:  # a malformed request or answer, not Slack's refusal
            log.warning("Slack %s failed: %s", name, type(exc).__name__)
            raise Unavailable("bad_response", "Slack answered with something Roster could not read.") from None
        except (OSError, TimeoutError) as exc:  # URLError, connection reset, socket timeout
            raise _unreachable(name, exc) from None
        data = response.data
        if not isinstance(data, dict):
            raise Unavailable("bad_response", "Slack answered with something Roster could not read.")
        return data

    def _call_unless(self, nobody: set[str], method: Callable[..., SlackResponse], **params: Any) -> dict | None:
        """`_call`, but None when Slack refuses it with one of the `nobody` codes (no such user)."""
        try:
            return self._call(method, **params)
        except Permanent as error:
            if error.code in nobody:
                return None
            raise

    # --- OAuth --------------------------------------------------------------------------------

    def oauth_v2_access(self, *, client_id: str, client_secret: str, code: str, redirect_uri: str) -> Install:
        data = self._call(
            self._web.oauth_v2_access,
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
        )
        token = data.get("access_token")
        if not isinstance(token, str) or not token or data.get("token_type", "bot") != "bot":
            raise Permanent("no_bot_token", "Slack did not return a bot token. Try Add to Slack again.")
        team = data.get("team") or {}
        enterprise = data.get("enterprise") or {}
        return Install(
            access_token=token,
            scopes=[s for s in str(data.get("scope") or "").split(",") if s],
            bot_user_id=str(data.get("bot_user_id") or ""),
            app_id=str(data.get("app_id") or ""),
            team_id=str(team.get("id") or ""),
            team_name=str(team.get("name") or ""),
            enterprise_id=str(enterprise.get("id") or ""),
        )

    def auth_test(self) -> Identity:
        data = self._call(self._web.auth_test)
        return Identity(
            team_id=str(data.get("team_id") or ""),
            team_name=str(data.get("team") or ""),
            url=str(data.get("url") or ""),
            user_id=str(data.get("user_id") or ""),
            user=str(data.get("user") or ""),
            bot_id=str(data.get("bot_id") or ""),
            enterprise_id=str(data.get("enterprise_id") or ""),
        )

    def auth_revoke(self) -> bool:
        return bool(self._call(self._web.auth_revoke).get("revoked"))

    def apps_uninstall(self, *, client_id: str, client_secret: str) -> None:
        """Remove the app from this token's workspace (every token of the app there stops working),
        with the operator's Slack app credentials, sent in the POST body."""
        self._call(self._web.apps_uninstall, client_id=client_id, client_secret=client_secret)

    # --- people and user groups ---------------------------------------------------------------

    def users_lookup_by_email(self, email: str) -> str | None:
        """The Slack user id for an email address, or None when no (active) user has it."""
        data = self._call_unless({"users_not_found"}, self._web.users_lookupByEmail, email=email)
        user = (data or {}).get("user") or {}
        if user.get("deleted") or user.get("is_bot"):
            return None
        return str(user.get("id") or "") or None

    def users_info(self, user: str) -> SlackPerson | None:
        """Who a Slack user id is (users:read; the email needs users:read.email), or None when Slack
        knows no such user."""
        data = self._call_unless({"user_not_found", "user_not_visible"}, self._web.users_info, user=user)
        if data is None:
            return None
        person = data.get("user") or {}
        profile = person.get("profile") or {}
        return SlackPerson(
            id=str(person.get("id") or user),
            email=str(profile.get("email") or ""),
            name=str(profile.get("real_name") or person.get("real_name") or person.get("name") or ""),
            tz=str(person.get("tz") or ""),
            active=not (person.get("deleted") or person.get("is_bot")),
        )

    # --- modals -------------------------------------------------------------------------------

    def views_open(self, *, trigger_id: str, view: dict) -> str:
        """Open a modal for the person who clicked or typed (`trigger_id` lives 3 s). Returns the view id."""
        data = self._call(self._web.views_open, trigger_id=trigger_id, view=view)
        return str((data.get("view") or {}).get("id") or "")

    def usergroups_list(self, *, include_disabled: bool = False) -> list[dict]:
        data = self._call(self._web.usergroups_list, include_disabled=include_disabled, team_id=self._team_id)
        return list(data.get("usergroups") or [])

    def usergroups_create(self, *, name: str, handle: str) -> dict:
        data = self._call(self._web.usergroups_create, name=name, handle=handle, team_id=self._team_id)
        return dict(data.get("usergroup") or {})

    def usergroups_users_update(self, *, usergroup: str, users: Iterable[str]) -> dict:
        users = list(users)
        if not users:  # Slack refuses an empty list: say so without a call
            raise error_for("no_users_provided")
        data = self._call(self._web.usergroups_users_update, usergroup=usergroup, users=users, team_id=self._team_id)
        return dict(data.get("usergroup") or {})

    def usergroups_disable(self, *, usergroup: str) -> None:
        """Disable a user group (a gap, when the rotation's admin chose that)."""
        self._call(self._web.usergroups_disable, usergroup=usergroup, team_id=self._team_id)

    def usergroups_enable(self, *, usergroup: str) -> None:
        self._call(self._web.usergroups_enable, usergroup=usergroup, team_id=self._team_id)

    # --- channels and messages ----------------------------------------------------------------

    def conversations_list(self, *, include_private: bool = True) -> list[dict]:
        """Channels for a picker (not archived), every page up to MAX_PAGES."""
        types = "public_channel,private_channel" if include_private else "public_channel"
        channels: list[dict] = []
        cursor = None
        for _ in range(MAX_PAGES):
            data = self._call(
                self._web.conversations_list,
                types=types,
                exclude_archived=True,
                limit=200,
                cursor=cursor,
                team_id=self._team_id,
            )
            channels += data.get("channels") or []
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return channels

    def conversations_info(self, *, channel: str) -> dict:
        return dict(self._call(self._web.conversations_info, channel=channel, where=channel).get("channel") or {})

    def conversations_set_topic(self, *, channel: str, topic: str, counted: bool = False) -> str:
        """Set a channel's topic (`counted`: its call was counted by `pace` already)."""
        data = self._call(
            self._web.conversations_setTopic, channel=channel, topic=topic, where=channel, counted=counted
        )
        return str(((data.get("channel") or {}).get("topic") or {}).get("value", topic))

    def chat_post_message(self, *, channel: str, text: str, blocks: list[dict] | None = None) -> str:
        """Post `text` (mrkdwn; with `blocks`, the notification's fallback) to a channel or, with a
        user id, as a direct message. Returns the ts."""
        data = self._call(self._web.chat_postMessage, channel=channel, text=text, blocks=blocks, where=channel)
        return str(data.get("ts") or "")

    def chat_update(self, *, channel: str, ts: str, text: str, blocks: list[dict] | None = None) -> str:
        """Replace the app's message `ts` in `channel` (a channel id) with `text` and `blocks` (an
        empty list removes the blocks, buttons included). Returns the ts."""
        data = self._call(self._web.chat_update, channel=channel, ts=ts, text=text, blocks=blocks, where=channel)
        return str(data.get("ts") or ts)


def _unreachable(what: str, exc: Exception) -> Unavailable:
    log.warning("Slack %s could not be reached: %s", what, type(exc).__name__)
    return Unavailable("unreachable", "Slack could not be reached; Roster will try again.")


def _try_again(status: int, headers: dict | None) -> SlackError:
    """Slack's 429 (with how long to wait) or another HTTP error than Slack's JSON refusal."""
    if status == 429:
        wait = retry_after.seconds({str(k).lower(): v for k, v in (headers or {}).items()}.get("retry-after"))
        return RateLimited("ratelimited", "Slack is rate-limiting Roster; it will try again.", retry_after=wait)
    return Unavailable(f"http_{status}", f"Slack answered with an error (HTTP {status}); Roster will try again.")


def _mapped(response: SlackResponse, *, channel: str) -> SlackError:
    data = response.data if isinstance(response.data, dict) else {}
    if response.status_code != 200 or not data:
        return _try_again(response.status_code, response.headers)
    needed = data.get("needed")
    needed = needed if isinstance(needed, str) and _SCOPES.match(needed) else ""
    return error_for(str(data.get("error") or "unknown"), channel=channel, needed=needed)


def respond(response_url: str, message: dict) -> None:
    """Answer a slash command or a button through its `response_url` (a message, e.g. ephemeral).
    Only a URL under SLACK_HOOKS_URL (Slack's) is called; the URL itself is never logged."""
    if not response_url.startswith(settings.SLACK_HOOKS_URL):
        raise Permanent("bad_response_url", "The answer's address is not Slack's.")
    hook = WebhookClient(
        response_url,
        timeout=settings.SLACK_TIMEOUT,
        logger=_SDK_LOG,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )
    try:
        response = hook.send_dict(message)
    except (OSError, TimeoutError, SlackClientError) as exc:
        raise _unreachable("response_url", exc) from None
    status = response.status_code
    if status == 429 or status >= 500:
        raise _try_again(status, response.headers)
    if status >= 400:  # expired (30 minutes, 5 uses) or unknown: nobody is waiting for it any more
        raise Permanent(
            safe_code(str(response.body or "").strip()) if response.body else f"http_{status}",
            "Slack no longer accepts this answer (the command or click is too old).",
        )


def authorize_url(*, client_id: str, scopes: Iterable[str], redirect_uri: str, state: str) -> str:
    """Slack's "Add to Slack" URL (URL-encoded; slack_sdk's AuthorizeUrlGenerator does not encode)."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": ",".join(scopes),
            "user_scope": "",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{settings.SLACK_AUTHORIZE_URL}?{query}"
