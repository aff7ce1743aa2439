"""The rotation page's "Ask for cover" form: it only parses HTML (text to moments in the rotation's
time zone); every rule about the values is covers.services' (its error is shown beside its field)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from rotations.models import Rotation

LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


class CoverAskForm(forms.Form):
    start = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL)
    )
    end = forms.DateTimeField(label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL))
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text="Why, or what the person covering should know. At most 500 characters.",
    )

    def __init__(self, *args, rotation: Rotation, **kwargs):
        super().__init__(*args, **kwargs)
        self.rotation = rotation
        self.fields["start"].help_text = self.fields["end"].help_text = f"In {rotation.time_zone}."

    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        """The cleaned start and end, read as wall-clock times in the rotation's time zone."""
        tz = self.rotation.tz
        return tuple(  # type: ignore[return-value]
            timezone.make_aware(timezone.make_naive(self.cleaned_data[k]), tz) for k in ("start", "end")
        )


def ask_form(rotation: Rotation, start: dt.datetime, end: dt.datetime, *, auto_id: str) -> CoverAskForm:
    """A blank form for one shift: its start and end preselected, in the rotation's time zone."""
    tz = rotation.tz
    return CoverAskForm(
        rotation=rotation,
        auto_id=auto_id,
        initial={"start": start.astimezone(tz).replace(tzinfo=None), "end": end.astimezone(tz).replace(tzinfo=None)},
    )


def parse_moment(raw: str) -> dt.datetime | None:
    """A swap's shift as the Swap dialog posts it (an ISO 8601 moment with its offset), or None."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
