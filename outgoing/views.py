"""Settings → Webhooks (admins): endpoints, their secrets (shown once) and delivery logs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import once
from accounts.access import get_org_for_admin
from accounts.actor import Actor
from accounts.dialogs import confirmed
from rotations.forms import show_error

from . import selectors, services
from .forms import EndpointForm

ONCE_KEY = "webhook_secret"


@login_required
def endpoints(request):
    org = get_org_for_admin(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                organization=org, actor=Actor.of_request(request), **form.cleaned_data
            )
        except services.EndpointError as refused:
            show_error(form, refused)
        else:
            once.keep(request, ONCE_KEY, {"endpoint": endpoint.pk, "secret": secret})
            return redirect("outgoing:endpoint", endpoint_id=endpoint.pk)
    context = {
        "organization": org,
        "endpoints": selectors.endpoints(org),
        "form": form,
        "open_dialog": "add-endpoint" if form.is_bound else None,
    }
    return render(request, "outgoing/endpoints.html", context, status=400 if form.is_bound else 200)


@login_required
def endpoint(request, endpoint_id: int):
    org = get_org_for_admin(request)
    return _endpoint_page(request, org, selectors.endpoint_get(org, endpoint_id))


def _endpoint_page(request, org, found, *, test_refused: services.EndpointError | None = None, edit_form=None, **shown):
    kept = once.take(request, ONCE_KEY)
    new_secret = kept["secret"] if kept and kept.get("endpoint") == found.pk else None
    response = render(
        request,
        "outgoing/endpoint.html",
        {
            "organization": org,
            "endpoint": found,
            "deliveries": selectors.deliveries(found),
            "new_secret": new_secret,
            "test_refused": test_refused.message if test_refused else None,
            "edit_form": edit_form or EndpointForm(initial=model_to_dict(found, fields=list(EndpointForm.base_fields))),
            "open_dialog": "edit-endpoint" if edit_form else None,
            **shown,
        },
        status=test_refused.status if test_refused else 400 if edit_form else 200,
    )
    if isinstance(test_refused, services.RateLimited):
        response["Retry-After"] = str(test_refused.retry_after)
    return response


@login_required
@require_POST
def endpoint_edit(request, endpoint_id: int):
    """The Edit dialog: refused, the page again with the dialog open, the values kept and the error by its field."""
    org = get_org_for_admin(request)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(
                endpoint=selectors.endpoint_get(org, endpoint_id),
                changes=form.cleaned_data,
                actor=Actor.of_request(request),
            )
        except services.EndpointError as refused:
            show_error(form, refused)
        else:
            messages.success(request, "The endpoint is saved.")
            return redirect("outgoing:endpoint", endpoint_id=endpoint_id)
    return _endpoint_page(request, org, selectors.endpoint_get(org, endpoint_id), edit_form=form)


@login_required
@require_POST
def endpoint_test(request, endpoint_id: int):
    """Queue a test event; refused (too many: 429 with Retry-After; disabled: 409): the page again, the sentence by the button."""
    org = get_org_for_admin(request)
    found = selectors.endpoint_get(org, endpoint_id)
    try:
        services.endpoint_send_test(endpoint=found, actor=Actor.of_request(request))
    except services.EndpointError as refused:
        return _endpoint_page(request, org, found, test_refused=refused)
    messages.success(request, "A test event is on its way; its result shows in the log below.")
    return redirect("outgoing:endpoint", endpoint_id=found.pk)


@login_required
@require_POST
def endpoint_enabled(request, endpoint_id: int):
    found = selectors.endpoint_get(get_org_for_admin(request), endpoint_id)
    enable = request.POST.get("enabled") == "on"
    services.endpoint_update(endpoint=found, changes={"enabled": enable}, actor=Actor.of_request(request))
    messages.success(request, "Enabled: waiting events are sent now." if enable else "Disabled: nothing is sent to it.")
    return redirect("outgoing:endpoint", endpoint_id=found.pk)


@login_required
@require_POST
def endpoint_delete(request, endpoint_id: int):
    org = get_org_for_admin(request)
    found = selectors.endpoint_get(org, endpoint_id)

    def act():
        services.endpoint_delete(endpoint=found, actor=Actor.of_request(request))
        messages.success(request, f"The endpoint {found.url} was deleted; nothing more is sent to it.")
        return redirect("outgoing:endpoints")

    return confirmed(request, "delete-endpoint", act, lambda **shown: _endpoint_page(request, org, found, **shown))


@login_required
@require_POST
def delivery_resend(request, endpoint_id: int, delivery_id: int):
    found = selectors.endpoint_get(get_org_for_admin(request), endpoint_id)
    delivery = selectors.delivery_get(found, delivery_id)
    try:
        services.delivery_resend(delivery_id=delivery.id, actor=Actor.of_request(request))
    except services.EndpointError as refused:
        messages.error(request, refused.message)
    else:
        when = "is being sent again" if found.enabled else "is sent again once you enable the endpoint"
        messages.success(request, f"{delivery.event_type} {delivery.event_id} {when}.")
    return redirect("outgoing:endpoint", endpoint_id=found.pk)
