"""The receiver's two statements (webhooks/intake.py) behave as the ORM would."""

import pytest
from django.utils import timezone

from webhooks import intake, selectors
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def _store(org, **values):
    values = {"raw_body": b'{"event": {}}', "verified": True, "received_at": timezone.now(), **values}
    return intake.insert_delivery(organization_id=org.pk, **values)


def test_a_delivery_is_stored_with_defaults_and_read_back_by_the_orm(org):
    pk = _store(org, headers={"X-Webhook-Id": "wh-1"}, webhook_id="wh-1", event_id="ev-1")
    delivery = Delivery.objects.get(pk=pk)
    assert bytes(delivery.raw_body) == b'{"event": {}}'
    assert delivery.headers == {"X-Webhook-Id": "wh-1"}
    assert (delivery.status, delivery.attempts, delivery.error, delivery.enqueue_failed) == ("received", 0, "", False)


def test_the_same_webhook_id_or_event_id_in_one_organization_is_not_stored_twice(org, other_org):
    assert _store(org, webhook_id="wh-1", event_id="ev-1") is not None
    assert _store(org, webhook_id="wh-1", event_id="ev-2") is None
    assert _store(org, webhook_id="wh-2", event_id="ev-1") is None
    assert _store(other_org, webhook_id="wh-1", event_id="ev-1") is not None
    assert Delivery.objects.count() == 2


def test_unsigned_held_deliveries_never_count_as_duplicates(org):
    assert _store(org, webhook_id="wh-1", event_id="ev-1", verified=False) is not None
    assert _store(org, webhook_id="wh-1", event_id="ev-1") is not None


def test_a_field_the_model_does_not_have_is_refused(org):
    with pytest.raises(TypeError, match="no field"):
        _store(org, webhook_ids="typo")


def test_the_endpoint_comes_with_its_organizations_secrets_oldest_first(org, endpoint):
    from webhooks.services import webhook_secret_add

    assert selectors.receiving_endpoint(endpoint.public_id).secrets == []
    webhook_secret_add(organization=org, secret="first-secret-1234")
    webhook_secret_add(organization=org, secret="second-secret-5678")
    found = selectors.receiving_endpoint(endpoint.public_id)
    assert (found.pk, found.organization_id, found.secrets) == (
        endpoint.pk,
        org.pk,
        ["first-secret-1234", "second-secret-5678"],
    )
    assert selectors.receiving_endpoint("no-such-endpoint") is None


def test_an_endpoint_id_with_a_nul_character_is_simply_not_found(client, endpoint):
    # Anyone may post to any URL; PostgreSQL refuses NUL in a query (a 500 there before).
    assert selectors.receiving_endpoint(endpoint.public_id + "\x00") is None
    response = client.post("/webhooks/pagerduty/ab%00cd/", data="{}", content_type="application/json")
    assert response.status_code == 400  # refused before any view (config/middleware.py)
