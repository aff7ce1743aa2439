from django import forms


class DisconnectForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label="Yes, disconnect Slack",
        error_messages={"required": "Tick “Yes, disconnect Slack” to confirm."},
    )
