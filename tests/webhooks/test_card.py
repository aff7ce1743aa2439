"""The webhook section of the PagerDuty card, as admins and members see it."""

import re

import pytest

from accounts.models import AuditEvent
from tests.rotations.test_pages import confirm_refused
from webhooks.models import WebhookEndpoint, WebhookSecret

from .conftest import SECRET, fixture

pytestmark = pytest.mark.django_db
PAGE = "/settings/integrations/"


def test_admins_see_the_webhook_url_with_a_copy_button_and_the_events(admin_client, org):
    page = admin_client.get(PAGE).content.decode()
    endpoint = WebhookEndpoint.objects.get(organization=org)  # created when first shown
    url = f"https://roster.example.com/webhooks/pagerduty/{endpoint.public_id}/"
    assert f'value="{url}"' in page
    assert '<button type="button" data-copy="wh-url">Copy</button>' in page
    for event in (
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
        "incident.custom_field_values.updated",
    ):
        assert f"<code>{event}</code>" in page
    assert "None yet: deliveries are held" in page


def test_the_endpoint_id_is_long_random_and_stable(admin_client, org, other_org):
    admin_client.get(PAGE)
    admin_client.get(PAGE)
    from webhooks.services import endpoint_for

    ours, theirs = endpoint_for(org).public_id, endpoint_for(other_org).public_id
    assert WebhookEndpoint.objects.filter(organization=org).count() == 1
    assert len(ours) >= 32 and ours != theirs
    assert re.fullmatch(r"[A-Za-z0-9_-]+", ours)


def test_members_see_deliveries_but_not_the_url_or_controls(member_client, org):
    page = member_client.get(PAGE).content.decode()
    assert "Incident webhooks (V3)" in page
    assert 'data-testid="wh-url"' not in page
    assert "Add signing secret" not in page


def test_pasting_a_secret_saves_it_and_shows_only_its_last_4(admin_client, org, captured_logs):
    response = admin_client.post(
        PAGE + "pagerduty/webhook-secrets/", {"secret": SECRET, "label": "Production"}, follow=True
    )
    page = response.content.decode()
    assert "Signing secret ending in 7Qz9 saved." in page
    assert "Production ending in <code>7Qz9</code>" in page
    assert SECRET not in page
    assert SECRET not in captured_logs.text
    assert WebhookSecret.objects.get(organization=org).secret == SECRET
    assert "Added a webhook signing secret ending in 7Qz9 (Production)" in page  # the card's history


