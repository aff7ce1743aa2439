from django import forms

from .models import DEFAULT_LEAD_MINUTES, EVENT_TYPES


class EndpointForm(forms.Form):
    """Parses the page's input only; the rules (safe URL, known events) are in services, whose
    messages say what to do ("Choose at least one event."): nothing here is `required`, so an empty
    field reaches them instead of Django's "This field is required."."""

    url = forms.CharField(
        label="URL",
        max_length=2000,
        required=False,
        help_text="https:// address that receives a signed POST for each event.",
        widget=forms.URLInput(
            attrs={"placeholder": "https://hooks.example.com/roster", "autocomplete": "off", "required": True}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple, required=False
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    upcoming_lead_minutes = forms.IntegerField(
        label="Upcoming shift lead time (minutes)",
        initial=DEFAULT_LEAD_MINUTES,
        required=False,
        help_text="For rotation.upcoming: how long before a shift starts it is sent.",
    )
