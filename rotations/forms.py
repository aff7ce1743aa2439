"""The rotation pages' forms: HTML parsing only (text to numbers, times, dates, member lines).
Every rule about the values lives in services.py; a view puts a RotationError beside its field
with `show_error`."""

from __future__ import annotations

import re

from django import forms

from .models import TIME_ZONES as ALL_TIME_ZONES
from .models import Rotation
from .services import CADENCE_FIELDS

# The zones a person picks from: the IANA regions (and UTC), not `localtime`, `Factory`,
# `posixrules`, `Etc/GMT+3`, `SystemV/…` or the legacy `US/…` aliases.
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
TIME_ZONES = [z for z in ALL_TIME_ZONES if z == "UTC" or z.split("/")[0] in REGIONS]
MEMBER_LINE = re.compile(r"^\s*(?P<name>.+?)\s*(?:<(?P<email1>[^>]+)>|,\s*(?P<email2>\S+@\S+))\s*$")


class TimeZoneInput(forms.TextInput):
    """A text input tied to the page's <datalist id="time-zones"> (templates/rotations/_time_zones.html):
    searchable without script; static/js/rotations.js suggests the browser's zone."""

    def __init__(self):
        super().__init__(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false", "required": True})


def time_zone_field(
    help_text="Type to search, e.g. Paris or New_York. Handoffs happen at the handoff time in this zone, "
    "daylight saving time included.",
):
    return forms.CharField(required=False, initial="UTC", widget=TimeZoneInput(), help_text=help_text)


class RotationForm(forms.Form):
    name = forms.CharField(required=False, widget=forms.TextInput(attrs={"required": True, "maxlength": 200}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    time_zone = time_zone_field()
    cadence_count = forms.IntegerField(label="Hand over every", initial=1, widget=forms.NumberInput(attrs={"min": 1}))
    cadence_unit = forms.CharField(  # a <select>; which units exist is the service's rule
        label="Unit", initial="weeks", widget=forms.Select(choices=Rotation.CadenceUnit.choices)
    )
    handoff_time = forms.TimeField(initial="09:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    start_date = forms.DateField(
        label="First turn on", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, rotation: Rotation | None = None, **kwargs):
        if rotation is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(rotation, f) for f in self.base_fields if hasattr(rotation, f)}
        super().__init__(*args, **kwargs)
        if rotation is not None and rotation.is_bound:
            # The cadence follows PagerDuty: the page says so instead of showing disabled fields.
            for name in CADENCE_FIELDS:
                del self.fields[name]


class RotationCreateForm(RotationForm):
    members = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Ada Lovelace <ada@example.com>"}),
        help_text="One per line: Name <email> or Name, email. The order is the rotation order.",
    )
    field_order = ["name", "description", "members", "time_zone"]

    def clean_members(self):
        members = []
        for number, line in enumerate(self.cleaned_data["members"].splitlines(), start=1):
            if not line.strip():
                continue
            match = MEMBER_LINE.match(line)
            if not match:
                raise forms.ValidationError(f"Line {number}: write Name <email> or Name, email.")
            members.append((match["name"], match["email1"] or match["email2"]))
        return members


class MemberForm(forms.Form):
    name = forms.CharField(required=False, widget=forms.TextInput(attrs={"required": True}))
    email = forms.CharField(required=False, widget=forms.EmailInput(attrs={"required": True}))


class OverrideForm(forms.Form):
    member = forms.TypedChoiceField(coerce=int, label="Who covers")
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, rotation: Rotation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, m.name) for m in rotation.members.all()]  # type: ignore[attr-defined]
        self.fields["start"].help_text = self.fields["end"].help_text = f"In {rotation.time_zone}."


def show_error(form: forms.Form, error, *, field: str | None = None) -> None:
    """Put a service's RotationError beside the field it is about (or `field`, or above the form),
    and focus the first field in error when the page renders again."""
    name = field or error.field
    form.add_error(name if name in form.fields else None, error.message)
    focus_first_error(form)


def focus_first_error(form: forms.Form) -> None:
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs.update({"autofocus": True, "aria-invalid": "true"})
            return
