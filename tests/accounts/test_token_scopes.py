"""Organization API tokens have scopes (read < write < admin), may expire, and work only while the
admin who created them is an admin. Every route under /api/ is found from the URL resolver, so a
new route is checked here without anyone remembering to add it."""

import importlib
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken, Membership
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

SCOPES = ["read", "write", "admin"]

# Under /api/ but not the JSON API: PagerDuty sends the admin's browser back here (session only).
# Not JSON API calls: PagerDuty's OAuth redirect (a browser page) and the API's public description.
BROWSER_PAGES = {"api/integrations/pagerduty/login/callback", "api/schema/", "api/docs/"}

# The policy. Every other route and method needs admin.
NOT_ADMIN = {
    ("api/rotations/", "GET"): "read",
    ("api/rotations/", "POST"): "write",
    ("api/rotations/<int:rotation_id>/", "GET"): "read",
    ("api/rotations/<int:rotation_id>/", "PATCH"): "write",
    ("api/rotations/<int:rotation_id>/", "DELETE"): "write",
    ("api/rotations/<int:rotation_id>/sync", "POST"): "write",
    ("api/rotations/<int:rotation_id>/current", "GET"): "read",
    ("api/rotations/<int:rotation_id>/shifts", "GET"): "read",
    ("api/rotations/<int:rotation_id>/overrides", "GET"): "read",
    ("api/rotations/<int:rotation_id>/overrides", "POST"): "write",
    ("api/rotations/<int:rotation_id>/overrides/<int:override_id>", "DELETE"): "write",
    ("api/rotations/<int:rotation_id>/skips", "GET"): "read",
    ("api/rotations/<int:rotation_id>/skips", "POST"): "write",
    ("api/rotations/<int:rotation_id>/skips/<int:skip_id>", "DELETE"): "write",
    ("api/rotations/<int:rotation_id>/notifications", "GET"): "read",
    ("api/rotations/<int:rotation_id>/reminders/me", "GET"): "read",
    ("api/rotations/<int:rotation_id>/reminders/me", "PATCH"): "write",
    ("api/rotations/<int:rotation_id>/reminders/defaults", "GET"): "read",
    ("api/incidents/", "GET"): "read",
    ("api/incidents/<path:pagerduty_id>/", "GET"): "read",
    ("api/members/", "GET"): "read",
    ("api/rotations/<int:rotation_id>/calendar", "GET"): "read",
    ("api/rotations/<int:rotation_id>/calendar", "POST"): "write",
    ("api/rotations/<int:rotation_id>/calendar", "DELETE"): "write",
    ("api/me/calendar", "GET"): "read",
    ("api/me/calendar", "POST"): "write",
    ("api/me/calendar", "DELETE"): "write",
    ("api/me/time-off", "GET"): "read",
    ("api/me/time-off", "POST"): "write",
    ("api/me/time-off/<int:time_off_id>", "DELETE"): "write",
    ("api/rotations/<int:rotation_id>/cover-requests", "GET"): "read",
    ("api/rotations/<int:rotation_id>/cover-requests", "POST"): "write",
    ("api/cover-requests/<int:cover_request_id>", "GET"): "read",
    ("api/cover-requests/<int:cover_request_id>/take", "POST"): "write",
    ("api/cover-requests/<int:cover_request_id>/cancel", "POST"): "write",
}

