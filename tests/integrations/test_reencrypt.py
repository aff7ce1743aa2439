"""Rotating FIELD_ENCRYPTION_KEY with `manage.py reencrypt_secrets`: put the new key first, run the
command, remove the old key, and every stored secret still reads back."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.core.management import CommandError, call_command
from django.db import connection as db
from encrypted_model_fields import fields as encrypted

from integrations.pagerduty.models import PagerDutyConnection
from tests.factories import PagerDutyConnectionFactory
from webhooks.models import WebhookSecret

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))
API_KEY = "u+RotateMe-key-9876"
WEBHOOK_SECRET = "whsec-RotateMe-5432"


@pytest.fixture
def use_keys(settings, monkeypatch):
    """Configure FIELD_ENCRYPTION_KEY (first key encrypts, any decrypts), as a deploy would."""

    def use(*keys):
        settings.FIELD_ENCRYPTION_KEY = list(keys)
        monkeypatch.setattr(encrypted, "CRYPTER", MultiFernet([Fernet(k) for k in keys]))

    return use


@pytest.fixture
def stored(org, use_keys):
    """A connection and a webhook secret written under the OLD key."""
    use_keys(OLD)
    conn = PagerDutyConnectionFactory(organization=org, api_key=API_KEY)
    secret = WebhookSecret.objects.create(organization=org, secret=WEBHOOK_SECRET, last4="5432")
    return conn, secret


def _raw(table: str, column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (test constants)
        return cursor.fetchone()[0]


def _run(*args) -> str:
    out = StringIO()
    call_command("reencrypt_secrets", *args, stdout=out)
    return out.getvalue()


def test_after_reencrypting_the_old_key_can_be_removed(stored, use_keys):
    conn, secret = stored
    use_keys(NEW, OLD)

    output = _run()

    assert "pagerduty.PagerDutyConnection.api_key: 0 under the first key, 1 re-encrypted" in output
    assert "webhooks.WebhookSecret.secret: 0 under the first key, 1 re-encrypted" in output
    assert "older keys can be removed" in output
    use_keys(NEW)  # the old key is gone
    assert PagerDutyConnection.objects.get(pk=conn.pk).api_key == API_KEY
    assert WebhookSecret.objects.get(pk=secret.pk).secret == WEBHOOK_SECRET
    assert "Every value is under the first key" in _run("--check")


def test_check_changes_nothing_and_fails_while_values_are_under_an_older_key(stored, use_keys):
    conn, _ = stored
    before = _raw("pagerduty_pagerdutyconnection", "api_key", conn.pk)
    use_keys(NEW, OLD)

    with pytest.raises(CommandError, match="still under an older key: run `manage.py reencrypt_secrets`"):
        _run("--check")

    assert _raw("pagerduty_pagerdutyconnection", "api_key", conn.pk) == before


def test_running_it_twice_changes_nothing_the_second_time(stored, use_keys):
    use_keys(NEW, OLD)
    _run()
    conn, _ = stored
    after_first = _raw("pagerduty_pagerdutyconnection", "api_key", conn.pk)
    assert "PagerDutyConnection.api_key: 1 under the first key, 0 re-encrypted" in _run()
    assert _raw("pagerduty_pagerdutyconnection", "api_key", conn.pk) == after_first


def test_a_value_no_key_decrypts_is_reported_by_primary_key_and_left_alone(org, stored, use_keys):
    use_keys(LOST)
    lost = WebhookSecret.objects.create(organization=org, secret="whsec-written-with-a-lost-key", last4="-key")
    before = _raw("webhooks_webhooksecret", "secret", lost.pk)
    use_keys(NEW, OLD)

    with pytest.raises(CommandError, match="1 stored values are not decrypted by any key"):
        _run()

    assert _raw("webhooks_webhooksecret", "secret", lost.pk) == before
    use_keys(NEW)
    assert PagerDutyConnection.objects.get().api_key == API_KEY  # the others were re-encrypted


def test_the_output_never_contains_a_secret(org, stored, use_keys, captured_logs):
    use_keys(LOST)
    WebhookSecret.objects.create(organization=org, secret="whsec-written-with-a-lost-key", last4="-key")
    use_keys(NEW, OLD)
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("reencrypt_secrets", stdout=out)
    shown = out.getvalue() + str(failure.value) + captured_logs.text
    for secret in (API_KEY, WEBHOOK_SECRET, "whsec-written-with-a-lost-key", OLD, NEW):
        assert secret not in shown
    assert (
        "webhooks.WebhookSecret.secret: 0 under the first key, 1 re-encrypted; 1 no configured key decrypts (primary keys"
        in shown
    )
