"""The PagerDuty client: auth headers, retries, rate limits, pagination and error shapes."""

import pytest
import requests
import responses
import time_machine
from responses import matchers

from integrations.pagerduty import client as pd
from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks


@pytest.fixture
def pd_client():
    return pd.PagerDutyClient.for_api_key("u+key00001234")


def test_a_429_without_a_wait_header_is_retried_then_succeeds(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={"error": {"code": 2020}})
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    assert pd_client.current_user()["name"] == "Earline Greenholt"
    assert len(rsps.calls) == 2


def test_a_5xx_is_retried_a_bounded_number_of_times(rsps, pd_client, settings):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    with pytest.raises(pd.Unavailable, match="HTTP 503"):
        pd_client.current_user()
    assert len(rsps.calls) == settings.PAGERDUTY_RETRIES + 1


def test_a_wait_longer_than_allowed_is_handed_back_as_rate_limited(rsps, pd_client, settings):
    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={}, headers={"ratelimit-reset": "42"})
    with pytest.raises(pd.RateLimited) as caught:
        pd.PagerDutyClient.for_api_key("u+key00001234").current_user()
    assert caught.value.retry_after == 42
    assert "Try again in 42 seconds" in caught.value.message
    assert len(rsps.calls) == 1  # it did not sleep 42 s


@time_machine.travel("2026-10-21 07:28:00+00:00", tick=False)
def test_a_retry_after_given_as_an_http_date_is_read_as_seconds_from_now(rsps, pd_client, settings):
    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    when = "Wed, 21 Oct 2026 07:30:00 GMT"
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={}, headers={"Retry-After": when})
    with pytest.raises(pd.RateLimited) as caught:
        pd_client.current_user()
    assert caught.value.retry_after == 120
    assert len(rsps.calls) == 1


def test_a_short_wait_is_slept_and_read_from_ratelimit_reset_too(monkeypatch, settings):
    from urllib3.response import HTTPResponse

    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    retry = pd.build_session().get_adapter("https://x").max_retries
    slept = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    retry.sleep(HTTPResponse(status=429, headers={"Retry-After": "2"}))
    retry.sleep(HTTPResponse(status=429, headers={"ratelimit-reset": "3"}))
    assert slept == [2.0, 3.0]


def test_pagination_walks_every_page(rsps, pd_client):
    for offset, more in ((0, True), (2, True), (4, False)):
        rsps.add(
            responses.GET,
            pd_mocks.api("/schedules"),
            match=[matchers.query_param_matcher({"limit": "2", "offset": str(offset)})],
            json={
                "schedules": [{"id": f"S{offset}"}, {"id": f"S{offset + 1}"}],
                "more": more,
                "limit": 2,
                "offset": offset,
            },
        )
    ids = [s["id"] for s in pd_client.paginate("/schedules", "schedules", limit=2)]
    assert ids == ["S0", "S1", "S2", "S3", "S4", "S5"]


def test_the_account_level_error_string_is_recognised(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.ACCOUNT_LEVEL_ERROR, status=400)
    with pytest.raises(pd.AccountLevelKey):
        pd_client.current_user()


def test_object_shaped_errors_are_read(rsps, pd_client):
    rsps.add(
        responses.GET,
        pd_mocks.api("/schedules/NOPE"),
        status=404,
        json={"error": {"message": "Not Found", "code": 2100, "errors": ["Schedule not found"]}},
    )
    with pytest.raises(pd.NotFound, match="Schedule not found"):
        pd_client.get("/schedules/NOPE")


def test_timeouts_and_refused_connections_are_unavailable(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), body=requests.ConnectTimeout("slow"))
    with pytest.raises(pd.Unavailable, match="did not answer in time"):
        pd_client.current_user()


