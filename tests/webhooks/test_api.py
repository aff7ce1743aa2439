"""The JSON API: webhook URL and secrets (admins), incidents (members), scoped to one organization."""

import pytest

from webhooks import processing, selectors
from webhooks.models import WebhookSecret

from .conftest import SECRET, fixture, incidents_received

pytestmark = pytest.mark.django_db


def test_scripts_get_the_webhook_url_and_events(client, token_auth, org):
    data = client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()
    from webhooks.services import endpoint_for

    assert data["url"] == f"https://roster.example.com/webhooks/pagerduty/{endpoint_for(org).public_id}/"
    assert data["events"] == processing.SUBSCRIBED_EVENTS  # the card's list (test_card.py names them)
    assert data["secrets"] == [] and data["heldDeliveries"] == 0 and data["lastTestReceivedAt"] is None
    assert (data["waitingDeliveries"], data["oldestWaitingAt"], data["processingStalled"]) == (0, None, False)
    assert data["failedDeliveries"] == 0


def test_scripts_see_deliveries_waiting_for_the_worker(client, token_auth, deliver, webhook_secret, monkeypatch):
    from webhooks import tasks
    from webhooks.models import Delivery

    monkeypatch.setattr(tasks.process_deliveries, "apply_async", lambda *a, **k: None)  # no worker
    deliver(fixture("incident.triggered"))
    data = client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()
    received_at = Delivery.objects.get().received_at
    assert data["waitingDeliveries"] == 1
    assert data["oldestWaitingAt"] == received_at.isoformat()
    assert data["processingStalled"] is False


def test_scripts_add_and_delete_a_secret_and_never_see_it_again(client, token_auth, org):
    created = client.post(
        "/api/integrations/pagerduty/webhook-secrets",
        {"secret": SECRET, "label": "prod"},
        content_type="application/json",
        **token_auth,
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["label"], body["last4"]) == ("prod", "7Qz9")
    listed = client.get("/api/integrations/pagerduty/webhook-url", **token_auth)
    assert [s["last4"] for s in listed.json()["secrets"]] == ["7Qz9"]
    assert SECRET not in created.content.decode() + listed.content.decode()

    deleted = client.delete(f"/api/integrations/pagerduty/webhook-secrets/{body['id']}", **token_auth)
    assert deleted.status_code == 204
    assert not WebhookSecret.objects.exists()
    again = client.delete(f"/api/integrations/pagerduty/webhook-secrets/{body['id']}", **token_auth)
    assert again.status_code == 404


