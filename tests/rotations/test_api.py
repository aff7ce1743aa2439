"""/api/rotations/...: the JSON API scripts use, with an organization API token or a session."""

import datetime as dt

import pytest

from rotations.models import Rotation, Shift
from tests.conftest import NOW, bearer
from tests.factories import RotationFactory

from . import pd_schedules as pds

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def api(client, token_auth):
    class Api:
        def __getattr__(self, method):
            def call(path, body=None):
                kwargs = dict(token_auth)
                if body is not None:
                    kwargs.update(data=body, content_type="application/json")
                return getattr(client, method)(f"/api/rotations/{path}", **kwargs)

            return call

    return Api()


def test_a_script_creates_lists_reads_updates_and_deletes_a_rotation(api, org, frozen):
    created = api.post(
        "",
        {
            "name": "Platform",
            "timeZone": "Europe/Paris",
            "members": [{"name": "Ana", "email": "Ana@acme.example"}],
            "cadence": {"every": 2, "unit": "days", "handoffTime": "08:30", "startDate": "2026-03-01"},
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["members"][0]["email"] == "ana@acme.example"
    assert body["cadence"] == {
        "every": 2,
        "unit": "days",
        "handoffTime": "08:30",
        "startDate": "2026-03-01",
        "readOnly": False,
    }
    assert body["pagerduty"] is None and body["sync"]["state"] == "idle"

    assert [r["name"] for r in api.get("").json()["rotations"]] == ["Platform"]
    rid = body["id"]
    patched = api.patch(f"{rid}/", {"name": "Platform EU", "timeZone": "Europe/Berlin"})
    assert patched.status_code == 200 and patched.json()["timeZone"] == "Europe/Berlin"
    assert api.get(f"{rid}/").json()["name"] == "Platform EU"
    assert api.delete(f"{rid}/").status_code == 204
    assert api.get(f"{rid}/").status_code == 404


def test_creating_with_a_bad_time_zone_or_no_name_is_a_clear_error(api):
    response = api.post("", {"name": "X", "timeZone": "Mars/Olympus"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_time_zone"
    assert api.post("", {"timeZone": "UTC"}).json()["code"] == "invalid_request"
    assert (
        api.post("", {"name": "X", "timeZone": "UTC", "members": [{"name": "A", "email": "nope"}]}).json()["message"]
        == "“nope” is not an email address."
    )
    assert not Rotation.objects.exists()


@pytest.mark.parametrize("zone", ["right/UTC", "posix/Europe/Paris", "localtime"])
def test_the_page_and_the_api_refuse_the_same_time_zones_in_the_same_words(api, admin_client, zone):
    message = f"“{zone}” is not a time zone (use an IANA name such as Europe/Paris)."
    assert api.post("", {"name": "X", "timeZone": zone}).json()["errors"] == {"timeZone": [message]}
    form = {"name": "X", "time_zone": zone, "cadence_count": "1", "cadence_unit": "days", "handoff_time": "09:00"}
    html = admin_client.post("/rotations/new/", form).content.decode()
    assert message in html.split('<label for="id_time_zone">')[1].split("</p>")[0]
    assert not Rotation.objects.exists()


@pytest.mark.parametrize(("key", "field"), [("name", "name"), ("timeZone", "time_zone")])
def test_a_patch_with_a_required_field_null_is_refused_naming_it(api, native, frozen, key, field):
    response = api.patch(f"{native.pk}/", {key: None, "description": "Primary"})
    assert response.status_code == 400
    assert response.json()["errors"] == {key: [f"{key} must be a string."]}
    native.refresh_from_db()
    assert getattr(native, field) == {"name": "Platform", "time_zone": "America/New_York"}[field]
    assert native.description == ""


def test_creating_with_a_pagerduty_schedule_binds_and_syncs_it(
    api, org, rsps, frozen, django_capture_on_commit_callbacks
):
    pds.connect(org)
    pds.mock_v3(rsps, "PS1A2B3C", pds.v3_schedule("PS1A2B3C", [pds.assignment(NOW - H, NOW + 3 * H, "PANA001")]))
    pds.mock_users(rsps, {"PANA001": ("Ana Ortiz", "ana@acme.example")})
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "",
            {
                "name": "Platform",
                "timeZone": "UTC",
                "members": [{"name": "Ana", "email": "ana@acme.example"}],
                "pagerdutyScheduleId": "PS1A2B3C",
            },
        )
    rid = created.json()["id"]
    body = api.get(f"{rid}/").json()
    assert body["pagerduty"] == {
        "scheduleId": "PS1A2B3C",
        "scheduleName": "Engineering On-Call",
        "kind": "v3",
        "deleted": False,
    }
    assert body["cadence"]["readOnly"] is True and body["sync"]["ok"] is True
    current = api.get(f"{rid}/current").json()
    assert (
        current["gap"] is False
        and current["onCall"][0]["name"] == "Ana"
        and current["until"] == (NOW + 3 * H).isoformat()
    )
    assert api.patch(f"{rid}/", {"cadence": {"every": 3}}).json()["code"] == "cadence_read_only"


def test_binding_without_a_pagerduty_connection_is_refused(api):
    response = api.post("", {"name": "P", "timeZone": "UTC", "pagerdutyScheduleId": "PS1A2B3C"})
    assert response.status_code == 409 and response.json()["code"] == "not_connected"


def test_sync_enqueues_a_sync_and_says_it_is_running(api, org, django_capture_on_commit_callbacks):
    pds.connect(org)
    rotation = RotationFactory(organization=org, name="P", pagerduty_schedule_id="PI7DH85")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api.post(f"{rotation.pk}/sync")
    assert response.status_code == 202 and response.json()["sync"]["state"] == "running"
    assert len(queued) == 1
    assert api.get(f"{rotation.pk}/").json()["sync"]["state"] == "running"


def test_a_native_rotation_cannot_be_synced_a_conflict_with_its_state(api, native):
    response = api.post(f"{native.pk}/sync")
    assert response.status_code == 409
    assert response.json() == {
        "code": "not_bound",
        "message": "Only a rotation that follows a PagerDuty schedule syncs.",
    }


def test_shifts_lists_turns_and_gaps_between_since_and_until(api, org, frozen):
    rotation = RotationFactory(organization=org, name="P", pagerduty_schedule_id="PI7DH85")
    Shift.objects.create(
        rotation=rotation,
        start=NOW - H,
        end=NOW + H,
        person_name="Zed Quinn",
        person_email="zed@x.example",
        pagerduty_user_id="PZ",
    )
    Shift.objects.create(rotation=rotation, start=NOW + H, end=NOW + 4 * H, is_gap=True)
    body = api.get(f"{rotation.pk}/shifts?since=2026-03-06T10:00:00Z&until=2026-03-06T18:00:00Z").json()
    assert [(s["gap"], s["person"] and s["person"]["name"]) for s in body["shifts"]] == [
        (False, "Zed Quinn"),
        (True, None),
    ]
    assert body["shifts"][0]["person"]["matched"] is False
    assert (
        api.get(f"{rotation.pk}/shifts?since=2026-03-06T10:00:00Z&until=2026-09-06T18:00:00Z").json()["code"]
        == "invalid_range"
    )
    assert api.get(f"{rotation.pk}/shifts?since=yesterday").json()["code"] == "invalid_request"


def test_members_read_but_cannot_write_and_other_organizations_see_nothing(client, member_user, outsider, native):
    client.force_login(member_user)
    assert client.get(f"/api/rotations/{native.pk}/current").status_code == 200
    assert client.delete(f"/api/rotations/{native.pk}/").status_code == 403
    client.force_login(outsider)
    assert client.get(f"/api/rotations/{native.pk}/").status_code == 404
    assert client.get("/api/rotations/").json() == {"rotations": []}


def test_anonymous_calls_are_refused(client, native):
    assert client.get("/api/rotations/").status_code == 401


def test_no_page_json_or_log_line_shows_the_api_key(admin_client, org, rsps, frozen, captured_logs):
    pds.connect(org)
    rotation = RotationFactory(
        organization=org, name="P", pagerduty_schedule_id="PI7DH85", pagerduty_schedule_kind="v2"
    )
    pds.mock_v2(rsps, "PI7DH85", {"error": {"message": "Unauthorized", "code": 2006}}, status=401)
    from rotations.tasks import sync_schedule

    sync_schedule.delay(org.pk, "PI7DH85")
    rsps.add("GET", pds.api("/schedules"), json={"schedules": [], "more": False})
    rsps.add("GET", pds.api("/v3/schedules"), json={"schedules": [], "more": False})
    seen = [
        admin_client.get(url).content.decode()
        for url in (
            "/rotations/",
            f"/rotations/{rotation.pk}/",
            f"/rotations/{rotation.pk}/schedules/",
            f"/api/rotations/{rotation.pk}/",
            "/settings/integrations/",
        )
    ]
    assert "Unauthorized" in seen[1]
    assert all(pds.KEY not in text for text in [*seen, captured_logs.text])
    assert pds.KEY[:-4] not in captured_logs.text


def test_shifts_far_ahead_include_the_overrides_there(api, native, frozen):
    bo = native.members.get(email="bo@acme.example")
    start = NOW + dt.timedelta(days=30)
    native.overrides.create(member=bo, start=start, end=start + H)
    body = api.get(f"{native.pk}/shifts?since={(start - H).isoformat()}&until={(start + 2 * H).isoformat()}").json()
    assert [(s["person"]["name"], s["override"]) for s in body["shifts"] if s["override"]] == [("Bo Chen", True)]


def test_support_staff_see_rotations_and_sync_runs_in_django_admin(client, org, native, frozen):
    from accounts.models import User
    from rotations.models import SyncRun

    SyncRun.objects.create(organization=org, schedule_id="PI7DH85", started_at=NOW, ok=False, error="Unauthorized")
    staff = User.objects.create_superuser(email="support@roster.example", password="x")
    client.force_login(staff)
    for url in (
        "/admin/rotations/rotation/",
        f"/admin/rotations/rotation/{native.pk}/change/",
        "/admin/rotations/syncrun/",
        f"/admin/accounts/organization/{org.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert "Unauthorized" in client.get("/admin/rotations/syncrun/").content.decode()
    assert "Rotations (PagerDuty sync)" in client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()


def test_patch_replaces_the_members_in_the_given_order_keeping_known_people(api, native, frozen):
    ana = native.members.get(email="ana@acme.example")
    response = api.patch(
        f"{native.pk}/",
        {
            "members": [
                {"name": "Cy Diaz", "email": "cy@acme.example"},
                {"name": "Ana O.", "email": "ANA@acme.example"},
                {"name": "Di Eng", "email": "di@acme.example"},
            ]
        },
    )
    assert response.status_code == 200
    members = response.json()["members"]
    assert [(m["name"], m["email"]) for m in members] == [
        ("Cy Diaz", "cy@acme.example"),
        ("Ana O.", "ana@acme.example"),
        ("Di Eng", "di@acme.example"),
    ]
    assert native.members.get(email="ana@acme.example").pk == ana.pk  # the same person, renamed
    assert not native.members.filter(email="bo@acme.example").exists()


def test_patch_refuses_the_same_email_twice_and_changes_nothing(api, native, frozen):
    response = api.patch(
        f"{native.pk}/",
        {"members": [{"name": "A", "email": "a@acme.example"}, {"name": "B", "email": "A@acme.example"}]},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_member"
    assert native.members.count() == 3


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("since=2026-13-01T00:00:00Z", 400, "invalid_request"),
        ("since=2026-02-30T09:00:00Z", 400, "invalid_request"),
        ("until=2026-03-07T25:00:00Z", 400, "invalid_request"),
        ("since=9999-12-31T00:00:00Z", 422, "invalid_range"),  # a date-time, but no window fits after it
    ],
)
def test_shifts_with_an_impossible_date_is_a_clear_error_not_a_server_error(api, native, frozen, query, status, code):
    response = api.get(f"{native.pk}/shifts?{query}")
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("cadence", [{"startDate": "2026-02-30"}, {"handoffTime": "25:99"}])
def test_patch_with_an_impossible_date_or_time_is_a_clear_error_and_changes_nothing(api, native, frozen, cadence):
    response = api.patch(f"{native.pk}/", {"cadence": cadence})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    native.refresh_from_db()
    assert (native.start_date, native.handoff_time) == (dt.date(2026, 3, 1), dt.time(9, 0))


def test_patch_refuses_a_name_longer_than_a_rotation_name_can_be(api, native, frozen):
    response = api.patch(f"{native.pk}/", {"name": "x" * 201})
    assert response.status_code == 400
    native.refresh_from_db()
    assert native.name == "Platform"


def test_a_member_email_longer_than_can_be_stored_is_refused(api, native, frozen):
    too_long = "b" * 64 + "@" + ".".join(["c" * 60] * 3) + ".example"  # 254+ characters, still valid syntax
    assert len(too_long) > 254
    response = api.patch(f"{native.pk}/", {"members": [{"name": "Bo", "email": too_long}]})
    assert response.status_code == 400
    assert [m.email for m in native.members.all()] == ["ana@acme.example", "bo@acme.example", "cy@acme.example"]


def test_a_script_cannot_start_a_rotation_in_year_one(api, native, frozen):
    created = api.post("", {"name": "X", "timeZone": "Asia/Tokyo", "cadence": {"startDate": "0001-01-01"}})
    assert created.status_code == 400
    assert created.json()["message"] == "The first turn must be between the years 1900 and 2999."
    assert api.patch(f"{native.pk}/", {"cadence": {"startDate": "0001-01-01"}}).status_code == 400
    assert Rotation.objects.get().start_date == dt.date(2026, 3, 1)


def test_a_refused_value_is_named_by_its_json_field_with_the_same_message_as_the_page(api, native, frozen):
    response = api.patch(f"{native.pk}/", {"cadence": {"every": 400}})
    assert response.status_code == 400
    message = "The cadence count must be a whole number from 1 to 365."
    assert response.json() == {
        "code": "invalid_request",
        "message": message,
        "errors": {"cadence.every": [message]},
    }
    bad_member = api.patch(f"{native.pk}/", {"members": [{"name": "Dan", "email": "dan@"}]}).json()
    assert bad_member["errors"] == {"members.0.email": ["“dan@” is not an email address."]}  # the one refused
    bad_zone = api.post("", {"name": "X", "timeZone": "Mars/Olympus"}).json()
    assert bad_zone["code"] == "invalid_time_zone" and list(bad_zone["errors"]) == ["timeZone"]
    native.refresh_from_db()
    assert native.cadence_count == 1 and native.members.count() == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"members": [{"name": "Zed", "email": "zed@acme.example"}], "cadence": {"unit": "months"}}, 400),
        ({"pagerdutyScheduleId": "PABC123", "cadence": {"every": 2}}, 409),
        ({"members": [{"name": "Zed", "email": "zed@acme.example"}], "slack": {"userGroupId": "S1"}}, 409),
    ],
)
def test_a_refused_patch_changes_nothing_it_was_sent_with(api, native, org, frozen, body, status):
    pds.connect(org)
    response = api.patch(f"{native.pk}/", body)
    assert response.status_code == status
    native.refresh_from_db()
    assert [m.email for m in native.members.all()] == ["ana@acme.example", "bo@acme.example", "cy@acme.example"]
    assert not native.is_bound and native.sync_state == Rotation.SyncState.IDLE


