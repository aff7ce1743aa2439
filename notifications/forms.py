"""The rotation page's Slack forms: they only parse HTML; the rules are in notifications/slack/settings.py."""

from __future__ import annotations

from django import forms


class NewUserGroupForm(forms.Form):
    """ "Create @handle": a new on-duty user group in Slack."""

    handle = forms.CharField(
        label="@handle",
        max_length=81,
        help_text="How people mention the group, like ops-oncall: lower-case letters, digits, dots, dashes, underscores.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    name = forms.CharField(
        label="Name", max_length=255, required=False, help_text="Shown in Slack; “<rotation> on call” when empty."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "slack-new-group-%s")
        super().__init__(*args, **kwargs)
