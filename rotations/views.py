"""Rotations pages: thin views over selectors.py (reads) and services.py (writes). Every write is a
POST form that redirects back; members see everything, only admins change anything."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_org_for_admin, get_org_for_member, is_admin
from accounts.dialogs import confirmed
from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import hooks, selectors, services
from .calendar import views as calendar_views
from .forms import (
    TIME_ZONES,
    MemberForm,
    OverrideForm,
    RotationCreateForm,
    RotationForm,
    focus_first_error,
    show_error,
)

SCHEDULES_PER_PAGE = 25
# The rotation page holds three forms: their fields' ids must differ (the settings form keeps id_*).
MEMBER_IDS, OVERRIDE_IDS = "member_%s", "override_%s"


def _summaries(rotations, now):
    rows = []
    for rotation in rotations:
        slots = selectors.timeline(rotation, since=now, until=now + dt.timedelta(days=selectors.UPCOMING_DAYS))
        upcoming = selectors.upcoming_handoffs(now=now, slots=slots)
        rows.append(
            {
                "rotation": rotation,
                "on_call": selectors.on_call_now(rotation, now=now, slots=slots),
                "next_handoff": upcoming[0] if upcoming else None,
            }
        )
    return rows


@login_required
@require_GET
def index(request):
    org = get_org_for_member(request)
    now = timezone.now()
    rotations = selectors.rotations_for(org, now=now)
    return render(
        request,
        "rotations/index.html",
        {"organization": org, "rows": _summaries(rotations, now), "can_manage": is_admin(request), "now": now},
    )


@login_required
def create(request):
    org = get_org_for_admin(request)
    form = RotationCreateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:  # the form's fields are the service's arguments
                rotation = services.rotation_create(organization=org, **form.cleaned_data)
            except services.RotationError as error:
                show_error(form, error)
            else:
                messages.success(request, f"Rotation “{rotation.name}” created.")
                return redirect("rotations:detail", rotation.pk)
        else:
            focus_first_error(form)
    return render(request, "rotations/create.html", {"form": form, "time_zones": TIME_ZONES})


def render_detail(request, rotation, **forms):
    """The rotation page (`rotation` as selectors.rotation_for returns it). A form that failed is
    passed in (bound, errors beside its fields; apps above pass theirs and `open_dialog`) and replaces
    the blank one, so the page re-renders with the person's values kept."""
    now = timezone.now()
    slots = selectors.timeline(rotation, since=now, until=now + dt.timedelta(days=selectors.UPCOMING_DAYS))
    can_manage = is_admin(request)
    context = {
        "rotation": rotation,
        "members": list(rotation.members.all()),
        "on_call": selectors.on_call_now(rotation, now=now, slots=slots),
        "unmatched": selectors.unmatched_people(slots),
        "handoffs": selectors.handoff_history(rotation),
        "sync_runs": selectors.sync_history(rotation),
        "form": RotationForm(rotation=rotation),
        "member_form": MemberForm(auto_id=MEMBER_IDS),
        "override_form": OverrideForm(rotation=rotation, auto_id=OVERRIDE_IDS),
        "skip_error": "",
        "time_zones": TIME_ZONES,
        "can_manage": can_manage,
        "connected": can_manage and get_connection(rotation.organization) is not None,
        "now": now,
        **forms,
    }
    if rotation.is_bound:
        context["days"] = selectors.bound_days(rotation, slots, now=now)
    else:
        context["turns"] = selectors.native_turns(rotation, now=now)
    context.update(calendar_views.section_context(request, rotation=rotation))  # the "Calendar" section
    context.update(hooks.detail_context(rotation))  # sections of apps above rotations (notifications)
    return render(request, "rotations/detail.html", context)


@login_required
@require_GET
def detail(request, rotation_id: int):
    org = get_org_for_member(request)
    return render_detail(request, selectors.rotation_for(org, rotation_id, now=timezone.now()))


def _admin_rotation(request, rotation_id):
    org = get_org_for_admin(request)
    return selectors.rotation_for(org, rotation_id, now=timezone.now())


def _back(rotation_id, anchor: str = ""):
    return redirect(reverse("rotations:detail", args=[rotation_id]) + (f"#{anchor}" if anchor else ""))


def rotation_action(anchor: str = "", confirm: str = ""):
    """A POST button on a rotation's page (admins): `action(request, rotation, **ids)` does it and
    returns what the page says; a RotationError is said as an error. Back to the page at `anchor`.
    With `confirm` (its dialog's id, formatted with the ids), only once the box is ticked."""

    def decorator(action):
        @login_required
        @require_POST
        @functools.wraps(action)
        def view(request, rotation_id: int, **ids):
            rotation = _admin_rotation(request, rotation_id)

            def act():
                try:
                    messages.success(request, action(request, rotation, **ids))
                except services.RotationError as error:
                    messages.error(request, error.message)
                return _back(rotation.pk, anchor)

            return (
                confirmed(request, confirm.format(**ids), act, functools.partial(render_detail, request, rotation))
                if confirm
                else act()
            )

        return view

    return decorator


def _form_post(
    request, rotation, form, *, save, form_name: str, anchor: str = "", focus_first: bool = True, shown=None
):
    """A form on a rotation's page: `save(cleaned_data)` returns what the page says, and the browser
    goes back to `anchor`; a RotationError is shown on the form. Otherwise the page again with the
    form's errors (the first one focused), for `shown` (the rotation as stored) or `rotation`."""
    if form.is_valid():
        try:
            said = save(form.cleaned_data)
        except services.RotationError as error:
            show_error(form, error)
        else:
            messages.success(request, said)
            return _back(rotation.pk, anchor)
    elif focus_first:
        focus_first_error(form)
    return render_detail(request, shown() if shown else rotation, **{form_name: form})