def test_a_patch_with_null_members_leaves_the_members(api, native, frozen):
    response = api.patch(f"{native.pk}/", {"members": None, "description": "Primary"})
    assert response.status_code == 200
    assert response.json()["name"] == "Platform" and response.json()["description"] == "Primary"
    assert [m["email"] for m in response.json()["members"]] == [
        "ana@acme.example",
        "bo@acme.example",
        "cy@acme.example",
    ]


# --- overrides and skips: what the rotation page's timeline does ---------------------------------------------


def _on_call(api, rotation, since: str, until: str) -> list[tuple[str, bool]]:
    shifts = api.get(f"{rotation.pk}/shifts?since={since}&until={until}").json()["shifts"]
    return [(s["person"]["name"], s["override"]) for s in shifts]


def test_a_script_adds_lists_and_removes_an_override_as_the_page_does(api, native, frozen):
    cy = native.members.get(email="cy@acme.example")
    made = api.post(
        f"{native.pk}/overrides",
        {"memberId": cy.pk, "start": "2026-03-07T10:00:00-05:00", "end": "2026-03-07T12:00:00-05:00"},
    )
    assert made.status_code == 201
    body = made.json()
    assert body == {
        "id": body["id"],
        "member": {"id": cy.pk, "name": "Cy Diaz", "email": "cy@acme.example"},
        "start": "2026-03-07T15:00:00+00:00",
        "end": "2026-03-07T17:00:00+00:00",
    }
    assert api.get(f"{native.pk}/overrides").json() == {"overrides": [body]}
    window = ("2026-03-07T14:00:00Z", "2026-03-07T18:00:00Z")
    assert _on_call(api, native, *window) == [("Ana Ortiz", False), ("Cy Diaz", True), ("Ana Ortiz", False)]

    assert api.delete(f"{native.pk}/overrides/{body['id']}").status_code == 204
    assert api.get(f"{native.pk}/overrides").json() == {"overrides": []}
    assert _on_call(api, native, *window) == [("Ana Ortiz", False)]
    again = api.delete(f"{native.pk}/overrides/{body['id']}")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")
    assert again.json()["message"] == "That override was already removed; nothing changed."


