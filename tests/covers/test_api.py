"""The cover requests JSON API: each operation (checked against the generated description by the
autouse contract fixture), who may act (a member's session, a person's token, an admin naming the
member; an operator's token is refused with 409 no_person, a non-member with 403), and the body rules."""

from __future__ import annotations

import pytest

from accounts.models import User
from covers import services
from covers.models import CoverRequest
from tests.conftest import bearer, new_member

from .conftest import ACTOR, H, ada, bo, mia, on_call_at, shifts_of

pytestmark = pytest.mark.django_db
JSON = "application/json"


def asked(rotation) -> CoverRequest:
    start, end = shifts_of(rotation, mia(rotation))[0]
    return services.cover_request_create(rotation=rotation, requester=mia(rotation), start=start, end=end, actor=ACTOR)


def test_a_member_asks_lists_and_reads_her_request(rotation, member_client):
    start, end = shifts_of(rotation, mia(rotation))[0]
    path = f"/api/rotations/{rotation.pk}/cover-requests"

    created = member_client.post(
        path, {"start": start.isoformat(), "end": (start + 4 * H).isoformat(), "note": "Dentist"}, content_type=JSON
    )

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "open" and body["note"] == "Dentist" and body["taker"] is None and body["swap"] is None
    assert body["requester"] == {"memberId": mia(rotation).pk, "name": "Mia Member", "email": "member@acme.example"}
    assert body["createdBy"] == "member@acme.example" and body["applyState"] == ""
    listed = member_client.get(path).json()["coverRequests"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert member_client.get(path, {"status": "taken"}).json() == {"coverRequests": []}
    assert member_client.get(f"/api/cover-requests/{body['id']}").json() == body


def test_a_rule_of_the_service_is_a_422_naming_the_json_field(rotation, member_client):
    start, _ = shifts_of(rotation, mia(rotation))[0]

    answer = member_client.post(
        f"/api/rotations/{rotation.pk}/cover-requests",
        {"start": start.isoformat(), "end": start.isoformat()},
        content_type=JSON,
    )

    assert answer.status_code == 422  # two values that do not fit together
    assert answer.json()["code"] == "invalid_range"
    assert answer.json()["errors"] == {"end": ["The end must be after the start."]}


def test_an_unknown_key_or_a_date_that_is_not_one_is_a_400(rotation, member_client):
    start, end = shifts_of(rotation, mia(rotation))[0]
    path = f"/api/rotations/{rotation.pk}/cover-requests"

    unknown = member_client.post(
        path, {"start": start.isoformat(), "end": end.isoformat(), "reason": "x"}, content_type=JSON
    )
    not_a_date = member_client.post(path, {"start": "tomorrow", "end": end.isoformat()}, content_type=JSON)

    assert unknown.status_code == 400 and "reason" in unknown.json()["message"]
    assert not_a_date.status_code == 400 and "start" in not_a_date.json()["errors"]
    assert not CoverRequest.objects.exists()


def test_another_member_takes_it_and_is_on_call_at_once(rotation, client, org, frozen):
    made = asked(rotation)
    client.force_login(new_member(org, "bo@acme.example"))

    answer = client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON)

    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "taken" and answer.json()["taker"]["name"] == "Bo Chen"
    assert answer.json()["takenBy"] == "bo@acme.example"
    assert on_call_at(rotation, made.start + H) == "Bo Chen"
    again = client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON)
    assert again.status_code == 409
    assert again.json() == {"code": "already_taken", "message": "You already took it."}


