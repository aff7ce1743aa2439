"""Settings → Time off: any member records when they are away, sees what is coming and deletes it."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_org_for_member
from accounts.dialogs import confirmed

from ..forms import TIME_ZONES, show_error
from ..models import validate_time_zone
from . import selectors, services
from .forms import TimeOffForm


def _aware(form: TimeOffForm) -> tuple | None:
    zone_name = (form.cleaned_data.get("time_zone") or "UTC").strip()
    try:
        validate_time_zone(zone_name)
    except ValidationError as error:
        form.add_error("time_zone", error.messages[0])
        return None
    zone = zoneinfo.ZoneInfo(zone_name)
    return tuple(timezone.make_aware(timezone.make_naive(form.cleaned_data[k]), zone) for k in ("start", "end"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def time_off(request):
    organization = get_org_for_member(request)
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (times := _aware(form)) is not None:
        try:
            services.time_off_create(
                organization=organization,
                user=request.user,
                start=times[0],
                end=times[1],
                note=form.cleaned_data["note"],
            )
        except services.TimeOffError as error:
            show_error(form, error)
        else:
            messages.success(request, "Time off recorded. Your rotations hand your turns to the next person then.")
            return redirect("time_off:index")
    return _page(request, organization, form=form)


def _page(request, organization, **context):
    return render(
        request,
        "rotations/time_off.html",
        {
            "form": TimeOffForm(),
            "time_off": list(
                selectors.time_off_upcoming(organization=organization, user=request.user, now=timezone.now())
            ),
            "time_zones": TIME_ZONES,
            "organization": organization,
            "lead_days": settings.ROSTER_TIME_OFF_LEAD_DAYS,
            **context,
        },
    )


@login_required
@require_POST
def time_off_delete(request, time_off_id: int):
    organization = get_org_for_member(request)

    def act():
        try:
            services.time_off_delete(organization=organization, user=request.user, time_off_id=time_off_id)
        except services.TimeOffError as error:
            if error.code == "not_found":
                messages.info(request, "That time off was already deleted; nothing changed.")
            else:
                messages.error(request, error.message)
        else:
            messages.success(request, "Time off deleted.")
        return redirect("time_off:index")

    return confirmed(request, f"delete-time-off-{time_off_id}", act, functools.partial(_page, request, organization))
