"""`{% my_cover rotation as mine %}`: the rotation page's "Cover requests" section as the signed-in
person sees it (covers.page.mine): their upcoming shifts with "Ask for cover", and the rotation's
requests with what they may do with each (only the rotation's members take requests)."""

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html

from covers import page

register = template.Library()


@register.simple_tag(takes_context=True)
def my_cover(context, rotation) -> page.Mine:
    user = context.get("user")
    found = context.get("cover_requests") or {}
    return page.mine(
        rotation,
        getattr(user, "email", "") if user is not None and user.is_authenticated else "",
        open_requests=list(found.get("open", [])),
        history=list(found.get("history", [])),
        is_admin=bool(context.get("can_manage")),
        now=context.get("now"),
        failed_form=context.get("cover_ask_form"),
        failed_dialog=context.get("cover_ask_dialog", ""),
    )


@register.simple_tag
def cover_span(start, end) -> str:
    """'Mon 7 Dec 09:00–17:00 CET' in the page's time zone (the rotation's), as two <time> elements;
    the end's day is named when it is another day."""
    if start is None or end is None:
        return ""
    first, last = page.span_parts(start, end, timezone.get_current_timezone())
    html = '<time datetime="{}">{}</time>–<time datetime="{}">{}</time>'
    return format_html(html, start.isoformat(), first, end.isoformat(), last)


@register.simple_tag
def cover_moment(moment) -> str:
    """'Mon 7 Dec 14:05 CET' in the page's time zone, as a <time> element."""
    if moment is None:
        return ""
    local = moment.astimezone(timezone.get_current_timezone())
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(), dateformat.format(local, "D j M H:i T"))
