"""On PostgreSQL: a double submit of one invitation makes one account and one membership, and two
admins demoting each other at the same moment leave the organization with an admin."""

import pytest

from accounts import services
from accounts.models import Membership, User
from tests.conftest import PASSWORD
from tests.threads import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]


def test_a_double_submit_creates_one_account_and_one_membership(org, monkeypatch):
    url = services.invitation_create(organization=org, email="new@acme.example", role="member").accept_url
    token = url.rstrip("/").rsplit("/", 1)[1]

    def accept():
        invitation = services.invitation_for_token(token)
        services.invitation_accept_new_user(invitation=invitation, first_name="Nia", password=PASSWORD)

    errors = run_together(monkeypatch, services, "_invitation_claim", [accept, accept])
    assert [type(e).__name__ for e in errors] == ["InvitationUnavailable"]
    assert User.objects.filter(email="new@acme.example").count() == 1
    assert Membership.objects.filter(organization=org, user__email="new@acme.example").count() == 1


def test_two_admins_demoting_each_other_at_once_leave_one_admin(org, admin_user, member_user, monkeypatch):
    Membership.objects.filter(user=member_user).update(role="admin")

    def demote(user):
        return lambda: services.membership_change_role(organization=org, user_id=user.id, role="member")

    errors = run_together(monkeypatch, services, "_locked_membership", [demote(admin_user), demote(member_user)])
    assert [type(e).__name__ for e in errors] == ["LastAdmin"]
    assert Membership.objects.filter(organization=org, role="admin").count() == 1