def test_a_script_skips_a_turn_lists_skips_and_undoes_it_as_the_page_does(api, native, frozen):
    window = ("2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z")  # Saturday's turn: Ana's
    assert _on_call(api, native, *window) == [("Ana Ortiz", False)]
    made = api.post(f"{native.pk}/skips", {"turnStart": "2026-03-07T09:00:00-05:00"})
    assert made.status_code == 201
    body = made.json()
    assert body == {"id": body["id"], "turnStart": "2026-03-07T14:00:00+00:00"}
    assert api.get(f"{native.pk}/skips").json() == {"skips": [body]}
    assert _on_call(api, native, *window) == [("Bo Chen", False)]

    assert api.delete(f"{native.pk}/skips/{body['id']}").status_code == 204
    assert api.get(f"{native.pk}/skips").json() == {"skips": []}
    assert _on_call(api, native, *window) == [("Ana Ortiz", False)]
    again = api.delete(f"{native.pk}/skips/{body['id']}")
    assert (again.status_code, again.json()["message"]) == (404, "That skip was already undone; nothing changed.")


@pytest.mark.parametrize(
    ("body", "status", "code", "field", "message"),
    [
        (
            {"start": "2026-03-07T12:00:00-05:00", "end": "2026-03-07T10:00:00-05:00"},
            422,
            "invalid_range",
            "end",
            "An override must end after it starts.",
        ),
        (
            {"start": "1800-03-07T12:00:00Z", "end": "2026-03-07T10:00:00Z"},
            422,
            "invalid_range",
            "start",
            "An override must fall between the years 1900 and 2999.",
        ),
        (
            {"start": "2026-03-07T10:00:00", "end": "2026-03-07T12:00:00Z"},
            400,
            "invalid_request",
            "start",
            "start needs its UTC offset (Z or +02:00).",
        ),
        (
            {"memberId": 2**40, "start": "2026-03-07T10:00:00Z", "end": "2026-03-07T12:00:00Z"},
            409,
            "not_a_member",
            "memberId",
            "Choose a member of this rotation.",
        ),
    ],
)
def test_a_refused_override_says_what_the_page_says_naming_the_field(
    api, native, frozen, body, status, code, field, message
):
    body = {"memberId": native.members.first().pk} | body
    refused = api.post(f"{native.pk}/overrides", body)
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert refused.json()["errors"] == {field: [message]}
    assert not native.overrides.exists()


