import pytest

from tests.conftest import bearer


def test_a_member_creates_a_rotation_feed_sees_its_url_once_and_it_serves_the_rotation(member_client_native):
    client, rotation = member_client_native
    path = f"/api/rotations/{rotation.pk}/calendar"
    assert client.get(path).json() == {"feed": None}
    created = client.post(path, {"alarmMinutes": 15}, content_type="application/json")
    assert created.status_code == 201
    feed = created.json()["feed"]
    assert feed["url"].startswith("https://roster.example.com/cal/cal_") and feed["url"].endswith(".ics")
    assert feed["webcalUrl"] == "webcal://" + feed["url"].removeprefix("https://")
    assert feed["alarmMinutes"] == 15 and feed["url"].removesuffix(".ics").endswith(feed["last4"])
    shown = client.get(path).json()["feed"]
    assert shown["last4"] == feed["last4"] and "url" not in shown
    ics = client.get(feed["url"].removeprefix("https://roster.example.com"))
    assert b"SUMMARY:Ana Ortiz on call" in ics.content


def test_regenerating_through_the_api_kills_the_old_url_and_delete_revokes(member_client_native):
    client, rotation = member_client_native
    path = f"/api/rotations/{rotation.pk}/calendar"
    old = (
        client.post(path, content_type="application/json")
        .json()["feed"]["url"]
        .removeprefix("https://roster.example.com")
    )
    new = (
        client.post(path, content_type="application/json")
        .json()["feed"]["url"]
        .removeprefix("https://roster.example.com")
    )
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert client.delete(path).status_code == 204
    assert client.get(new).status_code == 404
    assert client.get(path).json() == {"feed": None}


def test_an_alarm_out_of_range_is_refused(member_client_native):
    client, rotation = member_client_native
    answer = client.post(f"/api/rotations/{rotation.pk}/calendar", {"alarmMinutes": 0}, content_type="application/json")
    assert answer.status_code == 400 and "alarmMinutes" in answer.json()["message"]


def test_i_create_my_own_feed_but_another_organization_s_rotation_feed_is_not_found(client, native, outsider):
    client.force_login(outsider)
    assert client.get(f"/api/rotations/{native.pk}/calendar").status_code == 404
    created = client.post("/api/me/calendar", content_type="application/json")
    assert created.status_code == 201 and created.json()["feed"]["kind"] == "person"


def test_an_admin_s_api_token_manages_its_creator_s_feed_and_an_operator_s_token_is_refused(client, org, admin_user):
    answer = client.post(
        "/api/me/calendar", content_type="application/json", **bearer(org, "write", created_by=admin_user)
    )
    assert answer.status_code == 201
    refused = client.get("/api/me/calendar", **bearer(org, "write"))
    assert refused.status_code == 409 and refused.json()["code"] == "no_person"


@pytest.fixture
def member_client_native(client, member_user, native):
    client.force_login(member_user)
    return client, native
