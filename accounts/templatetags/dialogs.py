"""The one dialog pattern (see CONTRIBUTING.md, "Pages: dialogs and confirmations").

    {% load dialogs %}
    {% dialog "invite" "Invite someone" %} ...a form... {% enddialog %}

renders a native <dialog> labelled by its title, with a close button that works without JavaScript
(`method="dialog"`). It is rendered open when the view passes `open_dialog` equal to its id (a form
that failed re-renders inside it) or when the page was asked for with `?dialog=<id>` (the link that
opens it without JavaScript); static/js/dialogs.js then shows it as a modal and focuses the first
field with an error, or the first field.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

register = template.Library()


class DialogNode(template.Node):
    def __init__(self, nodelist: template.NodeList, dialog_id: template.base.FilterExpression, title) -> None:
        self.nodelist = nodelist
        self.dialog_id = dialog_id
        self.title = title

    def render(self, context: template.Context) -> SafeString:
        dialog_id = str(self.dialog_id.resolve(context))
        request = context.get("request")
        asked = request is not None and request.GET.get("dialog") == dialog_id
        return render_to_string(
            "includes/dialog.html",
            {
                "id": dialog_id,
                "title": self.title.resolve(context),
                "open": context.get("open_dialog") == dialog_id or asked,
                "body": self.nodelist.render(context),
            },
        )


@register.tag("dialog")
def do_dialog(parser: template.base.Parser, token: template.base.Token) -> DialogNode:
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError('Usage: {% dialog "id" "Title" %} … {% enddialog %}')
    nodelist = parser.parse(("enddialog",))
    parser.delete_first_token()
    return DialogNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]))


@register.simple_tag(takes_context=True)
def current(context: template.Context, prefix: str) -> str:
    """` aria-current="page"` on the navigation link of the page shown (or its section): the page's
    path is `prefix`, or starts with it (a rotation's page marks Rotations)."""
    request = context.get("request")
    path = request.path if request is not None else ""
    if path == prefix:
        return SafeString(' aria-current="page"')
    if path.startswith(prefix):
        return SafeString(' aria-current="true"')
    return ""