def test_a_rotation_following_pagerduty_takes_no_override_or_skip_and_a_non_turn_is_refused(api, org, native, frozen):
    bound = RotationFactory(organization=org, name="P", pagerduty_schedule_id="PI7DH85")
    for path, body in (
        ("overrides", {"memberId": 1, "start": "2026-03-07T10:00Z", "end": "2026-03-07T12:00Z"}),
        ("skips", {"turnStart": "2026-03-07T09:00:00Z"}),
    ):
        refused = api.post(f"{bound.pk}/{path}", body)
        assert (refused.status_code, refused.json()["code"]) == (409, "cadence_read_only")
        assert "This rotation follows a PagerDuty schedule" in refused.json()["message"]
    refused = api.post(f"{native.pk}/skips", {"turnStart": "1800-03-07T09:00:00-05:00"})
    assert (refused.status_code, refused.json()["errors"]) == (
        409,
        {"turnStart": ["That is not a turn of this rotation."]},
    )


def test_members_and_read_tokens_see_overrides_and_skips_but_change_none_and_other_organizations_see_nothing(
    client, org, member_user, outsider, native, frozen
):
    override = native.overrides.create(member=native.members.first(), start=NOW + H, end=NOW + 2 * H)
    skip = native.skips.create(turn_start=NOW + 26 * H)
    add_override = {"memberId": override.member_id, "start": "2026-03-07T10:00Z", "end": "2026-03-07T12:00Z"}
    read = bearer(org, "read")
    client.force_login(member_user)
    for auth in ({}, read):
        assert [o["id"] for o in client.get(f"/api/rotations/{native.pk}/overrides", **auth).json()["overrides"]] == [
            override.pk
        ]
        assert [s["id"] for s in client.get(f"/api/rotations/{native.pk}/skips", **auth).json()["skips"]] == [skip.pk]
        for method, path, body in (
            ("post", "overrides", add_override),
            ("delete", f"overrides/{override.pk}", None),
            ("post", "skips", {"turnStart": "2026-03-07T09:00:00-05:00"}),
            ("delete", f"skips/{skip.pk}", None),
        ):
            kwargs = auth | ({"data": body, "content_type": "application/json"} if body else {})
            assert getattr(client, method)(f"/api/rotations/{native.pk}/{path}", **kwargs).status_code == 403
    client.force_login(outsider)
    for method, path in (
        ("get", "overrides"),
        ("get", "skips"),
        ("delete", f"overrides/{override.pk}"),
        ("delete", f"skips/{skip.pk}"),
    ):
        assert getattr(client, method)(f"/api/rotations/{native.pk}/{path}").status_code == 404
    assert native.overrides.count() == 1 and native.skips.count() == 1


