"""Every page and endpoint, poked by every kind of visitor with every method and an empty or junk
body, answers without a server error (PagerDuty itself unreachable: `rsps` mocks nothing), and every
HTML page it gets is one of Roster's (styled by base.css), not a bare Django page."""

import re

import pytest
from django.templatetags.static import static
from django.urls import URLResolver, get_resolver

from accounts import services as account_services
from rotations import services as rotation_services

pytestmark = pytest.mark.django_db

ROSTER_CSS = f'href="{static("css/base.css")}"'.encode()  # not Django admin's own admin/css/base.css
ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _urls(ids: dict) -> list[str]:
    urls = []
    for pattern in _patterns(get_resolver().url_patterns):
        if pattern.startswith(("admin/", "accounts/reset/", "accounts/logout/")):  # logging out would end the visit
            continue
        for value in (ids, {}):
            urls.append(
                "/"
                + ARG.sub(
                    lambda m, value=value: str(
                        value.get(m.group(2), 999_999 if m.group(1) == "int" else "NOPE-x%2F..%2F")
                    ),
                    pattern,
                )
            )
    return sorted(set(urls))


@pytest.mark.parametrize("who", ["anonymous", "member", "admin", "outsider"])
def test_no_url_answers_a_server_error(client, who, org, admin_user, member_user, outsider, rsps):
    rotation = rotation_services.rotation_create(
        organization=org, name="Ops", time_zone="UTC", members=[("Ana", "ana@acme.example")]
    )
    member = rotation.members.get()
    invitation = account_services.invitation_create(organization=org, email="new@acme.example", role="member")
    ids = {
        "rotation_id": rotation.pk,
        "member_id": member.pk,
        "user_id": member_user.pk,
        "invitation_id": invitation.invitation.pk,
        "token": invitation.accept_url.rstrip("/").rsplit("/", 1)[1],
    }
    user = {"member": member_user, "admin": admin_user, "outsider": outsider}.get(who)
    if user is not None:
        client.force_login(user)
    client.raise_request_exception = False
    failures = []
    for url in _urls(ids):
        for method in ("get", "post", "patch", "delete"):
            bodies = (
                (None,)
                if method == "get"
                else (None, "{not json", '{"token": 5, "name": [], "members": "x", "secret": null}')
            )
            for body in bodies:
                kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
                response = getattr(client, method)(url, **kwargs)
                # /readyz answers 503 by design while a part is not ready (here: beat never ran).
                not_ready = url == "/readyz" and response.status_code == 503 and b'"not ready"' in response.content
                if response.status_code >= 500 and not not_ready:
                    failures.append((method.upper(), url, body, response.status_code))
                # Every HTML page a person reaches is Roster's (base.html), never one of Django's own.
                html = response.get("Content-Type", "").startswith("text/html") and response.content
                if html and method == "get" and not url.startswith("/admin/") and ROSTER_CSS not in html:
                    failures.append(("GET", url, "not a Roster page", response.status_code))
    assert failures == []
