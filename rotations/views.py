"""Rotations pages: thin views over selectors.py (reads) and services.py (writes). Every write is a
POST form that redirects back; members see everything, only admins change anything."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_org_for_admin, get_org_for_member, is_admin
from integrations.pagerduty import client as pd
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for

from . import hooks, selectors, services
from .forms import MemberForm, OverrideForm, RotationCreateForm, RotationForm


def _summaries(rotations, now):
    rows = []
    for rotation in rotations:
        slots = selectors.timeline(rotation, since=now, until=now + dt.timedelta(days=selectors.UPCOMING_DAYS))
        upcoming = selectors.upcoming_handoffs(rotation, now=now, slots=slots)
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
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rotation = services.rotation_create(
                organization=org,
                name=data["name"],
                description=data["description"],
                time_zone=data["time_zone"],
                members=data["members"],
                cadence_unit=data["cadence_unit"],
                cadence_count=data["cadence_count"],
                handoff_time=data["handoff_time"],
                start_date=data["start_date"],
            )
        except services.RotationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Rotation “{rotation.name}” created.")
            return redirect("rotations:detail", rotation.pk)
    return render(request, "rotations/create.html", {"form": form})


@login_required
@require_GET
def detail(request, rotation_id: int):
    org = get_org_for_member(request)
    now = timezone.now()
    rotation = selectors.rotation_for(org, rotation_id, now=now)
    slots = selectors.timeline(rotation, since=now, until=now + dt.timedelta(days=selectors.UPCOMING_DAYS))
    can_manage = is_admin(request)
    native_turns = [] if rotation.is_bound else [s for s in slots if s.who is not None and not s.override][:8]
    return render(
        request,
        "rotations/detail.html",
        {
            "rotation": rotation,
            "members": list(rotation.members.all()),
            "on_call": selectors.on_call_now(rotation, now=now, slots=slots),
            "upcoming": selectors.upcoming_handoffs(rotation, now=now, slots=slots),
            "unmatched": selectors.unmatched_people(slots),
            "handoffs": selectors.handoff_history(rotation),
            "sync_runs": selectors.sync_history(rotation),
            "overrides": list(rotation.overrides.all()),
            "native_turns": native_turns,
            "form": RotationForm(instance=rotation, read_only_cadence=rotation.is_bound),
            "member_form": MemberForm(),
            "override_form": OverrideForm(rotation=rotation),
            "can_manage": can_manage,
            "connected": can_manage and get_connection(org) is not None,
            "now": now,
            **hooks.detail_context(rotation),  # sections of apps above rotations (notifications)
        },
    )


def _admin_rotation(request, rotation_id):
    org = get_org_for_admin(request)
    return selectors.rotation_for(org, rotation_id, now=timezone.now())


def _back(rotation_id):
    return redirect("rotations:detail", rotation_id)


def _run(request, action, success: str):
    try:
        action()
    except services.RotationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def edit(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    form = RotationForm(request.POST, instance=rotation, read_only_cadence=rotation.is_bound)
    if not form.is_valid():
        messages.error(request, "Not saved: " + "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(rotation.pk)
    fresh = selectors.rotation_for(rotation.organization, rotation.pk, now=timezone.now())
    changes = {f: form.cleaned_data[f] for f in services.EDITABLE_FIELDS if f in form.cleaned_data}
    _run(request, lambda: services.rotation_update(rotation=fresh, **changes), "Rotation saved.")
    return _back(rotation.pk)


@login_required
@require_POST
def delete(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    services.rotation_delete(rotation=rotation)
    messages.success(request, f"Rotation “{rotation.name}” deleted.")
    return redirect("rotations:index")


@login_required
@require_POST
def member_add(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not added: a name and an email address are needed.")
        return _back(rotation.pk)
    data = form.cleaned_data
    _run(
        request,
        lambda: services.member_add(rotation=rotation, name=data["name"], email=data["email"]),
        f"{data['name']} added.",
    )
    return _back(rotation.pk)


@login_required
@require_POST
def member_remove(request, rotation_id: int, member_id: int):
    rotation = _admin_rotation(request, rotation_id)
    _run(request, lambda: services.member_remove(rotation=rotation, member_id=member_id), "Member removed.")
    return _back(rotation.pk)


@login_required
@require_POST
def skip(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    try:
        turn_start = parse_datetime(request.POST.get("turn_start", ""))
    except ValueError:  # well-formed but impossible, e.g. month 13
        turn_start = None
    if turn_start is None:
        messages.error(request, "Choose a turn to skip.")
    else:
        _run(request, lambda: services.skip_create(rotation=rotation, turn_start=turn_start), "Turn skipped.")
    return _back(rotation.pk)


@login_required
@require_POST
def override_add(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    form = OverrideForm(request.POST, rotation=rotation)
    if not form.is_valid():
        messages.error(request, "Not added: choose a member, a start and an end.")
        return _back(rotation.pk)
    data = form.cleaned_data
    tz = rotation.tz
    start, end = (timezone.make_aware(timezone.make_naive(data[k]), tz) for k in ("start", "end"))
    _run(
        request,
        lambda: services.override_create(rotation=rotation, member_id=data["member"], start=start, end=end),
        "Override added.",
    )
    return _back(rotation.pk)


@login_required
@require_POST
def override_delete(request, rotation_id: int, override_id: int):
    rotation = _admin_rotation(request, rotation_id)
    services.override_delete(rotation=rotation, override_id=override_id)
    messages.success(request, "Override removed.")
    return _back(rotation.pk)


@login_required
@require_GET
def schedules(request, rotation_id: int):
    """The schedule picker: every PagerDuty schedule (classic and shift-based, all pages), searchable."""
    rotation = _admin_rotation(request, rotation_id)
    query = request.GET.get("q", "").strip()[:100]
    connection = get_connection(rotation.organization)
    found, error = [], ""
    if connection is None:
        error = "PagerDuty is not connected: an admin can connect it in Settings → Integrations."
    else:
        try:
            found = client_for(connection).list_schedules(query)
        except pd.PagerDutyError as exc:
            error = exc.message
    return render(
        request, "rotations/schedules.html", {"rotation": rotation, "schedules": found, "query": query, "error": error}
    )


@login_required
@require_POST
def bind(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    data = request.POST
    _run(
        request,
        lambda: services.rotation_bind(
            rotation=rotation,
            schedule_id=data.get("schedule_id", ""),
            schedule_name=data.get("schedule_name", ""),
            schedule_kind=data.get("schedule_kind", ""),
        ),
        "Now following the PagerDuty schedule. A sync is running.",
    )
    return _back(rotation.pk)


@login_required
@require_POST
def unbind(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    services.rotation_unbind(rotation=rotation)
    messages.success(request, "No longer following PagerDuty: the rotation uses its own cadence again.")
    return _back(rotation.pk)


@login_required
@require_POST
def sync_now(request, rotation_id: int):
    rotation = _admin_rotation(request, rotation_id)
    _run(request, lambda: services.rotation_request_sync(rotation=rotation), "Sync requested.")
    return _back(rotation.pk)
