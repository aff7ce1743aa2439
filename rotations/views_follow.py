"""“Follow <schedule> again”: after PagerDuty was disconnected and connected again, a rotation
follows the schedule it followed before in one click (templates/rotations/_follow_again.html)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_org_for_admin

from . import selectors, services


@login_required
@require_POST
def follow_again(request, rotation_id: int):
    org = get_org_for_admin(request)
    rotation = selectors.rotation_for(org, rotation_id, now=timezone.now())
    name = rotation.previous_pagerduty_schedule_name or rotation.previous_pagerduty_schedule_id
    try:
        services.rotation_follow_again(rotation=rotation)
    except services.RotationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Following the PagerDuty schedule “{name}” again. A sync is running.")
    return redirect("rotations:detail", rotation.pk)
