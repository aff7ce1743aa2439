"""JSON API: GET /api/rotations/<id>/notifications (members; a `read` token); a person's own email
reminders (GET/PATCH /api/rotations/<id>/reminders/me) and the rotation's defaults
(GET/PATCH /api/rotations/<id>/reminders/defaults, PATCH by admins)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from accounts.actor import Actor
from accounts.api import ApiError, api_actor, api_view, json_body
from integrations.slack.selectors import get_connection
from rotations import hooks
from rotations.models import Rotation

from . import email, registry, selectors
from .models import Notification, RotationSlack
from .slack import page as slack_page
from .slack import settings as slack_settings

API_LIMIT = 50


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def rotation_notifications(request, rotation_id: int):
    rotation = get_object_or_404(Rotation, organization=request.organization, pk=rotation_id)
    rows = selectors.recent_notifications(rotation, limit=API_LIMIT)
    return JsonResponse({"notifications": [notification_json(n) for n in rows]})


# --- email reminders -----------------------------------------------------------------------------

REMINDER_KEYS = {"reminderHours": "reminder_hours", "shiftMoved": "shift_moved", "followDefault": "follow_default"}


def _rotation(request, rotation_id: int) -> Rotation:
    return get_object_or_404(Rotation, organization=request.organization, pk=rotation_id)


def _reminder_changes(request, allowed: tuple[str, ...]) -> dict:
    body = json_body(request)
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise ApiError(400, "invalid_request", f"Unknown key “{unknown[0][:40]}”: use {', '.join(allowed)}.")
    return {REMINDER_KEYS[k]: v for k, v in body.items()}


def _refused(error: email.ReminderError) -> ApiError:
    names = {v: k for k, v in REMINDER_KEYS.items()}
    field = names.get(error.field, error.field)
    return ApiError(400, "invalid_request", f"{field}: {error.message}", extra={"errors": {field: [error.message]}})


def my_reminders_json(mine: dict) -> dict:
    return {
        "email": mine["email"],
        "reminderHours": mine["reminder_hours"],
        "shiftMoved": mine["shift_moved"],
        "followsDefault": mine["follows_default"],
        "defaults": {"reminderHours": mine["default_reminder_hours"], "shiftMoved": mine["default_shift_moved"]},
    }


@api_view(["GET", "PATCH"], admin_methods=(), scopes={"GET": "read", "PATCH": "write"})
def my_reminders(request, rotation_id: int):
    rotation = _rotation(request, rotation_id)
    token = getattr(request, "api_token", None)
    user = token.created_by if token is not None else request.user
    if user is None or not user.email:
        raise ApiError(
            409, "no_person", "This API token was created by an operator and acts for no person: sign in instead."
        )
    if request.method == "GET":
        return JsonResponse(my_reminders_json(email.mine(rotation, user.email)))
    changes = _reminder_changes(request, ("reminderHours", "shiftMoved", "followDefault"))
    try:
        mine = email.reminder_set(
            rotation=rotation, email=user.email, actor=api_actor(request), changes=changes, via="API"
        )
    except email.ReminderError as error:
        raise _refused(error) from error
    return JsonResponse(my_reminders_json(mine))


@api_view(["GET", "PATCH"], admin_methods=("PATCH",), scopes={"GET": "read"})
def reminder_defaults(request, rotation_id: int):
    rotation = _rotation(request, rotation_id)
    if request.method == "PATCH":
        try:
            email.defaults_set(
                rotation=rotation,
                actor=api_actor(request),
                changes=_reminder_changes(request, ("reminderHours", "shiftMoved")),
            )
        except email.ReminderError as error:
            raise _refused(error) from error
    defaults = email.defaults_get(rotation)
    return JsonResponse({"reminderHours": defaults.reminder_hours, "shiftMoved": defaults.shift_moved})


# --- the rotation JSON's "slack" key (registered with rotations.hooks.register_json_field) -------

# JSON key → setting; "messageTemplates" holds three of them.
SLACK_KEYS = {
    "userGroupId": "usergroup_id",
    "topicChannelId": "topic_channel_id",
    "topicTemplate": "topic_template",
    "messageChannelId": "message_channel_id",
    "reminderHours": "reminder_hours",
    "permanentMemberIds": "permanent_member_ids",
    "gapBehaviour": "gap_behaviour",
}
TEMPLATE_KEYS = {"onDuty": "on_duty_template", "offDuty": "off_duty_template", "reminder": "reminder_template"}
READ_ONLY = ("linked", "total", "unlinked")
CREATE_KEY = "createUserGroup"  # write-only: {"handle", "name"?} makes a new group in Slack and binds it
JSON_NAMES = (
    {v: f"slack.{k}" for k, v in SLACK_KEYS.items()}
    | {v: f"slack.messageTemplates.{k}" for k, v in TEMPLATE_KEYS.items()}
    | {
        slack_settings.NEW_GROUP_HANDLE: f"slack.{CREATE_KEY}.handle",
        slack_settings.NEW_GROUP_NAME: f"slack.{CREATE_KEY}.name",
    }
)
STATUS = {"slack_refused": 409, "slack_unavailable": 503}


def slack_json(rotation: Rotation) -> dict | None:
    """The rotation's Slack settings, every key present (null when unset); null when Slack is not connected."""
    return slack_json_many([rotation])[rotation.pk]