def test_a_swap_through_the_api(rotation, admin_client):
    made = asked(rotation)
    start, end = shifts_of(rotation, ada(rotation))[0]

    answer = admin_client.post(
        f"/api/cover-requests/{made.pk}/take",
        {"swap": {"start": start.isoformat(), "end": end.isoformat()}},
        content_type=JSON,
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["swap"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert on_call_at(rotation, start + H) == "Mia Member"


def test_an_operators_token_acts_for_no_person(rotation, client, org):
    made = asked(rotation)
    auth = bearer(org, "write")

    answer = client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON, **auth)

    assert answer.status_code == 409
    assert answer.json()["code"] == "no_person"
    assert answer.json()["message"].startswith("This API token acts for no person (an operator's token)")


def test_an_admin_token_of_an_operator_may_name_the_member(rotation, client, org):
    made = asked(rotation)
    auth = bearer(org, "admin")

    answer = client.post(f"/api/cover-requests/{made.pk}/take", {"takerId": bo(rotation).pk}, content_type=JSON, **auth)

    assert answer.status_code == 200
    assert answer.json()["taker"]["memberId"] == bo(rotation).pk
    assert answer.json()["takenBy"].startswith("API token …")


def test_a_persons_token_acts_for_that_person(rotation, client, org, admin_user):
    start, end = shifts_of(rotation, ada(rotation))[0]
    auth = bearer(org, "write", created_by=admin_user)

    answer = client.post(
        f"/api/rotations/{rotation.pk}/cover-requests",
        {"start": start.isoformat(), "end": end.isoformat()},
        content_type=JSON,
        **auth,
    )

    assert answer.status_code == 201
    assert answer.json()["requester"]["name"] == "Ada Admin"
    assert answer.json()["createdBy"].startswith("API token …")


def test_a_member_may_not_ask_on_someone_elses_behalf(rotation, member_client):
    start, end = shifts_of(rotation, bo(rotation))[1]

    answer = member_client.post(
        f"/api/rotations/{rotation.pk}/cover-requests",
        {"start": start.isoformat(), "end": end.isoformat(), "requesterId": bo(rotation).pk},
        content_type=JSON,
    )

    assert answer.status_code == 403
    assert not CoverRequest.objects.exists()


def test_an_admin_asks_on_someones_behalf(rotation, admin_client):
    start, end = shifts_of(rotation, bo(rotation))[1]

    answer = admin_client.post(
        f"/api/rotations/{rotation.pk}/cover-requests",
        {"start": start.isoformat(), "end": end.isoformat(), "requesterId": bo(rotation).pk},
        content_type=JSON,
    )

    assert answer.status_code == 201
    assert answer.json()["requester"]["name"] == "Bo Chen" and answer.json()["createdBy"] == "admin@acme.example"


def test_someone_of_the_organization_who_is_not_in_the_rotation_gets_403(rotation, client, org):
    made = asked(rotation)
    client.force_login(new_member(org, "stranger@acme.example"))

    answer = client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON)

    assert answer.status_code == 403
    assert answer.json()["code"] == "not_a_member"
    assert CoverRequest.objects.get().status == "open"


def test_another_organization_sees_nothing(rotation, outsider_client):
    made = asked(rotation)

    assert outsider_client.get(f"/api/cover-requests/{made.pk}").status_code == 404
    assert outsider_client.get(f"/api/rotations/{rotation.pk}/cover-requests").status_code == 404
    assert outsider_client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON).status_code == 404


def test_the_requester_cancels_but_another_member_may_not(rotation, member_client, client, org):
    made = asked(rotation)
    client.force_login(new_member(org, "bo@acme.example"))

    refused = client.post(f"/api/cover-requests/{made.pk}/cancel", content_type=JSON)
    client.force_login(User.objects.get(email="member@acme.example"))
    cancelled = client.post(f"/api/cover-requests/{made.pk}/cancel", content_type=JSON)
    again = client.post(f"/api/cover-requests/{made.pk}/cancel", content_type=JSON)

    assert refused.status_code == 403
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelledBy"] == "member@acme.example"
    assert again.status_code == 409 and again.json()["code"] == "not_open"


def test_an_admin_cancels_a_taken_request_and_the_answer_says_what_happened(rotation, admin_client):
    made = asked(rotation)
    services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR)

    answer = admin_client.post(f"/api/cover-requests/{made.pk}/cancel", content_type=JSON)

    assert answer.status_code == 200
    assert answer.json()["applyMessage"] == "The override was deleted from the schedule."
    assert on_call_at(rotation, made.start + H) == "Mia Member"


def test_a_read_token_may_list_but_not_take(rotation, client, org, admin_user):
    made = asked(rotation)
    auth = bearer(org, "read", created_by=admin_user)

    assert client.get(f"/api/rotations/{rotation.pk}/cover-requests", **auth).status_code == 200
    answer = client.post(f"/api/cover-requests/{made.pk}/take", content_type=JSON, **auth)
    assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"


def test_support_staff_read_cover_requests_in_the_django_admin(rotation, staff_client):
    made = asked(rotation)

    listing = staff_client.get("/admin/covers/coverrequest/")
    shown = staff_client.get(f"/admin/covers/coverrequest/{made.pk}/change/")

    assert listing.status_code == 200 and b"Mia Member" in listing.content
    assert shown.status_code == 200 and b"Save" not in shown.content


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00", "2026-02-30T09:00:00Z"])
def test_a_date_at_the_edge_of_the_calendar_is_a_400_not_a_crash(rotation, member_client, moment):
    answer = member_client.post(
        f"/api/rotations/{rotation.pk}/cover-requests", {"start": moment, "end": moment}, content_type=JSON
    )

    assert answer.status_code == 400
    assert "start" in answer.json()["errors"]