def test_a_refused_secret_reopens_the_dialog_without_echoing_it(admin_client, org):
    response = admin_client.post(PAGE + "pagerduty/webhook-secrets/", {"secret": "has spaces in it", "label": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<dialog id="webhook-secret" class="dialog" aria-labelledby="webhook-secret-title" open>' in page
    assert "Paste the signing secret PagerDuty showed when the webhook subscription was created" in page
    assert "has spaces in it" not in page
    assert not WebhookSecret.objects.exists()


def test_removing_a_secret_is_audited(admin_client, org, webhook_secret):
    url = PAGE + f"pagerduty/webhook-secrets/{webhook_secret.pk}/remove/"
    confirm_refused(admin_client, url, f"webhook-secret-remove-{webhook_secret.pk}")
    assert WebhookSecret.objects.exists()
    page = admin_client.post(url, {"confirm": "on"}, follow=True).content.decode()
    assert (
        "Signing secret ending in 7Qz9 removed. No secret is left: new deliveries are held, not processed, until "
        "a signing secret is saved." in page
    )
    assert "are now refused" not in page
    assert not WebhookSecret.objects.exists()
    assert AuditEvent.objects.filter(organization=org, action="webhook_secret_remove").exists()


def test_removing_one_of_two_secrets_says_deliveries_signed_only_with_it_are_refused(admin_client, org, webhook_secret):
    from webhooks import services

    services.webhook_secret_add(organization=org, secret="whsec-the-new-one-Ab12")
    page = admin_client.post(
        PAGE + f"pagerduty/webhook-secrets/{webhook_secret.pk}/remove/", {"confirm": "on"}, follow=True
    ).content.decode()
    assert (
        "Signing secret ending in 7Qz9 removed. Deliveries signed only with it are now refused (answered 401)." in page
    )


def test_members_and_outsiders_cannot_change_secrets(member_client, webhook_secret, client, outsider):
    assert member_client.post(PAGE + "pagerduty/webhook-secrets/", {"secret": "member-secret-123"}).status_code == 403
    assert member_client.post(PAGE + f"pagerduty/webhook-secrets/{webhook_secret.pk}/remove/").status_code == 403
    client.force_login(outsider)
    client.post(PAGE + f"pagerduty/webhook-secrets/{webhook_secret.pk}/remove/", {"confirm": "on"})
    assert WebhookSecret.objects.filter(pk=webhook_secret.pk).exists()
    assert not WebhookSecret.objects.filter(secret="member-secret-123").exists()


def test_the_card_counts_held_deliveries(admin_client, deliver, endpoint):
    deliver(fixture("incident.triggered"))
    page = admin_client.get(PAGE).content.decode()
    assert "1 delivery held until a signing secret is saved" in page
    deliver(fixture("incident.resolved"))
    page = admin_client.get(PAGE).content.decode()
    assert "2 deliveries held until a signing secret is saved" in page


def test_a_test_notification_shows_as_test_received_at(admin_client, deliver, webhook_secret):
    assert "none received yet" in admin_client.get(PAGE).content.decode()
    deliver(fixture("pagey.ping"))
    page = admin_client.get(PAGE).content.decode()
    assert re.search(r'data-testid="wh-ping">test received at <time datetime="[^"]+">\d{4}-\d\d-\d\d', page)


def test_the_card_lists_the_last_deliveries_with_their_result(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("service.updated"))
    page = admin_client.get(PAGE).content.decode()
    table = page[page.index('data-testid="wh-deliveries"') :]
    assert "<code>incident.triggered</code>" in table
    assert '<a href="/incidents/PGR0VU2/">PGR0VU2</a>' in table
    assert "Processed" in table
    assert "Stored, not used by Roster: Roster does not use service.updated events" in table


def test_a_held_deliverys_incident_is_named_but_not_linked_until_it_is_processed(admin_client, deliver, endpoint):
    deliver(fixture("incident.triggered"))
    page = admin_client.get(PAGE).content.decode()
    table = page[page.index('data-testid="wh-deliveries"') :]
    assert "PGR0VU2" in table
    assert 'href="/incidents/PGR0VU2/"' not in table  # Roster has no page for it yet: the link was a 404


def test_a_refused_delivery_shows_why_on_the_card(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"), secrets=["an-old-secret-value"])
    page = admin_client.get(PAGE).content.decode()
    assert (
        "the signature matched none of the saved secrets (answered 401, and nothing verified since: check the saved "
        "secret)" in page
    )


def test_a_refusal_followed_by_a_verified_delivery_is_history_not_an_alarm(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"), secrets=["an-old-secret-value"])
    deliver(fixture("incident.triggered"))
    page = admin_client.get(PAGE).content.decode()
    assert '<dd data-testid="wh-rejected" class="warning">' not in page
    assert "history — deliveries were verified or a secret saved since, or it is over a day old" in page


def test_a_refusal_over_a_day_old_is_history(admin_client, org, deliver, webhook_secret):
    import datetime as dt

    from django.utils import timezone

    deliver(fixture("incident.triggered"), secrets=["an-old-secret-value"])
    WebhookEndpoint.objects.update(last_rejected_at=timezone.now() - dt.timedelta(days=2))
    page = admin_client.get(PAGE).content.decode()
    assert '<dd data-testid="wh-rejected" class="warning">' not in page and 'data-testid="wh-rejected"' in page


def test_a_held_deliverys_incident_is_not_a_link_to_a_missing_page(admin_client, org, deliver, endpoint):
    deliver(fixture("incident.triggered"), secrets=[])  # no secret saved: held
    page = admin_client.get(PAGE).content.decode()
    incident_id = fixture("incident.triggered")["event"]["data"]["id"]
    assert f'processed">{incident_id}</span></td>' in page
    assert f'href="/incidents/{incident_id}/"' not in page


def test_a_processed_deliverys_incident_links_to_its_page(admin_client, org, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    incident_id = fixture("incident.triggered")["event"]["data"]["id"]
    page = admin_client.get(PAGE).content.decode()
    assert f'href="/incidents/{incident_id}/"' in page
    assert admin_client.get(f"/incidents/{incident_id}/").status_code == 200


def test_the_add_secret_dialog_opens_without_javascript(admin_client):
    response = admin_client.get(PAGE + "pagerduty/webhook-secrets/", follow=True)
    assert (
        '<dialog id="webhook-secret" class="dialog" aria-labelledby="webhook-secret-title" open>'
        in response.content.decode()
    )


def test_a_held_delivery_with_a_line_break_in_its_incident_id_does_not_break_the_settings_page(
    admin_user, member_user, deliver, endpoint
):
    from django.test import Client

    # Before a secret is saved anyone holding the URL can post; the card must still render.
    deliver(fixture("incident.triggered", data__id="PGR0VU2\nX"))
    deliver(fixture("incident.custom_field_values.updated", data__incident={"id": "Q1\nX", "type": "incident"}))
    admin, member = Client(), Client()
    admin.force_login(admin_user)
    member.force_login(member_user)
    response = admin.get(PAGE)
    assert response.status_code == 200
    assert "2 deliveries held until a signing secret is saved" in response.content.decode()
    assert member.get(PAGE).status_code == 200


def _backlog_text(page: str) -> str:
    start = page.index('data-testid="wh-backlog"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page[start : page.index("</dd>", start)]))


def test_the_card_says_when_every_delivery_is_processed(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    assert "all received deliveries are processed" in _backlog_text(admin_client.get(PAGE).content.decode())


def test_the_card_shows_deliveries_waiting_and_warns_when_processing_is_behind(
    admin_client, deliver, webhook_secret, monkeypatch, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from webhooks import tasks
    from webhooks.models import Delivery

    monkeypatch.setattr(tasks.process_deliveries, "apply_async", lambda *a, **k: None)  # no worker
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.acknowledged"))

    oldest = Delivery.objects.order_by("received_at").first().received_at
    text = _backlog_text(admin_client.get(PAGE).content.decode())
    assert f"2 deliveries waiting to be processed, the oldest received at {oldest:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "Processing is behind" not in text

    Delivery.objects.update(received_at=timezone.now() - timedelta(seconds=settings.WEBHOOK_BACKLOG_WARN_SECONDS + 60))
    page = admin_client.get(PAGE).content.decode()
    assert 'data-testid="wh-backlog" class="warning"' in page
    assert ". Processing is behind: check that Roster's worker (Celery) is running." in _backlog_text(page)


def test_the_card_counts_deliveries_that_could_not_be_processed(admin_client, deliver, webhook_secret):
    from webhooks.models import Delivery
    from webhooks.selectors import MAX_ATTEMPTS

    deliver(fixture("incident.triggered"))
    Delivery.objects.update(status="failed", attempts=MAX_ATTEMPTS, error="OperationalError: the database went away")
    text = _backlog_text(admin_client.get(PAGE).content.decode())
    assert "all received deliveries are processed" not in text
    assert "none waiting to be processed" in text
    assert "1 could not be processed after repeated attempts" in text


def test_unsigned_deliveries_are_shown_to_admins_only(client, admin_user, member_user, deliver, org, endpoint):
    from django.test import Client

    from webhooks.services import webhook_secret_add

    admin, member = Client(), Client()
    admin.force_login(admin_user)
    member.force_login(member_user)
    deliver(fixture("incident.triggered", data__title="Unsigned words"), secrets=["anyone-at-all"])

    page = member.get(PAGE).content.decode()
    assert 'data-testid="wh-held"' not in page and "held until" not in page
    assert 'data-testid="wh-deliveries"' not in page and "No deliveries yet" in page
    page = admin.get(PAGE).content.decode()
    assert "1 delivery held until a signing secret is saved" in page
    assert "Held until a signing secret is saved" in page[page.index('data-testid="wh-deliveries"') :]

    webhook_secret_add(organization=org, secret=SECRET)  # the held one matches none: discarded
    deliver(fixture("incident.triggered"), secrets=["a-forged-secret"])  # refused
    deliver(fixture("incident.acknowledged"))  # signed

    page = member.get(PAGE).content.decode()
    table = page[page.index('data-testid="wh-deliveries"') :]
    assert "<code>incident.acknowledged</code>" in table
    assert "<code>incident.triggered</code>" not in table and "Discarded" not in table
    assert 'data-testid="wh-rejected"' not in page and "answered 401" not in page
    page = admin.get(PAGE).content.decode()
    assert "Discarded: signature did not match" in page
    assert "the signature matched none of the saved secrets (answered 401" in page


def test_a_full_held_store_says_pagerduty_will_retry(admin_client, deliver, endpoint, settings):
    settings.WEBHOOK_MAX_HELD = 1
    page = admin_client.get(PAGE).content.decode()
    assert "up to 1; after that Roster answers 503 and PagerDuty retries them (for up to 48 hours)" in page
    deliver(fixture("incident.triggered"))
    assert deliver(fixture("incident.resolved")).status_code == 503
    page = admin_client.get(PAGE).content.decode()
    held = re.search(r'data-testid="wh-held" class="warning">([^<]+)<', page).group(1)
    assert held == (
        "1 held, the most Roster keeps: newer deliveries are refused (503) and PagerDuty retries them "
        "for up to 48 hours. Save a signing secret to receive them."
    )


def test_members_find_no_incident_from_a_held_delivery(member_client, deliver, endpoint):
    deliver(fixture("incident.triggered"), secrets=["anyone-at-all"])
    assert member_client.get("/incidents/PGR0VU2/").status_code == 404
    assert "PGR0VU2" not in member_client.get("/incidents/").content.decode()
    assert member_client.get("/api/incidents/").json()["incidents"] == []


def test_every_time_on_the_card_says_its_zone(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    page = admin_client.get(PAGE).content.decode()
    assert re.search(r"ending in <code>7Qz9</code>, added \d{4}-\d\d-\d\d \d\d:\d\d UTC", page)
    assert re.search(r'data-label="Received"><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time>', page)


def test_a_member_is_not_pointed_at_a_url_the_card_does_not_show_them(member_client, admin_user, org):
    member = member_client.get(PAGE).content.decode()
    assert "the URL above" not in member
    assert "once PagerDuty sends events to Roster's webhook URL, which an admin sets up here." in member
    member_client.force_login(admin_user)
    assert "once PagerDuty sends events to the URL above." in member_client.get(PAGE).content.decode()


def test_deliveries_given_up_are_listed_even_when_newer_ones_fill_the_last_ten(admin_client, deliver, webhook_secret):
    from webhooks.models import Delivery
    from webhooks.selectors import MAX_ATTEMPTS

    deliver(fixture("incident.triggered"))
    Delivery.objects.update(status="failed", attempts=MAX_ATTEMPTS, error="OperationalError: the database went away")
    for n in range(10):
        deliver(fixture("incident.acknowledged", id=f"ev-newer-{n}"))
    page = admin_client.get(PAGE).content.decode()
    assert "1 could not be processed after repeated attempts (listed below;" in _backlog_text(page)
    assert "Processing failed: OperationalError: the database went away" in page


def test_admins_are_asked_for_the_events_that_reopen_or_reassign_an_incident(admin_client, deliver, webhook_secret):
    """Without them, an incident reopened in PagerDuty stayed 'resolved' in Roster (and one whose
    acknowledgement timed out, 'acknowledged'); a reassigned one kept its old assignees."""
    from webhooks.models import Incident

    page = admin_client.get(PAGE).content.decode()
    for event in (
        "incident.reopened",
        "incident.unacknowledged",
        "incident.reassigned",
        "incident.escalated",
        "incident.delegated",
        "incident.priority_updated",
    ):
        assert f"<code>{event}</code>" in page
    deliver(fixture("incident.resolved"))
    reopened = fixture(
        "incident.triggered", id="ev-reopen", occurred_at="2020-10-02T20:00:00Z", data__status="triggered"
    )
    deliver({"event": {**reopened["event"], "event_type": "incident.reopened"}})
    assert Incident.objects.get(pagerduty_id="PGR0VU2").status == "triggered"


def test_the_newest_ten_given_up_are_exactly_the_ten_listed(admin_client, deliver, webhook_secret):
    """With given-up deliveries among the newest ten, the table listed more than "the newest 10"."""
    from webhooks.models import Delivery
    from webhooks.selectors import MAX_ATTEMPTS

    for n in range(11):
        deliver(fixture("incident.acknowledged", id=f"ev-given-up-{n}"))
    Delivery.objects.update(status="failed", attempts=MAX_ATTEMPTS, error="OperationalError: the database went away")
    deliver(fixture("incident.triggered"))
    page = admin_client.get(PAGE).content.decode()
    assert "11 could not be processed after repeated attempts (listed below, the newest 10;" in _backlog_text(page)
    table = page[page.index('data-testid="wh-deliveries"') :]
    assert table.count('<tr class="wh-failed">') == 10
