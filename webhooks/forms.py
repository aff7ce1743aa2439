from django import forms

from .services import MIN_SECRET_LENGTH


class SecretForm(forms.Form):
    secret = forms.CharField(
        label="Signing secret",
        strip=True,
        min_length=MIN_SECRET_LENGTH,
        max_length=500,
        # Never rendered back into the page, even after an error.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="PagerDuty shows it once, when the webhook subscription is created.",
    )
    label = forms.CharField(label="Label (optional)", required=False, max_length=100)

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if any(c.isspace() for c in secret):
            raise forms.ValidationError("A signing secret has no spaces; paste only the secret.")
        return secret


def secret_form(data=None) -> SecretForm:
    return SecretForm(data, auto_id="wh-secret-%s")