@login_required
@require_POST
def edit(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)

    def save(data):
        services.rotation_update(rotation=rotation, **{f: data[f] for f in services.EDITABLE_FIELDS if f in data})
        return "Rotation saved."

    form = RotationForm(request.POST, rotation=rotation)
    return _form_post(
        request, rotation, form, save=save, form_name="form", shown=lambda: _admin_rotation(request, rotation_id)
    )


@login_required
@require_POST
def delete(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)

    def act():
        services.rotation_delete(rotation=rotation)
        messages.success(request, f"Rotation “{rotation.name}” deleted.")
        return redirect("rotations:index")

    return confirmed(request, "rotation-delete", act, functools.partial(render_detail, request, rotation))


@login_required
@require_POST
def calendar_revoke(request, rotation_id: int):
    rotation = selectors.rotation_for(get_org_for_member(request), rotation_id, now=timezone.now())
    page = functools.partial(render_detail, request, rotation)
    return calendar_views.revoke(request, rotation=rotation, back=_back(rotation_id, "calendar-title"), page=page)


@login_required
@require_POST
def member_add(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)

    def save(data):
        return f"{services.member_add(rotation=rotation, name=data['name'], email=data['email']).name} added."

    form = MemberForm(request.POST, auto_id=MEMBER_IDS)
    return _form_post(
        request, rotation, form, save=save, form_name="member_form", anchor="members-title", focus_first=False
    )


@rotation_action("members-title", confirm="member-remove-{member_id}")
def member_remove(request, rotation, member_id: int):
    services.member_remove(rotation=rotation, member_id=member_id)
    return "Member removed."


@login_required
@require_POST
def skip(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    try:
        turn_start = parse_datetime(request.POST.get("turn_start", ""))
    except ValueError:  # well-formed but impossible, e.g. month 13
        turn_start = None
    if turn_start is None:
        return render_detail(request, rotation, skip_error="Choose a turn to skip.")
    try:
        services.skip_create(rotation=rotation, turn_start=turn_start)
    except services.RotationError as error:
        return render_detail(request, rotation, skip_error=error.message)
    messages.success(request, "Turn skipped.")
    return _back(rotation.pk, "timeline-title")


@rotation_action("timeline-title")
def skip_delete(request, rotation, skip_id: int):
    if services.skip_delete(rotation=rotation, skip_id=skip_id):
        return "Skip undone: the turn is back with its person."
    return services.SKIP_GONE


@login_required
@require_POST
def override_add(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)

    def save(data):
        start, end = (timezone.make_aware(timezone.make_naive(data[k]), rotation.tz) for k in ("start", "end"))
        made = services.override_create(rotation=rotation, member_id=data["member"], start=start, end=end)
        other_day = f" ({date_format(end, 'D j M')})" if end.date() != start.date() else ""
        return f"Override added: {made.member.name} covers {date_format(start, 'D j M H:i')}–{date_format(end, 'H:i T')}{other_day}."

    form = OverrideForm(request.POST, rotation=rotation, auto_id=OVERRIDE_IDS)
    return _form_post(request, rotation, form, save=save, form_name="override_form", anchor="timeline-title")


@rotation_action("timeline-title", confirm="override-remove-{override_id}")
def override_delete(request, rotation, override_id: int):
    if services.override_delete(rotation=rotation, override_id=override_id):
        return "Override removed."
    return services.OVERRIDE_GONE


@login_required
@require_GET
def schedules(request, rotation_id: int):
    """The schedule picker: PagerDuty's schedules (classic and shift-based) whose name matches the
    search, sorted by name, SCHEDULES_PER_PAGE at a time."""
    rotation = _admin_rotation(request, rotation_id)
    query = request.GET.get("q", "").strip()[:100]
    connection = get_connection(rotation.organization)
    found, error = [], ""
    if connection is None:
        error = "PagerDuty is not connected: an admin can connect it in Settings → Integrations."
    else:
        try:
            found = sorted(client_for(connection).list_schedules(query), key=lambda s: s["name"].casefold())
        except pd.PagerDutyError as exc:
            error = exc.message
    page = Paginator(found, SCHEDULES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "rotations/schedules.html",
        {"rotation": rotation, "page": page, "total": len(found), "query": query, "error": error},
    )


@rotation_action()
def bind(request, rotation):
    data = request.POST
    services.rotation_bind(
        rotation=rotation,
        schedule_id=data.get("schedule_id", ""),
        schedule_name=data.get("schedule_name", ""),
        schedule_kind=data.get("schedule_kind", ""),
    )
    return "Now following the PagerDuty schedule. A sync is running."


@rotation_action(confirm="rotation-unbind")
def unbind(request, rotation):
    services.rotation_unbind(rotation=rotation)
    return "No longer following PagerDuty: the rotation uses its own cadence again."


@rotation_action()
def follow_again(request, rotation):
    """After PagerDuty was disconnected and connected again: follow the schedule followed before."""
    name = rotation.previous_pagerduty_schedule_name or rotation.previous_pagerduty_schedule_id
    services.rotation_follow_again(rotation=rotation)
    return f"Following the PagerDuty schedule “{name}” again. A sync is running."


@login_required
@require_POST
def sync_now(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    try:
        level, text = services.rotation_sync_now(rotation=rotation)
    except services.RotationError as error:
        level, text = "error", error.message
    getattr(messages, level)(request, text)
    return _back(rotation.pk)
