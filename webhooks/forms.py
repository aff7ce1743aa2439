from django import forms

from .services import InvalidSecret, webhook_secret_check


class SecretForm(forms.Form):
    secret = forms.CharField(
        label="Signing secret",
        strip=True,
        required=False,  # an empty secret is refused by the service's rule below, in its words
        # Never rendered back into the page, even after an error.
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false", "required": True}
        ),
        help_text="PagerDuty shows it once, when the webhook subscription is created.",
    )
    label = forms.CharField(label="Label (optional)", required=False)  # at most LABEL_MAX: the service's rule

    def clean_secret(self):
        # The service's rule, so the page and the API refuse the same secrets with the same words.
        try:
            return webhook_secret_check(self.cleaned_data["secret"])
        except InvalidSecret as error:
            raise forms.ValidationError(str(error)) from error


def secret_form(data=None) -> SecretForm:
    return SecretForm(data, auto_id="wh-secret-%s")
