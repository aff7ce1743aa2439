"""`{% my_reminders rotation as mine %}`: the signed-in person's email reminders for a rotation
(matched by their account email), for the rotation page's "Email reminders" section."""

from django import template

from notifications import email

register = template.Library()


@register.simple_tag(takes_context=True)
def my_reminders(context, rotation) -> dict | None:
    user = context.get("user")
    if user is None or not user.is_authenticated or not user.email:
        return None
    return email.mine(rotation, user.email)


@register.simple_tag
def reminder_defaults(rotation):
    return email.defaults_get(rotation)
