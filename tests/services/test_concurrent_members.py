"""On PostgreSQL: a double submit of one invitation makes one account and one membership, and two
admins demoting each other at the same moment leave the organization with an admin."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection

from accounts import services
from accounts.models import Membership, User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: run `make test-services`")


def run_together(monkeypatch, name: str, calls) -> list[str]:
    """Run `calls` in threads that all reach services.<name> before any goes on; returns their errors."""
    together = threading.Barrier(len(calls), timeout=20)
    real = getattr(services, name)

    def wait_then(*args, **kwargs):
        together.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, wait_then)
    errors = []

    def run(call):
        try:
            call()
        except Exception as error:  # noqa: BLE001  (the test inspects every failure)
            errors.append(type(error).__name__)
        finally:
            db_connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(run, calls, timeout=30))
    return errors


def test_a_double_submit_creates_one_account_and_one_membership(org, monkeypatch):
    url = services.invitation_create(organization=org, email="new@acme.example", role="member").accept_url
    token = url.rstrip("/").rsplit("/", 1)[1]

    def accept():
        invitation = services.invitation_for_token(token)
        services.invitation_accept_new_user(invitation=invitation, first_name="Nia", password=PASSWORD)

    errors = run_together(monkeypatch, "_invitation_claim", [accept, accept])
    assert errors == ["InvitationUnavailable"]
    assert User.objects.filter(email="new@acme.example").count() == 1
    assert Membership.objects.filter(organization=org, user__email="new@acme.example").count() == 1


def test_two_admins_demoting_each_other_at_once_leave_one_admin(org, admin_user, member_user, monkeypatch):
    Membership.objects.filter(user=member_user).update(role="admin")

    def demote(user):
        return lambda: services.membership_change_role(organization=org, user_id=user.id, role="member")

    errors = run_together(monkeypatch, "_locked_membership", [demote(admin_user), demote(member_user)])
    assert errors == ["LastAdmin"]
    assert Membership.objects.filter(organization=org, role="admin").count() == 1