def slack_json_many(rotations: list[Rotation]) -> dict[int, dict | None]:
    """`slack_json` of many rotations of one organization in a constant number of queries."""
    if not rotations:
        return {}
    connection = get_connection(rotations[0].organization_id)
    if connection is None:
        return {r.pk: None for r in rotations}
    configs = slack_settings.rotation_slack_many(rotations)
    counts = slack_page.linked_many(rotations, connection)
    return {r.pk: _slack_object(configs[r.pk], counts[r.pk]) for r in rotations}


def _slack_object(config: RotationSlack, members: slack_page.Linked) -> dict:
    return {
        **{key: getattr(config, field) or None for key, field in SLACK_KEYS.items()},
        "permanentMemberIds": list(config.permanent_member_ids),
        "gapBehaviour": config.gap_behaviour,
        "messageTemplates": {key: getattr(config, field) or None for key, field in TEMPLATE_KEYS.items()},
        "linked": members.linked,
        "total": members.total,
        "unlinked": members.unlinked,
    }


def _refuse(message: str, field: str = "slack") -> hooks.JsonFieldError:
    return hooks.JsonFieldError(message, field=field)


def slack_patch(rotation: Rotation, value: object, actor: Actor | None) -> None:
    """PATCH `slack`: any subset of its keys; null turns a part off (`"slack": null` turns all off)."""
    if get_connection(rotation.organization_id) is None:
        raise hooks.JsonFieldError(
            "Connect Slack first (Settings → Integrations).", field="slack", code="not_connected", status=409
        )
    if value is None:
        value = {key: None for key in SLACK_KEYS} | {"messageTemplates": None}
    if not isinstance(value, dict):
        raise _refuse("slack must be an object (or null).")
    changes: dict = {}
    create = value.get(CREATE_KEY)
    if create is not None and (
        not isinstance(create, dict) or not set(create) <= {"handle", "name"} or "userGroupId" in value
    ):
        raise _refuse(
            f"slack.{CREATE_KEY} must be {{handle, name?}}, without slack.userGroupId.", f"slack.{CREATE_KEY}"
        )
    for key, given in value.items():
        if key == CREATE_KEY:
            continue
        if key in SLACK_KEYS:
            changes[SLACK_KEYS[key]] = given
        elif key == "messageTemplates":
            templates = {k: None for k in TEMPLATE_KEYS} if given is None else given
            if not isinstance(templates, dict) or not set(templates) <= set(TEMPLATE_KEYS):
                raise _refuse(
                    "slack.messageTemplates must be {onDuty, offDuty, reminder} (or null).", "slack.messageTemplates"
                )
            changes |= {TEMPLATE_KEYS[k]: v for k, v in templates.items()}
        elif key not in READ_ONLY:
            raise _refuse(f"slack has no key “{key[:40]}”.", f"slack.{key[:40]}")
    try:
        slack_settings.rotation_slack_update(rotation=rotation, actor=actor, changes=changes)
        if create is not None:  # after the other settings passed: a refused PATCH creates nothing in Slack
            slack_settings.rotation_slack_create_usergroup(
                rotation=rotation, actor=actor, handle=create.get("handle") or "", name=create.get("name") or ""
            )
    except slack_settings.SlackSettingsError as error:
        raise hooks.JsonFieldError(
            error.message,
            field=JSON_NAMES.get(error.field, "slack"),
            code=error.code,
            status=STATUS.get(error.code, 400),
        ) from error


def install() -> None:
    hooks.register_json_field(
        hooks.JsonField("slack", slack_json, slack_patch, read_many=slack_json_many, write_scope="admin")
    )


def notification_json(n: Notification) -> dict:
    return {
        "id": n.pk,
        "channel": n.channel,
        "target": n.target,
        "kind": n.kind,
        "kindLabel": registry.kind(n.kind).label,
        "handoffId": n.handoff_id,
        "sourceAt": n.source_at.isoformat(),
        "status": n.status,
        "attempts": n.attempts,
        "nextAttemptAt": n.next_attempt_at.isoformat() if n.status == Notification.Status.PENDING else None,
        "lastError": n.last_error or None,
        "sentAt": n.sent_at.isoformat() if n.sent_at else None,
        "createdAt": n.created_at.isoformat(),
    }