# Named although every unlisted route needs admin: outgoing webhooks (their signing secrets, where
# Roster POSTs) stay admin-only; a route that moves out of this set fails below.
ADMIN_ONLY = {
    ("api/webhook-endpoints", "GET"),
    ("api/webhook-endpoints", "POST"),
    ("api/webhook-endpoints/<int:endpoint_id>", "GET"),
    ("api/webhook-endpoints/<int:endpoint_id>", "PATCH"),
    ("api/webhook-endpoints/<int:endpoint_id>", "DELETE"),
    ("api/webhook-endpoints/<int:endpoint_id>/test", "POST"),
    ("api/webhook-endpoints/<int:endpoint_id>/deliveries", "GET"),
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.callback


def api_routes() -> dict[str, object]:
    return {route: view for route, view in _walk(get_resolver().url_patterns) if route.startswith("api/")}


def json_routes() -> list[tuple[str, str, str]]:
    """(route, method, scope the route declares) for every JSON API route and method."""
    found = []
    for route, view in api_routes().items():
        if route not in BROWSER_PAGES:
            found += [(route, method, scope) for method, scope in view.token_scopes.items()]
    return found


def url(route: str) -> str:
    return "/" + re.sub(r"<(?:int:)\w+>", "999999", re.sub(r"<(?:str:|path:)?\w+>", "P1234", route))


def call(client, method, path, **auth):
    if method == "GET":
        return client.get(path, **auth)
    return getattr(client, method.lower())(path, data="{}", content_type="application/json", **auth)


def test_every_route_under_api_is_a_json_view_that_declares_its_token_scopes():
    routes = api_routes()
    assert len(routes) > 10
    assert {r for r, view in routes.items() if not hasattr(view, "token_scopes")} == BROWSER_PAGES


@pytest.mark.parametrize(("route", "method", "needed"), json_routes())
@pytest.mark.parametrize("scope", SCOPES)
def test_a_token_outside_the_route_s_scope_gets_403_naming_the_scope_needed(client, org, route, method, needed, scope):
    response = call(client, method, url(route), **bearer(org, scope))
    assert response.status_code < 500
    body = response.json() if response.headers.get("Content-Type") == "application/json" else {}
    if SCOPES.index(scope) < SCOPES.index(needed):
        assert response.status_code == 403
        assert body["code"] == "insufficient_scope"
        assert body["requiredScope"] == needed
        assert f"this call needs {needed}" in body["message"]
    else:
        assert body.get("code") not in ("insufficient_scope", "forbidden", "invalid_token")


@pytest.mark.parametrize(("route", "method", "needed"), json_routes())
def test_each_route_needs_the_scope_the_policy_gives_it(route, method, needed):
    assert needed == NOT_ADMIN.get((route, method), "admin")


def test_the_routes_named_admin_only_exist_and_need_admin():
    declared = {(route, method): scope for route, method, scope in json_routes()}
    assert {key: declared.get(key) for key in ADMIN_ONLY} == dict.fromkeys(ADMIN_ONLY, "admin")
    assert not ADMIN_ONLY & set(NOT_ADMIN)


@pytest.mark.parametrize(("route", "method", "needed"), [r for r in json_routes() if r[1] == "GET"])
def test_a_read_token_reads_exactly_what_a_member_may_read(member_client, route, method, needed):
    forbidden_to_members = member_client.get(url(route)).status_code == 403
    assert needed == ("admin" if forbidden_to_members else "read")


def test_an_operation_that_forgets_to_declare_its_scope_is_admin_only():
    from accounts.api import auth

    token, session = auth()
    assert (token.scope, session.admin) == ("admin", True)
    token, session = auth("read")
    assert (token.scope, session.admin) == ("read", False)
    with pytest.raises(ValueError):
        auth("everything")


def test_a_read_token_cannot_invite_an_attacker_or_remove_an_admin(client, org, admin_user, member_user):
    auth = bearer(org, "read")
    response = call(client, "post", "/api/members/invitations", **auth)
    assert response.status_code == 403
    assert response.json()["requiredScope"] == "admin"
    assert client.delete(f"/api/members/{admin_user.pk}", **auth).status_code == 403
    assert Membership.objects.filter(user=admin_user, organization=org, role="admin").exists()
    assert org.invitations.count() == 0


def test_a_write_token_creates_a_rotation_but_cannot_touch_the_pagerduty_connection(client, org):
    auth = bearer(org, "write")
    body = '{"name": "Primary", "timeZone": "UTC", "members": [{"name": "Ann", "email": "ann@acme.example"}]}'
    created = client.post("/api/rotations/", data=body, content_type="application/json", **auth)
    assert created.status_code == 201
    response = client.delete("/api/integrations/pagerduty/", **auth)
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")


def test_create_api_token_takes_a_scope_and_an_expiry_and_defaults_to_read(org):
    out = io.StringIO()
    call_command("create_api_token", org.slug, "--scope", "write", "--expires-days", "30", stdout=out)
    token = ApiToken.objects.get()
    assert (token.scope, token.by_operator, token.created_by) == ("write", True, None)
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    call_command("create_api_token", org.slug, "--name", "plain", stdout=io.StringIO())
    plain = ApiToken.objects.get(name="plain")
    assert (plain.scope, plain.expires_at) == ("read", None)


def test_the_authorization_scheme_is_read_in_any_case(client, org):
    _, raw = services.api_token_create(organization=org, name="ci", scope="read")
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert client.get("/api/members/", HTTP_AUTHORIZATION=f"{scheme} {raw}").status_code == 200


def test_an_expired_token_is_a_401_token_expired(client, org):
    auth = bearer(org, "admin", expires_in_days=1)
    assert client.get("/api/members/", **auth).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = client.get("/api/members/", **auth)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "expired on" in response.json()["message"]


def test_last_used_is_kept_to_the_minute_without_a_write_per_request(client, org):
    auth = bearer(org, "read")
    start = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(start, tick=False):
        client.get("/api/members/", **auth)
    token = ApiToken.objects.get()
    assert token.last_used_at == start

    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        for _ in range(3):
            assert client.get("/api/members/", **auth).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start  # a burst within the minute: no write per request

    with time_machine.travel(start + timedelta(minutes=1, seconds=10), tick=False):
        client.get("/api/members/", **auth)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(minutes=1, seconds=10)


def test_an_admin_creates_a_scoped_expiring_token_on_the_page(admin_client, client, org):
    admin_client.post("/settings/api-tokens/", {"name": "ci", "scope": "write", "expires_in_days": "7"})
    page = admin_client.get("/settings/api-tokens/").content.decode()
    raw = page.split('aria-label="New API token"')[0].rsplit('value="', 1)[1].split('"')[0]
    token = ApiToken.objects.get()
    assert (token.scope, token.created_by.email, token.by_operator) == ("write", "admin@acme.example", False)
    row = page.split('data-testid="tokens"')[1]
    assert '<td data-label="Scope">Write</td>' in row
    assert token.expires_at.strftime("%Y-%m-%d") in row
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.post("/api/rotations/999/sync", **auth).status_code == 404
    assert client.get("/api/integrations/pagerduty/", **auth).json()["code"] == "insufficient_scope"


def test_the_page_refuses_an_unknown_scope(admin_client):
    page = admin_client.post("/settings/api-tokens/", {"name": "ci", "scope": "root"}).content.decode()
    assert "Select a valid choice." in page
    assert not ApiToken.objects.exists()


def _demote(org, user):
    services.membership_change_role(organization=org, user_id=user.pk, role="member")


def _remove(org, user):
    services.membership_remove(organization=org, user_id=user.pk)


def _deactivate(org, user):
    user.is_active = False
    user.save(update_fields=["is_active"])


DEMOTED = "admin@acme.example is no longer an admin of Acme"
DEACTIVATED = "the account of admin@acme.example was deactivated"


@pytest.mark.parametrize(
    ("stop_being_admin", "why"), [(_demote, DEMOTED), (_remove, DEMOTED), (_deactivate, DEACTIVATED)]
)
def test_a_token_stops_working_when_its_creator_stops_being_an_admin_and_the_page_says_so(
    client, org, admin_user, member_user, stop_being_admin, why
):
    auth = bearer(org, created_by=admin_user)
    operator_auth = bearer(org, "read")
    assert client.get("/api/members/", **auth).status_code == 200
    services.membership_change_role(organization=org, user_id=member_user.pk, role="admin")
    stop_being_admin(org, admin_user)

    response = client.get("/api/members/", **auth)
    assert response.status_code == 401
    assert response.json()["code"] == "token_creator_not_admin"
    assert why in response.json()["message"]
    # An operator's token (command line) has no creator: it keeps working.
    assert client.get("/api/members/", **operator_auth).status_code == 200

    client.force_login(member_user)
    page = client.get("/settings/api-tokens/").content.decode()
    problems = re.findall(r'data-testid="token-problem">([^<]*)<', page)
    assert problems == [
        f"The API token stopped working: {why}. An admin can create a new one in Settings → API tokens."
    ]


def test_a_token_made_admin_again_works_again(client, org, admin_user, member_user):
    auth = bearer(org, "read", created_by=admin_user)
    services.membership_change_role(organization=org, user_id=member_user.pk, role="admin")
    _demote(org, admin_user)
    assert client.get("/api/members/", **auth).status_code == 401
    services.membership_change_role(organization=org, user_id=admin_user.pk, role="admin")
    assert client.get("/api/members/", **auth).status_code == 200


def test_a_token_whose_creator_s_account_was_deleted_stops_working(client, org, admin_user, member_user):
    auth = bearer(org, "read", created_by=admin_user)
    services.membership_change_role(organization=org, user_id=member_user.pk, role="admin")
    admin_user.delete()
    response = client.get("/api/members/", **auth)
    assert (response.status_code, response.json()["code"]) == (401, "token_creator_not_admin")


def test_the_upgrade_makes_every_existing_token_admin_so_no_script_breaks(org, admin_user):
    migration = importlib.import_module("accounts.migrations.0003_token_scopes_and_email_confirmation")
    by_admin, _ = ApiToken.generate(organization=org, name="old ci", scope="read", created_by=admin_user)
    by_command, _ = ApiToken.generate(organization=org, name="old cron", scope="read")
    ApiToken.objects.update(by_operator=False)  # as the new column starts on upgrade

    migration.existing_tokens_become_admin(apps, None)

    by_admin.refresh_from_db()
    by_command.refresh_from_db()
    assert (by_admin.scope, by_admin.by_operator) == ("admin", False)
    assert (by_command.scope, by_command.by_operator) == ("admin", True)


def test_revoking_a_token_asks_first_even_without_javascript(admin_client, org, admin_user):
    token, _ = services.api_token_create(organization=org, name="Nightly export", scope="read", created_by=admin_user)
    page = admin_client.get("/settings/api-tokens/").content.decode()
    assert f'href="?dialog=revoke-token-{token.pk}"' in page  # the Revoke button is a link to its confirmation
    assert (
        f'<dialog id="revoke-token-{token.pk}" class="dialog" aria-labelledby="revoke-token-{token.pk}-title">' in page
    )
    page = admin_client.get(f"/settings/api-tokens/?dialog=revoke-token-{token.pk}").content.decode()
    assert (
        f'<dialog id="revoke-token-{token.pk}" class="dialog" aria-labelledby="revoke-token-{token.pk}-title" open>'
        in page
    )
    dialog = page[page.index(f'<dialog id="revoke-token-{token.pk}"') :]
    assert f'<input type="checkbox" name="confirm" id="revoke-token-{token.pk}-confirm" required>' in dialog
    assert (
        f'<label for="revoke-token-{token.pk}-confirm">Yes, revoke the token ending in {token.last4}</label>' in dialog
    )
    assert f'action="/settings/api-tokens/{token.pk}/delete/"' in dialog


def test_revoking_a_token_that_is_already_gone_says_so(admin_client, org, admin_user):
    token, _ = services.api_token_create(organization=org, name="Nightly export", scope="read", created_by=admin_user)
    token_id = token.pk
    token.delete()
    page = admin_client.post(f"/settings/api-tokens/{token_id}/delete/", {"confirm": "on"}, follow=True)
    html = page.content.decode()
    assert "That API token was already revoked; nothing changed." in html and "was revoked." not in html
