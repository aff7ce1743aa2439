"""The rotation page's "Cover requests" section: thin POST views (ask, take or swap, cancel). Each
calls one covers.services function and goes back to the section saying what happened, or the
service's sentence when it refused; a refused ask comes back in its dialog with the error beside
its field. Any member of the organization may use them (the services decide who may do what)."""

from __future__ import annotations

import datetime as dt
import functools
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_org_for_member, is_admin
from accounts.actor import Actor
from accounts.dialogs import confirmed
from rotations.forms import focus_first_error
from rotations.models import Rotation
from rotations.selectors import rotation_for
from rotations.views import render_detail

from . import page, services
from .forms import CoverAskForm, parse_moment
from .models import CoverRequest

ANCHOR = "covers-title"
DIALOG = re.compile(r"cover-ask-\d{1,12}")


def _rotation(request: HttpRequest, rotation_id: int) -> Rotation:
    return rotation_for(get_org_for_member(request), rotation_id, now=timezone.now())


def _back(rotation: Rotation) -> HttpResponse:
    return redirect(reverse("rotations:detail", args=[rotation.pk]) + f"#{ANCHOR}")


def span(start: dt.datetime, end: dt.datetime, tz) -> str:
    """'Mon 7 Dec 09:00–17:00 UTC', or with both days when it ends on another day."""
    return "–".join(page.span_parts(start, end, tz))


@login_required
@require_POST
def ask(request: HttpRequest, rotation_id: int) -> HttpResponse:
    rotation = _rotation(request, rotation_id)
    posted = request.POST.get("dialog", "")
    dialog = posted if DIALOG.fullmatch(posted) else "cover-ask-0"
    form = CoverAskForm(request.POST, rotation=rotation, auto_id=f"{dialog}_%s")
    if form.is_valid():
        start, end = form.moments()
        try:
            cover = services.cover_request_create(
                rotation=rotation,
                requester=services.person_for(request, rotation),
                start=start,
                end=end,
                note=form.cleaned_data["note"],
                actor=Actor.of_request(request),
            )
        except services.CoverError as error:
            # The form's fields are named as the service's arguments; an error about anything else goes above it.
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                f"You asked for cover {span(cover.start, cover.end, rotation.tz)}. "
                "The rotation's other members can take it from this page.",
            )
            return _back(rotation)
    focus_first_error(form)
    return render_detail(request, rotation, cover_ask_form=form, cover_ask_dialog=dialog, open_dialog=dialog)


def _swap(request: HttpRequest) -> tuple[dt.datetime, dt.datetime] | None | str:
    """The shift a swap gives back ("<start>|<end>" from the Swap dialog), None for a plain take, or
    what is wrong with it."""
    if "swap" not in request.POST:
        return None
    start_raw, _, end_raw = request.POST["swap"].partition("|")
    start, end = parse_moment(start_raw), parse_moment(end_raw)
    if start is None or end is None:
        return "Choose one of your shifts to give back in the swap."
    return start, end


def _taken_said(cover: CoverRequest, tz) -> str:
    said = f"You cover {cover.requester_name} {span(cover.start, cover.end, tz)}."
    if cover.is_swap:
        said += f" In return {cover.requester_name} takes your shift {span(cover.swap_start, cover.swap_end, tz)}."  # type: ignore[arg-type]
    if cover.apply_state == CoverRequest.Apply.PENDING:
        said += f" {services.PENDING_SAID}"
    return said


@login_required
@require_POST
def take(request: HttpRequest, rotation_id: int, cover_request_id: int) -> HttpResponse:
    rotation = _rotation(request, rotation_id)
    cover = get_object_or_404(CoverRequest, pk=cover_request_id, rotation=rotation)
    swap = _swap(request)
    if isinstance(swap, str):
        messages.error(request, swap)
        return _back(rotation)
    try:
        cover = services.cover_request_take(
            cover_request_id=cover.pk,
            taker=services.person_for(request, rotation),
            swap=swap,
            actor=Actor.of_request(request),
        )
    except services.CoverError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _taken_said(cover, rotation.tz))
    return _back(rotation)


@login_required
@require_POST
def cancel(request: HttpRequest, rotation_id: int, cover_request_id: int) -> HttpResponse:
    rotation = _rotation(request, rotation_id)
    cover = get_object_or_404(CoverRequest, pk=cover_request_id, rotation=rotation)
    member = page.member_for(rotation, getattr(request.user, "email", ""))
    if not services.may_cancel(cover_request=cover, member=member, is_admin=is_admin(request)):
        messages.error(request, "Only the person who asked, or an admin, can cancel a cover request.")
        return _back(rotation)
    was_taken = cover.status == CoverRequest.Status.TAKEN

    def act():
        try:
            cancelled = services.cover_request_cancel(cover_request=cover, actor=Actor.of_request(request))
        except services.CoverError as error:
            messages.error(request, error.message)
        else:
            said = "Cover request cancelled."
            if was_taken and cancelled.apply_message:
                said += f" {cancelled.apply_message}"
            messages.success(request, said)
        return _back(rotation)

    return confirmed(request, f"cover-cancel-{cover.pk}", act, functools.partial(render_detail, request, rotation))
