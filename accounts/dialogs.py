"""The POST behind a page's dialog, written once for every page (Settings → Members, Settings →
Integrations and each provider's dialogs).

A GET of the dialog's URL sends the browser to the page with that dialog open (no JavaScript
needed); a valid form runs `act(org, form)`, which returns the response (a redirect) or None after
adding its errors to the form; anything else re-renders the page with the dialog open and the errors.
`confirmed` is the POST of a destructive action behind includes/confirm.html, on every page.
"""

from collections.abc import Callable

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect

from .access import get_org_for_admin


def dialog_post(
    request,
    *,
    page_url: str,
    dialog: str,
    make_form: Callable,
    act: Callable[[object, object], HttpResponse | None],
    render_open: Callable[[object, object], HttpResponse],
) -> HttpResponse:
    """`render_open(org, form)` renders the page with the dialog open and the form's errors."""
    org = get_org_for_admin(request)
    if request.method == "GET":
        return redirect(f"{page_url}?dialog={dialog}")
    form = make_form(request.POST)
    if form.is_valid():
        response = act(org, form)
        if response is not None:
            return response
    return render_open(org, form)


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(error_messages={"required": "Tick the box to confirm."})


def confirmed(request, dialog: str, act: Callable[[], HttpResponse], page: Callable[..., HttpResponse]) -> HttpResponse:
    """`act()` runs once the box of includes/confirm.html `dialog` is ticked (confirm=on); otherwise
    `page(confirm_form=, open_dialog=)`: the page again with that dialog open, saying why."""
    form = ConfirmForm(request.POST)
    return act() if form.is_valid() else page(confirm_form=form, open_dialog=dialog)
