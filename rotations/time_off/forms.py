"""The time off page's form: HTML parsing only; the rules are in services.py."""

from __future__ import annotations

from django import forms

from ..forms import time_zone_field

LOCAL = {"type": "datetime-local"}


class TimeOffForm(forms.Form):
    start = forms.DateTimeField(label="From", widget=forms.DateTimeInput(attrs=LOCAL, format="%Y-%m-%dT%H:%M"))
    end = forms.DateTimeField(label="Until", widget=forms.DateTimeInput(attrs=LOCAL, format="%Y-%m-%dT%H:%M"))
    time_zone = time_zone_field(help_text="The zone of the times above, e.g. Europe/Paris.")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text="Optional, one paragraph: what your teammates see on the cover requests.",
    )
