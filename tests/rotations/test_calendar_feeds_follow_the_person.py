"""Calendar feeds follow the person who made them: each member has their own URL for a rotation, and
leaving the organization or a deactivated account turns every URL they own off at once. A feed made
by an operator's API token belongs to no one: it is listed on the rotation page and lives until revoked."""

import importlib

from django.apps import apps

from accounts.actor import Actor
from accounts.models import AuditEvent, Membership, User
from rotations.calendar import feeds
from rotations.models import CalendarFeed
from tests.conftest import bearer

BASE = "https://roster.example.com"


def _page_url(client, rotation) -> str:
    """Create (or regenerate) my URL on the rotation page; the path it shows once."""
    page = client.post(f"/rotations/{rotation.pk}/calendar/", follow=True).content.decode()
    start = page.index(f'value="{BASE}/cal/') + len('value="') + len(BASE)
    return page[start : page.index('"', start)]


def _as(client, user):
    client.force_login(user)
    return client


def test_each_member_has_their_own_url_and_regenerating_mine_breaks_no_one_else_s(
    client, native, admin_user, member_user
):
    mine = _page_url(_as(client, admin_user), native)
    theirs = _page_url(_as(client, member_user), native)
    assert mine != theirs
    assert client.get(mine).status_code == 200 and client.get(theirs).status_code == 200

    regenerated = _page_url(_as(client, admin_user), native)
    assert client.get(mine).status_code == 404  # my old URL stops
    assert client.get(regenerated).status_code == 200
    assert client.get(theirs).status_code == 200  # theirs keeps working

    client.post(f"/rotations/{native.pk}/calendar/revoke/", {"confirm": "on"})
    assert client.get(regenerated).status_code == 404
    assert client.get(theirs).status_code == 200
    page = _as(client, member_user).get(f"/rotations/{native.pk}/").content.decode()
    assert "Your feed is active" in page and "Regenerate URL" in page


def test_removing_a_member_revokes_every_feed_they_own_at_once(admin_client, native, admin_user, member_user):
    org = native.organization
    rotation_feed, rotation_raw = feeds.calendar_feed_create(
        organization=org, rotation=native, user=member_user, actor=Actor.person(member_user)
    )
    _, person_raw = feeds.calendar_feed_create(organization=org, user=member_user, actor=Actor.person(member_user))
    _, admin_raw = feeds.calendar_feed_create(
        organization=org, rotation=native, user=admin_user, actor=Actor.person(admin_user)
    )
    assert admin_client.get(f"/cal/{rotation_raw}.ics").status_code == 200

    admin_client.post(f"/settings/members/{member_user.pk}/remove/", {"confirm": "on"})

    assert not Membership.objects.filter(organization=org, user=member_user).exists()
    assert admin_client.get(f"/cal/{rotation_raw}.ics").status_code == 404
    assert admin_client.get(f"/cal/{person_raw}.ics").status_code == 404
    assert admin_client.get(f"/cal/{admin_raw}.ics").status_code == 200  # the admin's own stays
    revoked = AuditEvent.objects.filter(organization=org, action="calendar_feed.revoked").values_list(
        "summary", flat=True
    )
    assert len(revoked) == 2
    assert any(f"…{rotation_feed.last4}" in s and "no longer a member" in s for s in revoked)

    # Invited back, their old URLs stay off: they make new ones.
    Membership.objects.create(organization=org, user=member_user, role=Membership.Role.MEMBER)
    assert admin_client.get(f"/cal/{rotation_raw}.ics").status_code == 404


def test_removal_through_the_api_revokes_in_the_same_transaction(client, native, admin_user, member_user):
    _, raw = feeds.calendar_feed_create(
        organization=native.organization, rotation=native, user=member_user, actor=Actor.person(member_user)
    )
    client.force_login(admin_user)
    assert client.delete(f"/api/members/{member_user.pk}").status_code in (200, 204)
    assert CalendarFeed.objects.get(user=member_user).revoked_at is not None
    assert client.get(f"/cal/{raw}.ics").status_code == 404


