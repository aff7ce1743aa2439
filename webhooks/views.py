"""Pages: the webhook actions on the PagerDuty card, and the Incidents list and detail.
Thin views over services.py and selectors.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_org_for_admin, get_org_for_member
from accounts.actor import Actor
from accounts.dialogs import confirmed
from accounts.services import InputRefused
from integrations.views import render_integrations_page

from . import selectors, services
from .forms import secret_form


def _back_to_card():
    return redirect("integrations:index")


@login_required
def secret_add(request):
    org = get_org_for_admin(request)
    if request.method != "POST":
        return redirect(f"{reverse('integrations:index')}?dialog=webhook-secret")
    form = secret_form(request.POST)
    if form.is_valid():
        try:
            row, settled = services.webhook_secret_add(
                organization=org, actor=Actor.of_request(request), **form.cleaned_data
            )
        except InputRefused as refused:
            form.add_error(refused.field, refused.message)
        else:
            messages.success(request, f"Signing secret ending in {row.last4} saved.{_settled_note(settled)}")
            return _back_to_card()
    request.wh_secret_form = form
    return render_integrations_page(request, open_dialog="webhook-secret", status=400)


@login_required
@require_POST
def secret_remove(request, secret_id: int):
    org = get_org_for_admin(request)

    def act():
        removed = services.webhook_secret_remove(organization=org, secret_id=secret_id, actor=Actor.of_request(request))
        if removed is None:
            messages.info(request, "That secret was already removed; nothing changed.")
        elif removed.remaining:
            messages.success(
                request,
                f"Signing secret ending in {removed.last4} removed. Deliveries signed only with it are now refused "
                "(answered 401).",
            )
        else:
            messages.warning(
                request,
                f"Signing secret ending in {removed.last4} removed. No secret is left: new deliveries are held, not "
                "processed, until a signing secret is saved.",
            )
        return _back_to_card()

    def page(confirm_form, open_dialog):
        return render_integrations_page(request, open_dialog=open_dialog, extra={"confirm_form": confirm_form})

    return confirmed(request, f"webhook-secret-remove-{secret_id}", act, page)


def _settled_note(settled: dict) -> str:
    parts = []
    if settled["released"]:
        n = settled["released"]
        parts.append(f"{n} held deliver{'y' if n == 1 else 'ies'} verified and queued for processing")
    if settled["discarded"]:
        n = settled["discarded"]
        parts.append(f"{n} discarded (signed with no saved secret)")
    return f" {'; '.join(parts)}." if parts else ""


@login_required
@require_POST
def create_subscription(request):
    org = get_org_for_admin(request)
    try:
        result = services.webhook_subscription_create(
            organization=org, actor=Actor.of_request(request), recreate=request.POST.get("recreate") == "1"
        )
    except services.SubscriptionError as error:
        return render_integrations_page(request, extra={"wh_subscription_error": error}, status=400)
    if not result.created:
        events = result.events
        (messages.warning if events and (events.outcome == "refused" or events.turned_off) else messages.info)(
            request,
            f"Subscription {result.subscription_id} already delivers to this URL, so Roster created none. PagerDuty "
            "shows a signing secret only when a subscription is created: paste it with Add signing secret if you "
            "have it, or click Recreate." + _events_note(events),
        )
        return _back_to_card()
    text = f"PagerDuty subscription {result.subscription_id} created; its signing secret (ending in {result.secret_last4}) is saved."
    if result.deleted:
        text += f" Deleted the subscription it replaces ({', '.join(result.deleted)}) and its secret."
    if result.not_deleted:
        messages.warning(
            request,
            text + f" PagerDuty did not delete {', '.join(result.not_deleted)}: delete it in PagerDuty "
            "(Integrations → Generic Webhooks) so events do not arrive twice.",
        )
    else:
        messages.success(request, text)
    return _back_to_card()


def _events_note(events: services.SubscriptionEvents | None) -> str:
    """What bringing a found subscription's events up to date did, and whether it is turned off."""
    if events is None:
        return ""
    off = (
        " It is turned off in PagerDuty, so PagerDuty sends Roster nothing: turn it on there (Integrations → "
        "Generic Webhooks (v3)), or click Recreate."
    )
    return _events_added_note(events) + (off if events.turned_off else "")


def _events_added_note(events: services.SubscriptionEvents) -> str:
    if events.outcome == "added":
        n = len(events.added)
        return f" Added the {n} event{pluralize(n)} it did not send: {', '.join(events.added)}."
    if events.outcome == "refused":
        return (
            f" It does not send {', '.join(events.missing)}, and PagerDuty refused to add them (the connection is "
            "read-only or lacks the webhook_subscriptions.write scope): add them to it in PagerDuty."
        )
    if events.outcome == "later":
        return " PagerDuty could not say now which events it sends: Roster checks once a day and adds those it lacks."
    if events.outcome == "gone":
        return " PagerDuty then no longer found it, so Roster forgot it: click Create the subscription for me again."
    return ""


@login_required
@require_GET
def incidents(request):
    org = get_org_for_member(request)
    status = request.GET.get("status", "")
    unknown_status = "" if status in selectors.STATUSES else status
    status = "" if unknown_status else status
    service = request.GET.get("service", "")
    services_seen = selectors.services(organization=org)
    unknown_service = "" if not service or service in dict(services_seen) else service
    service = "" if unknown_service else service
    return render(
        request,
        "webhooks/incidents.html",
        {
            "page": selectors.incident_pages(
                organization=org, status=status, service=service, per_page=selectors.INCIDENTS_PER_PAGE
            ).get_page(request.GET.get("page")),
            "statuses": selectors.STATUSES,
            "services": services_seen,
            "status": status,
            "unknown_status": unknown_status,
            "service": service,
            "unknown_service": unknown_service,
        },
    )


@login_required
@require_GET
def incident(request, pagerduty_id: str):
    org = get_org_for_member(request)
    item = get_object_or_404(selectors.incidents(organization=org), pagerduty_id=pagerduty_id)
    return render(request, "webhooks/incident.html", {"incident": item, "events": item.events.all()})
