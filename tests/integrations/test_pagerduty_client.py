"""The PagerDuty client: auth headers, retries, rate limits, pagination and error shapes."""

import pytest
import requests
import responses
from responses import matchers

from integrations.pagerduty import client as pd
from tests import pd_mocks


@pytest.fixture
def client():
    return pd.PagerDutyClient.for_api_key("u+key00001234")


def test_a_429_without_a_wait_header_is_retried_then_succeeds(rsps, client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={"error": {"code": 2020}})
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    assert client.current_user()["name"] == "Earline Greenholt"
    assert len(rsps.calls) == 2


def test_a_5xx_is_retried_a_bounded_number_of_times(rsps, client, settings):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    with pytest.raises(pd.Unavailable, match="HTTP 503"):
        client.current_user()
    assert len(rsps.calls) == settings.PAGERDUTY_RETRIES + 1


def test_a_wait_longer_than_allowed_is_handed_back_as_rate_limited(rsps, client, settings):
    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={}, headers={"ratelimit-reset": "42"})
    with pytest.raises(pd.RateLimited) as caught:
        pd.PagerDutyClient.for_api_key("u+key00001234").current_user()
    assert caught.value.retry_after == 42
    assert "Try again in 42 seconds" in caught.value.message
    assert len(rsps.calls) == 1  # it did not sleep 42 s


def test_a_short_wait_is_slept_and_read_from_ratelimit_reset_too(monkeypatch, settings):
    from urllib3.response import HTTPResponse

    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    retry = pd.build_session().get_adapter("https://x").max_retries
    slept = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    retry.sleep(HTTPResponse(status=429, headers={"Retry-After": "2"}))
    retry.sleep(HTTPResponse(status=429, headers={"ratelimit-reset": "3"}))
    assert slept == [2.0, 3.0]


def test_pagination_walks_every_page(rsps, client):
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
    ids = [s["id"] for s in client.paginate("/schedules", "schedules", limit=2)]
    assert ids == ["S0", "S1", "S2", "S3", "S4", "S5"]


def test_the_account_level_error_string_is_recognised(rsps, client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.ACCOUNT_LEVEL_ERROR, status=400)
    with pytest.raises(pd.AccountLevelKey):
        client.current_user()


def test_object_shaped_errors_are_read(rsps, client):
    rsps.add(
        responses.GET,
        pd_mocks.api("/schedules/NOPE"),
        status=404,
        json={"error": {"message": "Not Found", "code": 2100, "errors": ["Schedule not found"]}},
    )
    with pytest.raises(pd.NotFound, match="Schedule not found"):
        client.get("/schedules/NOPE")


def test_timeouts_and_refused_connections_are_unavailable(rsps, client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), body=requests.ConnectTimeout("slow"))
    with pytest.raises(pd.Unavailable, match="did not answer in time"):
        client.current_user()


def test_every_call_has_a_timeout(rsps, client):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    client.current_user()
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


def test_a_schedule_in_an_undocumented_shape_is_an_outage_not_a_crash(rsps, client):
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json={"schedules": [{"name": "no id"}], "more": False})
    with pytest.raises(pd.Unavailable, match="could not read"):
        client.list_schedules()
    rsps.add(
        responses.GET,
        pd_mocks.api("/schedules/P1"),
        json={"schedule": {"final_schedule": {"rendered_schedule_entries": [{"end": "2026-01-01T00:00:00Z"}]}}},
    )
    with pytest.raises(pd.Unavailable, match="could not read"):
        client.get_schedule_window("P1", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", kind="v2")