def test_every_call_has_a_timeout(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    pd_client.current_user()
    assert rsps.calls[0].request.req_kwargs["timeout"] is not None


def test_a_401_asks_for_fresh_credentials_once_and_retries_once(rsps):
    refreshed = []

    def on_unauthorized():
        refreshed.append(True)
        return "Bearer new-token"

    c = pd.PagerDutyClient.for_oauth_token("old-token", on_unauthorized=on_unauthorized)
    rsps.add(
        responses.GET,
        pd_mocks.api("/users/me"),
        status=401,
        json=pd_mocks.UNAUTHORIZED_BODY,
        match=[matchers.header_matcher({"Authorization": "Bearer old-token"})],
    )
    rsps.add(
        responses.GET,
        pd_mocks.api("/users/me"),
        json=pd_mocks.user_me(),
        match=[matchers.header_matcher({"Authorization": "Bearer new-token"})],
    )
    assert c.current_user()["id"] == "PXPGF42"
    assert refreshed == [True]


def test_a_second_401_is_not_retried_again(rsps):
    calls = []
    c = pd.PagerDutyClient.for_oauth_token("old", on_unauthorized=lambda: calls.append(1) or "Bearer still-bad")
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=401, json=pd_mocks.UNAUTHORIZED_BODY)
    with pytest.raises(pd.Unauthorized):
        c.current_user()
    assert calls == [1]
    assert len(rsps.calls) == 2


@pytest.mark.parametrize(
    ("url", "subdomain"),
    [
        ("https://acme.pagerduty.com/users/P1", "acme"),
        ("https://acme.eu.pagerduty.com/users/P1", "acme"),
        ("https://evil.example.com/users/P1", None),
        (None, None),
    ],
)
def test_the_subdomain_is_read_from_html_urls(url, subdomain):
    assert pd.subdomain_from_html_url(url) == subdomain


def test_a_schedule_list_in_an_undocumented_shape_is_an_outage_not_a_crash(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json={"schedules": [{"name": "no id"}], "more": False})
    with pytest.raises(pd.Unavailable, match="could not read"):
        pd_client.list_schedules()


