from django import forms


class SecretForm(forms.Form):
    secret = forms.CharField(
        label="Signing secret",
        strip=True,
        required=False,  # an empty secret is refused by the service's rule, in its words
        # Never rendered back into the page, even after an error.
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "off", "spellcheck": "false", "required": True}
        ),
        help_text="PagerDuty shows it once, when the webhook subscription is created.",
    )
    label = forms.CharField(label="Label (optional)", required=False)  # at most LABEL_MAX: the service's rule


def secret_form(data=None) -> SecretForm:
    return SecretForm(data, auto_id="wh-secret-%s")
