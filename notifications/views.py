"""The rotation page's Slack and Email reminders sections: thin POST views that redirect back; the
unsubscribe page of reminder emails (no sign-in)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_org_for_admin, get_org_for_member
from accounts.actor import Actor
from rotations.models import Rotation
from rotations.selectors import rotation_for
from rotations.views import render_detail

from . import email, registry
from .forms import NewUserGroupForm
from .models import RotationSlack
from .slack import page as slack_page
from .slack import sending as slack_sending
from .slack import settings as slack_settings

NEW_GROUP_DIALOG = "slack-new-group"
# The service's field → the form's.
NEW_GROUP_FIELDS = {slack_settings.NEW_GROUP_HANDLE: "handle", slack_settings.NEW_GROUP_NAME: "name"}
# The form's fields, named as the settings; an empty field turns that part off.
FORM_FIELDS = (*slack_settings.TEXT_FIELDS, "gap_behaviour")


def _hours(value: str) -> int | str | None:
    """The form's reminder hours: empty turns the reminder off; anything not a number is passed on
    as it is, for the service to refuse with its reason."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() and len(value) < 6 else value


def _rotation(request: HttpRequest, rotation_id: int) -> Rotation:
    return rotation_for(get_org_for_admin(request), rotation_id, now=timezone.now())


def _back(rotation: Rotation) -> HttpResponse:
    return redirect(reverse("rotations:detail", args=[rotation.pk]) + "#slack-title")


@login_required
@require_POST
def save(request: HttpRequest, rotation_id: int) -> HttpResponse:
    rotation = _rotation(request, rotation_id)
    changes: dict = {field: request.POST.get(field, "") for field in FORM_FIELDS if field in request.POST}
    if "reminder_hours" in request.POST:
        changes["reminder_hours"] = _hours(request.POST["reminder_hours"])
    if "permanent_member_ids" in request.POST:
        changes["permanent_member_ids"] = [
            v for v in request.POST["permanent_member_ids"].replace(",", " ").split() if v
        ]
    try:
        slack_settings.rotation_slack_update(rotation=rotation, actor=Actor.of_request(request), changes=changes)
    except slack_settings.SlackSettingsError as error:
        messages.error(request, f"Slack settings not saved: {error.message}")
        typed = slack_settings.rotation_slack_get(rotation) or RotationSlack(rotation=rotation)
        for field, value in changes.items():
            setattr(typed, field, value)
        return render_detail(request, rotation, slack_typed=typed, slack_error=error)
    slack_page.match_members(rotation)
    messages.success(request, "Slack settings saved.")
    return _back(rotation)


@login_required
@require_POST
def test_message(request: HttpRequest, rotation_id: int) -> HttpResponse:
    rotation = _rotation(request, rotation_id)
    try:
        slack_sending.send_test_message(rotation=rotation, actor=Actor.of_request(request))
    except registry.SendError as error:
        messages.error(request, f"Test message not sent: {error.reason}")
    else:
        messages.success(request, "Test message sent to Slack.")
    return _back(rotation)


# --- email reminders -----------------------------------------------------------------------------


def _reminder_changes(request: HttpRequest) -> dict:
    """The section's form: a checkbox and hours for the reminder, a checkbox for moved shifts."""
    hours: int | str | None = None
    if request.POST.get("reminder_on"):
        hours = _hours(request.POST.get("reminder_hours", ""))
        if hours is None:  # checked with no hours: refused, with why
            hours = ""
    return {"reminder_hours": hours, "shift_moved": bool(request.POST.get("shift_moved"))}


def _reminders_saved(request: HttpRequest, rotation: Rotation, save, *, done: str, failed: str) -> HttpResponse:
    """Run `save()`; flash `done`, or `failed` with the service's reason; back to the section."""
    try:
        save()
    except email.ReminderError as error:
        messages.error(request, f"{failed}: {error.message}")
    else:
        messages.success(request, done)
    return redirect(reverse("rotations:detail", args=[rotation.pk]) + "#reminders-title")


@login_required
@require_POST
def reminders_save(request: HttpRequest, rotation_id: int) -> HttpResponse:
    """A signed-in person's own email reminders for this rotation (by their account email)."""
    rotation = rotation_for(get_org_for_member(request), rotation_id, now=timezone.now())
    changes = {"follow_default": True} if request.POST.get("follow_default") else _reminder_changes(request)
    address, actor = getattr(request.user, "email", ""), Actor.of_request(request)
    return _reminders_saved(
        request,
        rotation,
        lambda: email.reminder_set(rotation=rotation, email=address, actor=actor, changes=changes),
        done="Your email reminders are saved.",
        failed="Reminders not saved",
    )


@login_required
@require_POST
def reminders_defaults(request: HttpRequest, rotation_id: int) -> HttpResponse:
    """Admins: what people who made no choice of their own get."""
    rotation = _rotation(request, rotation_id)
    changes, actor = _reminder_changes(request), Actor.of_request(request)
    return _reminders_saved(
        request,
        rotation,
        lambda: email.defaults_set(rotation=rotation, actor=actor, changes=changes),
        done="The rotation's reminder defaults are saved.",
        failed="Defaults not saved",
    )


@csrf_exempt  # the POST comes from a mail client (RFC 8058 one-click) or this page, without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST unsubscribes at once."""
    found = email.unsubscribe_read(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"state": "unknown"}, status=404)
    rotation, address = found
    state = "confirm"
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        email.unsubscribe(rotation=rotation, email=address, via="one-click" if one_click else "unsubscribe page")
        state = "done"
    return render(request, "notifications/unsubscribe.html", {"state": state, "rotation": rotation, "email": address})


@login_required
@require_POST
def create_usergroup(request: HttpRequest, rotation_id: int) -> HttpResponse:
    """ "Create @handle": on a refusal the page comes back with the dialog open and Slack's words beside the field."""
    rotation = _rotation(request, rotation_id)
    form = NewUserGroupForm(request.POST)
    if form.is_valid():
        try:
            slack_settings.rotation_slack_create_usergroup(
                rotation=rotation,
                actor=Actor.of_request(request),
                handle=form.cleaned_data["handle"],
                name=form.cleaned_data["name"],
            )
        except slack_settings.SlackSettingsError as error:
            form.add_error(NEW_GROUP_FIELDS.get(error.field or "", "handle"), error.message)
        else:
            handle = form.cleaned_data["handle"].strip().removeprefix("@").lower()
            messages.success(request, f"Created @{handle} in Slack; Roster keeps its members to whoever is on call.")
            return _back(rotation)
    return render_detail(request, rotation, slack_group_form=form, open_dialog=NEW_GROUP_DIALOG)


@login_required
@require_POST
def preview(request: HttpRequest, rotation_id: int) -> JsonResponse:
    """The Slack section's preview as the admin types (static/js/slack-preview.js): the templates
    posted (or the default texts, for a chosen channel), filled with sample values, or why one would
    not be saved. Saves nothing."""
    _rotation(request, rotation_id)
    return JsonResponse(
        {"previews": slack_page.previews({field: request.POST.get(field) for field in slack_page.PREVIEW_INPUTS})}
    )