def test_every_request_sends_the_headers_pagerdutys_spec_requires(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    pd_client.current_user()
    sent = rsps.calls[0].request.headers
    assert sent["Content-Type"] == "application/json"  # required on v2 GETs too
    assert sent["Accept"] == "application/vnd.pagerduty+json;version=2"


# --- schedules PagerDuty answered in a shape Roster cannot read -----------------------------------

SINCE, UNTIL = "2026-03-06T12:00:00Z", "2026-03-21T12:00:00Z"
V2_ENTRY = {"start": "2026-03-06T09:00:00-05:00", "end": "2026-03-07T09:00:00-05:00", "user": {"id": "PANA001"}}
V3_SHIFT = {
    "type": "computed_shift_assignment",
    "start_time": "2026-03-06T14:00:00Z",
    "end_time": "2026-03-07T14:00:00Z",
    "member": {"type": "user_member", "user_id": "PANA001"},
    "source": {"type": "schedule_rotation"},
}


def without(entry: dict, key: str) -> dict:
    return {k: v for k, v in entry.items() if k != key}


def v2(schedule: dict) -> dict:
    return {"schedule": {"id": "P1", "name": "Platform", **schedule}}


def v2_entries(*entries) -> dict:
    return v2({"final_schedule": {"name": "Final Schedule", "rendered_schedule_entries": list(entries)}})


def v3_shifts(*shifts) -> dict:
    final = {"type": "final_schedule", "rendered_coverage_percentage": 100, "computed_shift_assignments": list(shifts)}
    return {"schedule": {"id": "P1", "type": "schedule_v3", "name": "Platform", "final_schedule": final}}


@pytest.mark.parametrize(
    ("kind", "body", "said"),
    [
        ("v2", {}, "without the schedule (schedule)"),
        ("v2", v2({}), "without its final schedule (final_schedule)"),
        ("v2", v2({"final_schedule": None}), "without its final schedule (final_schedule)"),
        ("v2", v2({"final_schedule": {"name": "Final Schedule"}}), "(final_schedule.rendered_schedule_entries)"),
        ("v2", v2_entries(without(V2_ENTRY, "start")), "with an on-call entry missing its start"),
        ("v2", v2_entries(without(V2_ENTRY, "end")), "with an on-call entry missing its end"),
        ("v2", v2_entries(without(V2_ENTRY, "user")), "with an on-call entry that names no person (user.id)"),
        ("v2", v2_entries({**V2_ENTRY, "user": {"summary": "Ana"}}), "names no person (user.id)"),
        ("v2", v2_entries({**V2_ENTRY, "start": "next Tuesday"}), "with a time Roster cannot read (start 'next"),
        ("v2", v2_entries({**V2_ENTRY, "end": "2026-03-07T09:00:00"}), "time Roster cannot read (end"),  # no offset
        ("v2", v2_entries("an entry"), "with an on-call entry that is not an object"),
        ("v3", {"schedule": {"id": "P1", "type": "schedule_v3"}}, "without its final schedule (final_schedule)"),
        ("v3", v3_shifts(without(V3_SHIFT, "start_time")), "with an on-call entry missing its start_time"),
        ("v3", v3_shifts(without(V3_SHIFT, "member")), "with a shift whose member Roster does not know"),
        ("v3", v3_shifts({**V3_SHIFT, "member": {"type": "user_member"}}), "names no person (member.user_id)"),
        ("v3", v3_shifts({**V3_SHIFT, "end_time": "2026-02-30T00:00:00Z"}), "time Roster cannot read (end_time"),
    ],
)
def test_a_schedule_roster_cannot_read_is_an_error_never_nobody_on_call(rsps, pd_client, kind, body, said):
    path = "/schedules/P1" if kind == "v2" else "/v3/schedules/P1"
    rsps.add(responses.GET, pd_mocks.api(path), json=body)
    with pytest.raises(pd.UnreadableResponse) as caught:
        pd_client.get_schedule_window("P1", SINCE, UNTIL, kind=kind)
    assert caught.value.message.startswith("PagerDuty sent schedule P1 ")
    assert said in caught.value.message
    assert caught.value.message.endswith("so Roster cannot tell who is on call.")


def test_an_empty_final_schedule_is_read_as_nobody_on_call_and_an_open_end_as_the_window_end(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/schedules/P1"), json=v2_entries())
    assert pd_client.get_schedule_window("P1", SINCE, UNTIL, kind="v2")["entries"] == []
    rsps.replace(responses.GET, pd_mocks.api("/schedules/P1"), json=v2_entries({**V2_ENTRY, "end": None}))
    (entry,) = pd_client.get_schedule_window("P1", SINCE, UNTIL, kind="v2")["entries"]
    assert entry["start"].isoformat() == "2026-03-06T14:00:00+00:00"
    assert entry["end"].isoformat() == "2026-03-21T12:00:00+00:00"


def test_an_id_is_sent_as_one_path_segment(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/P%2F..%2Fteams"), json={"user": {"id": "P/../teams"}})
    assert pd_client.get_user("P/../teams")["id"] == "P/../teams"


# --- account-level keys: PagerDuty's words, else a probe ------------------------------------------

REWORDED = {"error": {"message": "This endpoint needs a token tied to a user.", "code": 2001}}


def test_a_reworded_400_from_users_me_is_an_account_level_key_when_the_users_probe_works(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=REWORDED, status=400)
    probe = rsps.add(
        responses.GET,
        pd_mocks.api("/users"),
        match=[matchers.query_param_matcher({"limit": "1"})],
        json=pd_mocks.fixture("users_list.json"),
    )
    with pytest.raises(pd.AccountLevelKey):
        pd_client.current_user()
    assert probe.call_count == 1


def test_pagerdutys_own_words_need_no_probe(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.ACCOUNT_LEVEL_ERROR, status=400)
    with pytest.raises(pd.AccountLevelKey):
        pd_client.current_user()
    assert [c.request.path_url for c in rsps.calls] == ["/users/me"]


@pytest.mark.parametrize(
    ("status", "body", "answered"),
    [
        (403, {"error": {"message": "Access Denied", "code": 2010}}, "GET /users answered HTTP 403 (Access Denied)"),
        (400, {"error": "Bad token"}, "GET /users answered HTTP 400 (Bad token)"),
    ],
)
def test_a_key_refused_by_users_me_and_the_probe_is_an_invalid_key_saying_both_answers(
    rsps, pd_client, status, body, answered
):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=REWORDED, status=400)
    rsps.add(responses.GET, pd_mocks.api("/users"), json=body, status=status)
    with pytest.raises(pd.Unauthorized) as caught:
        pd_client.current_user()
    assert caught.value.message == (
        "PagerDuty accepted this key neither as a user's key nor as an account-level key: GET /users/me answered "
        f"HTTP 400 (This endpoint needs a token tied to a user.) and {answered}"
    )


def test_a_probe_pagerduty_cannot_answer_is_its_trouble_not_an_invalid_key(rsps, pd_client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=REWORDED, status=400)
    rsps.add(responses.GET, pd_mocks.api("/users"), json={"error": {"message": "down"}}, status=503)
    with pytest.raises(pd.Unavailable, match="HTTP 503"):
        pd_client.current_user()


def test_an_admin_connecting_a_key_pagerduty_describes_in_new_words_sees_an_account_level_key(admin_client, org, rsps):
    pd_mocks.mock_valid_account_key(rsps, subdomain="globocorp")
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=REWORDED, status=400)
    page = admin_client.post(
        "/settings/integrations/pagerduty/connect/", {"api_key": "u+AbCdEfGhIjKl1234", "region": "us"}, follow=True
    ).content.decode()
    assert 'data-testid="pd-status">Active<' in page
    assert "An account-level key: not tied to a user" in page
    assert "globocorp.pagerduty.com" in page
    assert PagerDutyConnection.objects.get(organization=org).is_account_key


def test_an_admin_connecting_a_key_refused_by_both_calls_is_told_it_is_invalid_and_nothing_is_saved(
    admin_client, org, rsps
):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=REWORDED, status=400)
    rsps.add(responses.GET, pd_mocks.api("/users"), json={"error": {"message": "Access Denied"}}, status=403)
    page = admin_client.post(
        "/settings/integrations/pagerduty/connect/", {"api_key": "u+AbCdEfGhIjKl1234", "region": "us"}, follow=True
    ).content.decode()
    assert "accepted this key neither as a user&#x27;s key nor as an account-level key" in page
    assert "GET /users answered HTTP 403 (Access Denied)" in page
    assert "API Access Keys" in page  # what to check
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_a_schedule_search_keeps_only_shift_based_schedules_whose_name_matches(rsps, pd_client):
    rsps.add(
        responses.GET,
        pd_mocks.api("/schedules"),
        json={"schedules": [], "more": False},
        match=[matchers.query_param_matcher({"query": "night", "limit": "100", "offset": "0"})],
    )
    refs = [
        {"id": f"PV3{n}", "type": "schedule_v3_reference", "summary": name}
        for n, name in enumerate(["Nightly", "Day", "Late NIGHT"])
    ]
    rsps.add(
        responses.GET,
        pd_mocks.api("/v3/schedules"),
        json={"schedules": refs, "more": False},  # the v3 list may answer every schedule whatever the query
        match=[matchers.query_param_matcher({"query": "night", "limit": "100", "offset": "0"})],
    )
    assert [s["name"] for s in pd_client.list_schedules("night")] == ["Nightly", "Late NIGHT"]


