from django import forms

from .models import PagerDutyConnection


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(
        label="REST API key",
        strip=True,
        min_length=8,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=(
            "A read-only key is enough to follow schedules. With a full-access key Roster can also "
            "create the incident webhook subscription when an admin asks it to, and write taken cover "
            "requests to the schedule as overrides; it writes nothing else to PagerDuty."
        ),
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
        if not key.isascii():  # it travels in an HTTP header
            raise forms.ValidationError("An API key has only letters, digits and punctuation; paste only the key.")
        return key


def connect_form(data=None) -> ApiKeyForm:
    return ApiKeyForm(data, auto_id="pd-connect-%s")


def rotate_form(data=None, *, region: str | None = None) -> ApiKeyForm:
    return ApiKeyForm(data, auto_id="pd-rotate-%s", initial={"region": region} if region else None)


def switch_key_form(data=None, *, region: str | None = None) -> ApiKeyForm:
    return ApiKeyForm(data, auto_id="pd-switch-key-%s", initial={"region": region} if region else None)


class OAuthConnectForm(forms.Form):
    """Connect with OAuth. Client ID/Secret are the organization's own app; leave both empty to use
    the operator's app (when the server has one)."""

    client_id = forms.CharField(label="Client ID", required=False, max_length=200, strip=True)
    client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    region = forms.ChoiceField(
        label="Service region", choices=PagerDutyConnection.Region.choices, initial=PagerDutyConnection.Region.US
    )
    # Asks PagerDuty for schedules.write too (oauth.requested_scopes), so a taken cover request changes the schedule.
    write_overrides = forms.BooleanField(label="Let Roster write overrides for cover requests", required=False)

    def __init__(self, *args, operator_app_ready: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.operator_app_ready = operator_app_ready

    def clean(self):
        data = super().clean() or {}
        client_id, client_secret = data.get("client_id"), data.get("client_secret")
        if bool(client_id) != bool(client_secret):
            raise forms.ValidationError("Enter both the Client ID and the Client Secret of your PagerDuty app.")
        if not client_id and not self.operator_app_ready:
            raise forms.ValidationError("Enter the Client ID and Client Secret of your organization's PagerDuty app.")
        return data


def oauth_connect_form(data=None, *, operator_app_ready: bool = False) -> OAuthConnectForm:
    return OAuthConnectForm(data, auto_id="pd-oauth-%s", operator_app_ready=operator_app_ready)


def switch_oauth_form(data=None, *, operator_app_ready: bool = False) -> OAuthConnectForm:
    return OAuthConnectForm(data, auto_id="pd-switch-oauth-%s", operator_app_ready=operator_app_ready)
