import re
import zoneinfo

from django import forms

from .models import Rotation

TIME_ZONES = sorted(zoneinfo.available_timezones())
MEMBER_LINE = re.compile(r"^\s*(?P<name>.+?)\s*(?:<(?P<email1>[^>]+)>|,\s*(?P<email2>\S+@\S+))\s*$")


def time_zone_field():
    return forms.ChoiceField(
        choices=[(z, z) for z in TIME_ZONES],
        initial="UTC",
        help_text="Handoffs happen at the handoff time in this zone, daylight saving time included.",
    )


class RotationForm(forms.ModelForm):
    time_zone = time_zone_field()

    class Meta:
        model = Rotation
        fields = ["name", "description", "time_zone", "cadence_count", "cadence_unit", "handoff_time", "start_date"]
        labels = {"cadence_count": "Hand over every", "cadence_unit": "Unit", "start_date": "First turn on"}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "handoff_time": forms.TimeInput(attrs={"type": "time"}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, read_only_cadence=False, **kwargs):
        super().__init__(*args, **kwargs)
        if read_only_cadence:
            for name in ("cadence_count", "cadence_unit", "handoff_time", "start_date"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Read-only while the rotation follows a PagerDuty schedule."


class RotationCreateForm(RotationForm):
    members = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Ada Lovelace <ada@example.com>"}),
        help_text="One per line: Name <email> or Name, email. The order is the rotation order.",
    )

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
    name = forms.CharField(max_length=200)
    email = forms.EmailField()


class OverrideForm(forms.Form):
    member = forms.TypedChoiceField(coerce=int)
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, rotation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, m.name) for m in rotation.members.all()]  # type: ignore[attr-defined]
        self.fields["start"].help_text = self.fields["end"].help_text = f"In {rotation.time_zone}."