SUBSCRIPTION_URL = pd_mocks.api("/webhook_subscriptions/PSUB001")


def test_a_webhook_subscription_is_read_with_the_events_it_sends(rsps, pd_client):
    sub = {"id": "PSUB001", "type": "webhook_subscription", "events": ["incident.triggered"], "active": True}
    rsps.add(responses.GET, SUBSCRIPTION_URL, json={"webhook_subscription": sub})
    assert pd_client.get_webhook_subscription("PSUB001")["events"] == ["incident.triggered"]


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"webhook_subscription": None},
        {"webhook_subscription": {"id": "PSUB001"}},
        {"webhook_subscription": {"events": "x"}},
    ],
)
def test_a_webhook_subscription_without_its_events_is_unreadable_not_one_sending_nothing(rsps, pd_client, answer):
    rsps.add(responses.GET, SUBSCRIPTION_URL, json=answer)
    with pytest.raises(pd.UnreadableResponse):
        pd_client.get_webhook_subscription("PSUB001")


@pytest.mark.parametrize("status, error", [(404, pd.NotFound), (403, pd.Forbidden), (401, pd.Unauthorized)])
def test_reading_or_updating_a_webhook_subscription_raises_the_typed_errors(rsps, pd_client, status, error):
    rsps.add(responses.GET, SUBSCRIPTION_URL, status=status, json={"error": {"message": "No", "code": 2100}})
    rsps.add(responses.PUT, SUBSCRIPTION_URL, status=status, json={"error": {"message": "No", "code": 2100}})
    with pytest.raises(error):
        pd_client.get_webhook_subscription("PSUB001")
    with pytest.raises(error):
        pd_client.update_webhook_subscription_events("PSUB001", ["incident.triggered"])


def test_updating_a_webhook_subscriptions_events_sends_only_the_events(rsps, pd_client):
    events = ["incident.triggered", "incident.reassigned"]
    rsps.add(
        responses.PUT,
        SUBSCRIPTION_URL,
        json={"webhook_subscription": {"id": "PSUB001", "events": events}},
        match=[matchers.json_params_matcher({"webhook_subscription": {"events": events}})],
    )
    assert pd_client.update_webhook_subscription_events("PSUB001", events)["events"] == events
