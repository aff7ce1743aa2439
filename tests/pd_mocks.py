"""Register PagerDuty REST responses with `responses`, shaped like PagerDuty's documented examples
(tests/fixtures/pagerduty/*.json come from the OpenAPI spec's examples)."""

import copy
import json
from pathlib import Path

import responses
from django.conf import settings

FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"


def fixture(name: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def api(path: str, region: str = "us") -> str:
    base = settings.PAGERDUTY_EU_API_URL if region == "eu" else settings.PAGERDUTY_API_URL
    return f"{base}{path}"


def user_me(*, name="Earline Greenholt", email="earline@acme.example", subdomain="acme", user_id="PXPGF42") -> dict:
    body = fixture("users_me.json")
    body["user"].update(
        id=user_id, name=name, summary=name, email=email, html_url=f"https://{subdomain}.pagerduty.com/users/{user_id}"
    )
    return body


def mock_valid_user_key(
    rsps, *, region="us", subdomain="acme", name="Earline Greenholt", email="earline@acme.example", teams_status=200
):
    rsps.add(responses.GET, api("/users/me", region), json=user_me(name=name, email=email, subdomain=subdomain))
    rsps.add(responses.GET, api("/schedules", region), json=fixture("schedules_list.json"))
    if teams_status == 200:
        rsps.add(responses.GET, api("/teams", region), json=fixture("teams_list.json"))
    else:
        rsps.add(
            responses.GET,
            api("/teams", region),
            json={"error": {"message": "Payment Required", "code": 2012}},
            status=teams_status,
        )


ACCOUNT_LEVEL_ERROR = {
    "error": "Because this request was made using an account-level access token, we were unable to "
    "determine the user's identity. Please use a user-level token."
}


def mock_valid_account_key(rsps, *, subdomain="acme", region="us"):
    rsps.add(responses.GET, api("/users/me", region), json=ACCOUNT_LEVEL_ERROR, status=400)
    users = fixture("users_list.json")
    users["users"][0]["html_url"] = f"https://{subdomain}.pagerduty.com/users/PXPGF42"
    rsps.add(responses.GET, api("/users", region), json=users)
    rsps.add(responses.GET, api("/schedules", region), json=fixture("schedules_list.json"))
    rsps.add(responses.GET, api("/teams", region), json=fixture("teams_list.json"))


UNAUTHORIZED_BODY = {"error": {"message": "Unauthorized", "code": 2006}}


def mock_unauthorized(rsps, *, region="us"):
    rsps.add(responses.GET, api("/users/me", region), json=UNAUTHORIZED_BODY, status=401)
