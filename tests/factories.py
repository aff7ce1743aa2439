"""factory_boy factories for the main models: a test states only what matters to it.

Organizations and their people come from the conftest fixtures (`org`, `admin_user`, ...), made with
the real `organization_create` service. Everything else a test needs is built here.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from covers.models import CoverRequest
from integrations.pagerduty.models import PagerDutyConnection
from rotations import services as rotation_services
from rotations.models import Member, Rotation

API_KEY = "u+AbCdEfGhIjKlMnOp1234"
OAUTH_ACCESS = "pd-access-token-0001"
OAUTH_REFRESH = "pd-refresh-token-0001"


class PagerDutyConnectionFactory(factory.django.DjangoModelFactory):
    """An active API-key connection; `PagerDutyConnectionFactory(org, oauth=True)` for OAuth."""

    class Meta:
        model = PagerDutyConnection

    auth_type = PagerDutyConnection.AuthType.API_KEY
    api_key = API_KEY
    key_last4 = factory.LazyAttribute(lambda c: c.api_key[-4:] if c.api_key else "")
    status = PagerDutyConnection.Status.ACTIVE

    class Params:
        oauth = factory.Trait(
            auth_type=PagerDutyConnection.AuthType.OAUTH,
            api_key="",
            oauth_client_id="org-app-client-id",
            oauth_client_secret="org-app-client-secret",
            access_token=OAUTH_ACCESS,
            refresh_token=OAUTH_REFRESH,
            token_expires_at=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1)),
            scopes="openid schedules.read teams.read users.read",
        )


class RotationFactory(factory.django.DjangoModelFactory):
    """A native weekly rotation in UTC; `members=[("Ana", "ana@acme.example"), ...]` adds members in order."""

    class Meta:
        model = Rotation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rotation {n}")
    time_zone = "UTC"
    start_date = dt.date(2026, 1, 5)

    @factory.post_generation
    def members(rotation, create, people, **kwargs):  # noqa: N805  (factory_boy passes the object first)
        for position, (name, email) in enumerate(people or []):
            Member.objects.create(rotation=rotation, position=position, name=name, email=email)


def daily_rotation(
    org, members, *, name="Platform", time_zone="UTC", start_date=dt.date(2026, 3, 1), **fields
) -> Rotation:
    """A native rotation made by the real `rotation_create` service: one turn a day each, handed over at 09:00
    local, the first member's turn on `start_date`."""
    return rotation_services.rotation_create(
        organization=org,
        name=name,
        time_zone=time_zone,
        members=members,
        cadence_unit="days",
        cadence_count=1,
        handoff_time=dt.time(9, 0),
        start_date=start_date,
        **fields,
    )


def cover_request(rotation, email: str, start: dt.datetime, end: dt.datetime, **fields) -> CoverRequest:
    """The member `email`'s request for cover of [start, end), saved directly (no service, no signal)."""
    requester = rotation.members.get(email=email)
    return CoverRequest.objects.create(
        organization=rotation.organization,
        rotation=rotation,
        requester=requester,
        requester_name=requester.name,
        requester_email=requester.email,
        start=start,
        end=end,
        created_by=requester.email,
        **fields,
    )