def test_a_deactivated_account_s_feeds_answer_404(client, native, member_user, staff_client):
    _, rotation_raw = feeds.calendar_feed_create(
        organization=native.organization, rotation=native, user=member_user, actor=Actor.person(member_user)
    )
    _, person_raw = feeds.calendar_feed_create(
        organization=native.organization, user=member_user, actor=Actor.person(member_user)
    )
    member_user.is_active = False
    member_user.save()  # Django admin's "Active" checkbox does the same
    assert client.get(f"/cal/{rotation_raw}.ics").status_code == 404
    assert client.get(f"/cal/{person_raw}.ics").status_code == 404
    assert CalendarFeed.objects.filter(user=member_user, revoked_at__isnull=True).count() == 0
    member_user.is_active = True
    member_user.save()
    assert client.get(f"/cal/{rotation_raw}.ics").status_code == 404  # revoked, not paused


def test_a_bulk_deactivation_that_sends_no_signal_still_turns_the_url_off(client, native, member_user):
    _, raw = feeds.calendar_feed_create(
        organization=native.organization, rotation=native, user=member_user, actor=Actor.person(member_user)
    )
    User.objects.filter(pk=member_user.pk).update(is_active=False)
    assert client.get(f"/cal/{raw}.ics").status_code == 404


def test_an_operator_s_token_makes_an_api_token_feed_listed_on_the_rotation_page(
    client, native, admin_user, member_user
):
    auth = bearer(native.organization, "write")
    path = f"/api/rotations/{native.pk}/calendar"
    made = client.post(path, content_type="application/json", **auth).json()["feed"]
    assert made["madeByApiToken"] is True
    url = made["url"].removeprefix(BASE)

    # A person's session sees their own (none yet), not the token's.
    client.force_login(member_user)
    assert client.get(path).json() == {"feed": None}
    mine = client.post(path, content_type="application/json").json()["feed"]
    assert mine["madeByApiToken"] is False and client.get(path).json()["feed"]["last4"] == mine["last4"]
    page = client.get(f"/rotations/{native.pk}/").content.decode()
    assert "made by an API token" in page and f"<code>{made['last4']}</code>" in page

    # It belongs to no one: removing members leaves it on; the operator's token revokes it.
    client.force_login(admin_user)
    client.post(f"/settings/members/{member_user.pk}/remove/", {"confirm": "on"})
    assert client.get(url).status_code == 200
    assert client.get(mine["url"].removeprefix(BASE)).status_code == 404
    assert client.get(path, **auth).json()["feed"]["last4"] == made["last4"]
    assert client.delete(path, **auth).status_code == 204
    assert client.get(url).status_code == 404


def test_a_person_s_api_token_manages_that_person_s_own_rotation_feed(client, native, admin_user):
    auth = bearer(native.organization, "write", created_by=admin_user)
    path = f"/api/rotations/{native.pk}/calendar"
    made = client.post(path, content_type="application/json", **auth)
    assert made.json()["feed"]["madeByApiToken"] is False
    client.force_login(admin_user)
    assert client.get(path).json()["feed"]["last4"] == made.json()["feed"]["last4"]


def test_the_migration_gives_today_s_shared_feed_to_its_creator_else_to_api_tokens(native, admin_user, member_user):
    migration = importlib.import_module("rotations.migrations.0005_calendar_feed_per_person")
    org = native.organization
    gone = User.objects.create_user(email="gone@acme.example", password="x-Very-long-pass-1")
    shared, made = {}, []
    for name, creator in (("admin", admin_user), ("token", None), ("gone", gone)):
        feed, shared[name] = feeds.calendar_feed_create(organization=org, rotation=native, user=None, actor=None)
        made.append((feed.pk, creator))
    for pk, creator in made:  # as before the migration: shared, by whoever made it
        CalendarFeed.objects.filter(pk=pk).update(created_by=creator, revoked_at=None)
    migration.give_rotation_feeds_to_their_creators(apps, None)
    assert feeds.calendar_feed_for_token(shared["admin"]).user == admin_user
    assert feeds.calendar_feed_for_token(shared["token"]).made_by_api_token
    assert feeds.calendar_feed_for_token(shared["gone"]).made_by_api_token  # not a member: kept, as a token's
