"""Django admin actions change things (revoke a feed, disable an endpoint, send again): staff need the
model's change permission for them, or, where rows are read-only (notifications), the custom
"Can resend notifications" permission a superuser has. Staff who may only view see no action, and
posting one anyway does nothing."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, User
from accounts.services import organization_create
from covers.models import CoverRequest
from notifications.models import EmailReminder, Notification, RotationEmailSettings, RotationSlack
from outgoing import services as outgoing
from outgoing.models import Endpoint
from rotations import services as rotations
from rotations.calendar.feeds import calendar_feed_create
from rotations.models import TimeOff
from webhooks.models import Delivery as WebhookDelivery

pytestmark = pytest.mark.django_db

# Roster's own apps (third-party admins such as django-axes' are theirs).
APPS = {
    "accounts",
    "integrations",
    "pagerduty",
    "slack",
    "rotations",
    "covers",
    "notifications",
    "outgoing",
    "webhooks",
}


@dataclass(frozen=True)
class Case:
    url: str  # the changelist
    action: str
    permission: str  # app_label.codename that lets staff run it
    make: Any  # make(org) -> the row to act on
    state: Any  # state(row) -> what the action would change


def _rotation(org):
    return rotations.rotation_create(organization=org, name="Platform", time_zone="UTC")


def _feed(org):
    return calendar_feed_create(organization=org, rotation=_rotation(org), actor=None)[0]


def _endpoint(org, enabled=True):
    endpoint, _ = outgoing.endpoint_create(
        organization=org, url="https://93.184.216.34/hook", events=["rotation.handoff"]
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
    return Endpoint.objects.get(pk=endpoint.pk)


def _outgoing_delivery(org):
    """An outgoing webhook delivery: a notification of the webhook channel (its Resend is notifications')."""
    (pk,) = outgoing.events_create(
        organization_id=org.pk, endpoints=[_endpoint(org)], event_id="evt_1", event_type="incident.updated", data={}
    )
    Notification.objects.filter(pk=pk).update(status="failed", last_error="The endpoint answered 410.")
    return Notification.objects.get(pk=pk)


def _webhook_delivery(org):
    return WebhookDelivery.objects.create(
        organization=org, raw_body=b"{}", verified=True, status="failed", error="Boom", received_at=timezone.now()
    )


def _notification(org):
    now = timezone.now()
    return Notification.objects.create(
        organization=org,
        rotation=_rotation(org),
        source="handoff:1",
        source_at=now,
        channel="slack",
        target="channel:C0OPS",
        kind="slack.message",
        status="failed",
        last_error="Roster is not in #ops.",
    )


CASES = {
    "revoke feed": Case(
        "/admin/rotations/calendarfeed/", "revoke", "rotations.change_calendarfeed", _feed, lambda r: r.revoked_at
    ),
    "disable endpoint": Case(
        "/admin/outgoing/endpoint/", "disable", "outgoing.change_endpoint", _endpoint, lambda r: r.enabled
    ),
    "enable endpoint": Case(
        "/admin/outgoing/endpoint/",
        "enable",
        "outgoing.change_endpoint",
        lambda org: _endpoint(org, enabled=False),
        lambda r: r.enabled,
    ),
    "resend outgoing delivery": Case(
        "/admin/notifications/notification/",
        "resend",
        "notifications.resend_notification",
        _outgoing_delivery,
        lambda r: r.status,
    ),
    "retry webhook delivery": Case(
        "/admin/webhooks/delivery/", "reprocess", "webhooks.change_delivery", _webhook_delivery, lambda r: r.status
    ),
    "resend notification": Case(
        "/admin/notifications/notification/",
        "resend",
        "notifications.resend_notification",
        _notification,
        lambda r: r.status,
    ),
}


def _staff(*permissions: str) -> User:
    user = User.objects.create_user(email="support@roster.example", password="x", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # without the permission cache


def _view_permission(case: Case) -> str:
    app_label = case.permission.split(".")[0]
    model = case.url.strip("/").split("/")[-1]
    return f"{app_label}.view_{model}"


def _actions(page: str) -> str:
    start = page.find('name="action"')
    return page[start : page.find("</select>", start)] if start >= 0 else ""


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_staff_who_may_only_view_see_no_action_and_posting_it_changes_nothing(
    client, org, case, django_capture_on_commit_callbacks
):
    row = case.make(org)
    before = case.state(row)
    client.force_login(_staff(_view_permission(case)))

    listing = client.get(case.url)
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(case.url, {"action": case.action, "_selected_action": [row.pk]}, follow=True)

    assert listing.status_code == 200
    assert f'value="{case.action}"' not in _actions(listing.content.decode())
    assert posted.status_code == 200
    row.refresh_from_db()
    assert case.state(row) == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_staff_with_the_permission_see_the_action(client, org, case):
    case.make(org)
    client.force_login(_staff(_view_permission(case), case.permission))

    assert f'value="{case.action}"' in _actions(client.get(case.url).content.decode())


def test_a_superuser_resends_notifications_though_their_rows_are_read_only(client, org):
    _notification(org)
    client.force_login(User.objects.create_superuser(email="root@roster.example", password="x"))

    assert 'value="resend"' in _actions(client.get("/admin/notifications/notification/").content.decode())


def _roster_admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in APPS
    ]


def test_every_admin_action_needs_a_permission():
    """A new action that forgets `permissions=[...]` would be offered to view-only staff."""
    unguarded = [
        f"{model._meta.label}.{name}"
        for model, model_admin in _roster_admins()
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", ())
    ]
    assert unguarded == []


def test_the_cases_cover_every_action_but_delete():
    actions = {
        (model._meta.label_lower, name)
        for model, model_admin in _roster_admins()
        for _, name, _ in model_admin._get_base_actions()
        if name != "delete_selected"
    }
    assert actions == {(".".join(c.url.strip("/").split("/")[1:]), c.action) for c in CASES.values()}


def test_support_staff_cannot_edit_rotations_shifts_or_time_off_around_their_services(client, org, admin_user):
    """Rotations, their members, synced shifts and PagerDuty people, and time off change through the
    pages and the API (validated, and time off re-plans the rotations): in Django admin they are read."""
    rotation = _rotation(org)
    now = timezone.now()
    time_off = TimeOff.objects.create(
        organization=org, user=admin_user, start=now + timedelta(days=1), end=now + timedelta(days=2)
    )
    client.force_login(User.objects.create_superuser(email="root@roster.example", password="x"))

    for model in ("rotation", "shift", "pagerdutyuser", "timeoff"):
        assert client.get(f"/admin/rotations/{model}/add/").status_code == 403, model
    for model, row in (("rotation", rotation), ("timeoff", time_off)):
        page = client.get(f"/admin/rotations/{model}/{row.pk}/change/")
        assert (page.status_code, 'name="_save"' in page.content.decode()) == (200, False), model
    changed = client.post(f"/admin/rotations/rotation/{rotation.pk}/change/", {"name": "Renamed", "time_zone": "X"})
    assert changed.status_code == 403
    rotation.refresh_from_db()
    assert rotation.name == "Platform"
    assert client.get(f"/admin/rotations/timeoff/{time_off.pk}/delete/").status_code == 403


def _cover_request(org):
    now = timezone.now()
    return CoverRequest.objects.create(
        organization=org,
        rotation=_rotation(org),
        requester_name="Mia Member",
        requester_email="mia@acme.example",
        start=now,
        end=now + timedelta(hours=8),
    )


@pytest.mark.parametrize(
    ("url", "make"),
    [("/admin/covers/coverrequest/", _cover_request), ("/admin/notifications/notification/", _notification)],
)
def test_support_staff_find_an_organization_s_rows_by_the_name_the_customer_gives(client, url, make):
    org = organization_create(name="Zoë & Co", admin_email="admin@zoe.example")  # its slug: zoe-co
    row = make(org)
    client.force_login(User.objects.create_superuser(email="root@roster.example", password="x"))

    assert f"{url}{row.pk}/change/" in client.get(url, {"q": "Zoë"}).content.decode()


@pytest.mark.parametrize("model", [AuditEvent, Invitation, RotationSlack, RotationEmailSettings, EmailReminder])
def test_support_staff_cannot_delete_what_only_an_audited_change_may_remove(rf, model):
    """The audit trail is kept; invitations are revoked, and a rotation's Slack and email settings and
    reminders changed, on the organization's pages (audited)."""
    request = rf.get("/admin/")
    request.user = User.objects.create_superuser(email="root@roster.example", password="x")

    assert not admin.site._registry[model].has_delete_permission(request)


def test_the_organization_page_links_to_each_of_its_rotations(client, org):
    rotation = _rotation(org)
    client.force_login(User.objects.create_superuser(email="root@roster.example", password="x"))

    page = client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()

    assert f"/admin/rotations/rotation/{rotation.pk}/change/" in page