@pytest.mark.parametrize(
    ("turn_start", "code", "message"),
    [
        ("2026-03-07T10:00:00-05:00", "not_a_turn", "That is not a turn of this rotation."),  # an hour into one
        ("2026-03-04T09:00:00-05:00", "turn_over", "That turn is over: skip the current turn or a later one."),
    ],
)
def test_skipping_a_moment_that_starts_no_turn_or_a_turn_that_is_over_changes_nobody_s_turn(
    api, native, frozen, turn_start, code, message
):
    refused = api.post(f"{native.pk}/skips", {"turnStart": turn_start})
    assert (refused.status_code, refused.json()["code"]) == (409, code)
    assert refused.json()["errors"] == {"turnStart": [message]}
    assert not native.skips.exists()
    assert api.get(f"{native.pk}/current").json()["onCall"][0]["name"] == "Bo Chen"


def test_a_script_cannot_add_an_override_that_is_already_over(api, native, frozen):
    bo = native.members.get(email="bo@acme.example")
    refused = api.post(
        f"{native.pk}/overrides", {"memberId": bo.pk, "start": "2026-03-05T06:00:00Z", "end": "2026-03-06T11:00:00Z"}
    )
    assert refused.status_code == 409  # a rule of the server's clock, not of the body's shape
    said = "That time is over: an override must end later than now."
    assert refused.json() == {"code": "in_the_past", "message": said, "errors": {"end": [said]}}
    assert not native.overrides.exists()