def test_a_bad_secret_gets_a_json_error(client, token_auth):
    response = client.post(
        "/api/integrations/pagerduty/webhook-secrets",
        {"secret": 12345678},
        content_type="application/json",
        **token_auth,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_secret"


def test_members_may_not_see_the_url_or_change_secrets(member_client, org):
    assert member_client.get("/api/integrations/pagerduty/webhook-url").status_code == 403
    response = member_client.post(
        "/api/integrations/pagerduty/webhook-secrets", {"secret": SECRET}, content_type="application/json"
    )
    assert response.status_code in (403,)  # CSRF or role: refused either way
    assert not WebhookSecret.objects.exists()


def test_incidents_are_listed_filtered_and_shown_with_their_timeline(client, token_auth, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.acknowledged"))
    deliver(
        fixture(
            "incident.triggered",
            data__id="POTHER1",
            data__number=3,
            id="ev-other",
            data__service={"id": "PSVC2", "summary": "Billing"},
        )
    )

    everything = client.get("/api/incidents/", **token_auth).json()["incidents"]
    assert {i["id"] for i in everything} == {"PGR0VU2", "POTHER1"}
    acked = client.get("/api/incidents/?status=acknowledged", **token_auth).json()["incidents"]
    assert [i["id"] for i in acked] == ["PGR0VU2"]
    billing = client.get("/api/incidents/?service=PSVC2", **token_auth).json()["incidents"]
    assert [i["id"] for i in billing] == ["POTHER1"]

    detail = client.get("/api/incidents/PGR0VU2/", **token_auth).json()
    assert detail["status"] == "acknowledged"
    assert detail["service"] == {"id": "PF9KMXH", "name": "API Service"}
    assert detail["escalationPolicy"] == {"id": "PUS0KTE", "name": "Default"}
    assert detail["assignees"] == [{"id": "PTUXL6G", "name": "User 123"}]
    assert detail["htmlUrl"] == "https://acme.pagerduty.com/incidents/PGR0VU2"
    assert [e["type"] for e in detail["timeline"]] == ["incident.triggered", "incident.acknowledged"]


def test_an_unknown_status_filter_is_a_400(client, token_auth):
    assert client.get("/api/incidents/?status=nope", **token_auth).status_code == 400


def test_another_organizations_incidents_are_invisible(deliver, webhook_secret, outsider_client):
    deliver(fixture("incident.triggered"))
    assert outsider_client.get("/api/incidents/").json()["incidents"] == []
    assert outsider_client.get("/api/incidents/PGR0VU2/").status_code == 404


def test_members_can_read_incidents(member_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    assert [i["id"] for i in member_client.get("/api/incidents/").json()["incidents"]] == ["PGR0VU2"]


def test_an_empty_status_filter_is_a_400_as_the_description_says(client, token_auth):
    """The description lists the statuses a filter may name (a Schemathesis finding: `?status=` was a 200)."""
    response = client.get("/api/incidents/?status=&service=x", **token_auth)
    assert response.status_code == 400
    assert response.json()["errors"] == {"status": ["status must be one of: triggered, acknowledged, resolved."]}


def test_the_api_says_why_an_incident_was_resolved_as_its_page_does(client, token_auth, deliver, webhook_secret):
    merged_into = {"id": "PMAIN01", "type": "incident_reference", "summary": "Database is down"}
    deliver(
        fixture("incident.resolved", data__resolve_reason={"type": "merge_resolve_reason", "incident": merged_into})
    )
    assert client.get("/api/incidents/PGR0VU2/", **token_auth).json()["resolveReason"] == "Merged into Database is down"
    deliver(fixture("incident.triggered", id="ev-other", data__id="POTHER1"))
    assert client.get("/api/incidents/POTHER1/", **token_auth).json()["resolveReason"] is None


def test_scripts_see_the_last_refused_delivery_as_the_card_does(client, token_auth, deliver, webhook_secret):
    from webhooks.models import WebhookEndpoint

    data = client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()
    assert (data["lastRefusedAt"], data["lastRefusedReason"], data["refusalNeedsAttention"]) == (None, None, False)
    deliver(fixture("incident.triggered"), secrets=["an-old-secret-value"])
    data = client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()
    assert data["lastRefusedAt"] == WebhookEndpoint.objects.get().last_rejected_at.isoformat()
    assert data["lastRefusedReason"] == "the signature matched none of the saved secrets"
    assert data["refusalNeedsAttention"] is True


def every_page(client, token_auth, query: str = "") -> tuple[list[str], list[dict]]:
    """What a script does: page 1, then each `nextPage` until there is none."""
    seen, pages, page = [], [], 1
    while page is not None:
        body = client.get(f"/api/incidents/?{query}page={page}", **token_auth).json()
        seen += [i["id"] for i in body["incidents"]]
        pages.append({k: v for k, v in body.items() if k != "incidents"})
        page = body["nextPage"]
    return seen, pages


def test_a_script_pages_through_every_incident_each_exactly_once_in_order(client, token_auth, org, monkeypatch):
    monkeypatch.setattr(selectors, "API_INCIDENTS_PER_PAGE", 50)
    incidents_received(org, 120)
    seen, pages = every_page(client, token_auth)
    # Newest first; P0119 and P0118 were created and first seen at the same moment: the id breaks the tie.
    assert seen == [f"P{n:04d}" for n in reversed(range(120))]
    assert pages == [
        {"page": 1, "pageSize": 50, "total": 120, "nextPage": 2},
        {"page": 2, "pageSize": 50, "total": 120, "nextPage": 3},
        {"page": 3, "pageSize": 50, "total": 120, "nextPage": None},
    ]


def test_the_filters_are_kept_across_pages(client, token_auth, org, monkeypatch):
    monkeypatch.setattr(selectors, "API_INCIDENTS_PER_PAGE", 50)
    incidents_received(org, 120, status=lambda n: "acknowledged" if n % 3 == 0 else "resolved")
    acknowledged = [i.pagerduty_id for i in selectors.incidents(organization=org, status="acknowledged")]
    seen, pages = every_page(client, token_auth, "status=acknowledged&service=PSVC1&")
    assert seen == acknowledged and len(acknowledged) == 40
    assert pages == [{"page": 1, "pageSize": 50, "total": 40, "nextPage": None}]
    assert every_page(client, token_auth, "service=PNONE&")[1] == [
        {"page": 1, "pageSize": 50, "total": 0, "nextPage": None}
    ]


def test_a_call_without_a_page_still_answers_the_newest_500_in_the_same_order(client, token_auth, org):
    newest_first = incidents_received(org, 510)
    body = client.get("/api/incidents/", **token_auth).json()
    assert [i["id"] for i in body["incidents"]] == newest_first[:500]
    assert set(body["incidents"][0]) >= {"id", "number", "title", "status", "service", "createdAt", "known"}
    assert (body["page"], body["pageSize"], body["total"], body["nextPage"]) == (1, 500, 510, 2)
    rest = client.get("/api/incidents/?page=2", **token_auth).json()
    assert [i["id"] for i in rest["incidents"]] == newest_first[500:] and rest["nextPage"] is None


@pytest.mark.parametrize("page", ["0", "-1", "1.5", "two", ""])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_it(client, token_auth, org, page):
    response = client.get(f"/api/incidents/?page={page}", **token_auth)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


def test_a_page_past_the_last_is_a_409_naming_it(client, token_auth, org):
    incidents_received(org, 3)
    assert client.get("/api/incidents/?page=1", **token_auth).status_code == 200
    response = client.get("/api/incidents/?page=2", **token_auth)
    assert response.status_code == 409
    assert response.json() == {
        "code": "page_out_of_range",
        "message": "page must be at most 1 (3 incidents match, 500 a page).",
        "errors": {"page": ["page must be at most 1 (3 incidents match, 500 a page)."]},
    }
