"""403 (also a failed CSRF check), 404 and 500 are Roster pages (styled, with a way back), signing out
lands on the sign-in page, the Django admin says "Roster support", and /favicon.ico is served."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from rotations.models import Rotation


def test_the_500_page_renders_without_a_database_or_request_context():
    # No `db` fixture: pytest-django fails any query. Django's handler renders 500.html with an empty context.
    response = server_error(RequestFactory().get("/rotations/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in page
    assert 'href="/static/css/base.css"' in page
    assert 'href="/">Go to Roster' in page


def test_a_missing_page_is_a_roster_page_with_a_way_back(admin_client):
    response = admin_client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'href="/static/css/base.css"' in page
    assert 'aria-label="Main"' in page  # the navigation is there: the person can go on


def test_an_admin_only_action_is_a_403_page_that_says_who_can_do_it(member_client):
    response = member_client.post("/settings/integrations/pagerduty/refresh/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "You can't do that here" in page
    assert "This page or action is for admins of Acme" in page


def test_a_form_sent_without_its_csrf_token_is_a_roster_page_that_says_to_reload(admin_user, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post("/rotations/new/", {"name": "Ops", "time_zone": "UTC"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>That form had gone stale</h1>" in page
    assert "Nothing was saved." in page
    assert 'href="/static/css/base.css"' in page
    assert not Rotation.objects.exists()


def test_the_api_keeps_its_json_404(admin_client):
    response = admin_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_favicon_ico_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    assert "<svg" in Path(finders.find("favicon.svg")).read_text()


def test_signing_out_lands_on_the_sign_in_page(admin_client):
    response = admin_client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "<h1>Sign in to Roster</h1>" in response.content.decode()
    assert admin_client.get("/rotations/").status_code == 302  # signed out for real


def test_support_staff_s_admin_says_it_is_roster_s(staff_client):
    page = staff_client.get("/admin/").content.decode()
    assert "Roster support" in page
    assert "Django administration" not in page
