from django import forms

from .models import PagerDutyConnection


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(
        label="REST API key",
        strip=True,
        min_length=8,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="A read-only key is enough. Roster never writes to PagerDuty with it.",
    )
    region = forms.ChoiceField(
        label="Service region",
        choices=PagerDutyConnection.Region.choices,
        initial=PagerDutyConnection.Region.US,
        help_text="EU accounts sign in at <subdomain>.eu.pagerduty.com.",
    )

    def clean_api_key(self):
        key = self.cleaned_data["api_key"]
        if any(c.isspace() for c in key):
            raise forms.ValidationError("An API key has no spaces; paste only the key.")
        return key


class DisconnectForm(forms.Form):
    confirm = forms.BooleanField(required=True, label="Yes, disconnect PagerDuty")


def connect_form(data=None) -> ApiKeyForm:
    return ApiKeyForm(data, auto_id="pd-connect-%s")


def rotate_form(data=None, *, region: str | None = None) -> ApiKeyForm:
    return ApiKeyForm(data, auto_id="pd-rotate-%s", initial={"region": region} if region else None)
