"""The rotation page's "Cover requests" section, as members and admins use it: ask for cover for one
of your shifts, take or swap someone else's request, cancel, and the history that follows."""

import datetime as dt
import re

import pytest

from covers.models import CoverRequest
from rotations.models import Override
from tests.conftest import NOW, new_member
from tests.factories import cover_request, daily_rotation
from tests.rotations.test_pages import confirm_refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

DAY = dt.timedelta(days=1)
# Daily turns at 09:00 UTC from 1 March in this order: on 6 March (turn 5) it is Cy's turn, then
# Admin's (7 March), Mia's (8 March), Cy's (9 March), ...
MIA_SHIFT = (dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC))
ADMIN_SHIFT = (dt.datetime(2026, 3, 7, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def mia(org):
    """A plain member of the organization (not an admin), on the rotation as Mia Park."""
    return new_member(org, "mia@acme.example")


@pytest.fixture
def cy(org):
    return new_member(org, "cy@acme.example")


@pytest.fixture
def rotation(org, admin_user, mia, cy):
    return daily_rotation(
        org, [("Ada Admin", "Admin@acme.example"), ("Mia Park", "mia@acme.example"), ("Cy Diaz", "cy@acme.example")]
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def section(html: str) -> str:
    start = html.index('id="cover-requests"')
    return html[start : html.index("</section>", start)]


def page(client, rotation) -> str:
    response = client.get(f"/rotations/{rotation.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def ask(client, rotation, start, end, note="", dialog=None):
    dialog = dialog or f"cover-ask-{int(start.timestamp())}"
    return client.post(
        f"/rotations/{rotation.pk}/cover-requests/",
        {"dialog": dialog, "start": f"{start:%Y-%m-%dT%H:%M}", "end": f"{end:%Y-%m-%dT%H:%M}", "note": note},
        follow=True,
    )


def press(client, user, request, action: str, **data):
    """`user`, signed in, presses Take it or Cancel (`action`) on the request; the page it lands on."""
    client.force_login(user)
    return client.post(f"/rotations/{request.rotation_id}/cover-requests/{request.pk}/{action}/", data, follow=True)


def open_request(rotation, requester_email="mia@acme.example", start=MIA_SHIFT[0], end=MIA_SHIFT[1]):
    return cover_request(rotation, requester_email, start, end)


# --- what the section shows (no service involved) ------------------------------------------------


def test_a_plain_member_sees_their_upcoming_shifts_each_with_ask_for_cover_preselected(client, rotation, mia):
    html = section(page(signed_in(client, mia), rotation))
    mine = html.split('data-testid="my-shifts"')[1].split("</ul>")[0]
    assert mine.count("Ask for cover</a>") == 5  # 8, 11, 14, 17 and 20 March within the next 14 days
    assert "Sun 8 Mar 09:00–Mon 9 Mar 09:00 UTC" in re.sub(r"<[^>]+>", "", mine)
    dialog = mine.split('<dialog id="cover-ask-1772960400"')[1].split("</dialog>")[0]
    assert 'name="start" value="2026-03-08T09:00"' in dialog
    assert 'name="end" value="2026-03-09T09:00"' in dialog
    assert 'name="note"' in dialog
    assert "No open request." in html


def test_someone_not_on_the_rotation_sees_requests_but_no_shifts_and_no_take(client, org, rotation):
    open_request(rotation)
    lee = new_member(org, "lee@acme.example")
    html = section(page(signed_in(client, lee), rotation))
    assert "Your upcoming shifts" not in html
    assert "Mia Park</strong> needs cover" in html
    assert "Take it" not in html and "Cancel request" not in html


def test_others_see_take_and_swap_the_requester_sees_cancel(client, rotation, mia, cy):
    request = open_request(rotation)
    theirs = section(page(signed_in(client, cy), rotation))
    assert f'action="/rotations/{rotation.pk}/cover-requests/{request.pk}/take/"' in theirs
    assert "Take it" in theirs and ">Swap</a>" in theirs and "Cancel request" not in theirs
    swap = theirs.split(f'<dialog id="cover-swap-{request.pk}"')[1].split("</dialog>")[0]
    # Cy's own future shifts (9, 12, 15, 18 March), never the one in progress (6 March)
    assert swap.count('type="radio" name="swap"') == 4
    assert 'value="2026-03-09T09:00:00+00:00|2026-03-10T09:00:00+00:00"' in swap

    own = section(page(signed_in(client, mia), rotation))
    assert "Take it" not in own and "Cancel request" in own
    assert "Cover asked" in own  # beside the shift already asked for


def test_the_cancel_dialogs_close_with_keep_not_a_second_cancel(client, rotation, mia):
    """ "Cancel request" beside a "Cancel" that only closes the dialog: which one cancels? The button
    that closes it says what it keeps."""
    asked = open_request(rotation)
    taken = open_request(rotation, start=MIA_SHIFT[0] + 3 * DAY, end=MIA_SHIFT[1] + 3 * DAY)
    CoverRequest.objects.filter(pk=taken.pk).update(
        status="taken", taker_name="Cy Diaz", taker_email="cy@acme.example", taken_at=NOW, apply_state="applied"
    )
    html = section(page(signed_in(client, mia), rotation))
    for request, action, keep in (
        (asked, "Cancel request", "Keep the request"),
        (taken, "Cancel cover", "Keep the cover"),
    ):
        dialog = html.split(f'<dialog id="cover-cancel-{request.pk}"')[1].split("</dialog>")[0]
        buttons = [re.sub(r"<[^>]+>", "", b).strip() for b in re.findall(r"<button[^>]*>.*?</button>", dialog)]
        assert buttons == ["×", action, keep]


def test_the_history_says_who_took_cancelled_or_let_expire_and_when(client, rotation, mia):
    taken = open_request(rotation)
    CoverRequest.objects.filter(pk=taken.pk).update(
        status="taken",
        taker_name="Cy Diaz",
        taker_email="cy@acme.example",
        taken_at=NOW - dt.timedelta(hours=2),
        taken_by="cy@acme.example",
        apply_state="applied",
    )
    cancelled = open_request(rotation, start=MIA_SHIFT[0] + 3 * DAY, end=MIA_SHIFT[1] + 3 * DAY)
    CoverRequest.objects.filter(pk=cancelled.pk).update(
        status="cancelled",
        cancelled_at=NOW - dt.timedelta(hours=1),
        cancelled_by="admin@acme.example",
        apply_message="The override was deleted.",
    )
    expired = open_request(rotation, start=NOW - DAY, end=NOW - DAY / 2)
    CoverRequest.objects.filter(pk=expired.pk).update(status="expired", expired_at=NOW - DAY)
    html = section(page(signed_in(client, mia), rotation))
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "taken by Cy Diaz Fri 6 Mar 10:00 UTC" in text
    assert "cancelled Fri 6 Mar 11:00 UTC by admin@acme.example" in text
    assert "The override was deleted." in text
    assert "expired Thu 5 Mar 12:00 UTC: nobody took it" in text
    assert html.count('data-open-dialog="cover-cancel-') == 1  # only the taken one, still ahead, can be undone


def test_a_refused_write_says_why_with_a_link_to_the_schedule_in_pagerduty(client, rotation, mia):
    request = open_request(rotation)
    rotation.pagerduty_schedule_url = "https://acme.pagerduty.com/schedules/PSCHED1"
    rotation.save(update_fields=["pagerduty_schedule_url"])
    CoverRequest.objects.filter(pk=request.pk).update(
        apply_state="refused", apply_message="PagerDuty refused the override: the API key is read-only."
    )
    html = section(page(signed_in(client, mia), rotation))
    refused = html.split('data-testid="cover-refused">')[1].split("</p>")[0]
    assert "PagerDuty refused the override: the API key is read-only." in refused
    assert (
        '<a href="https://acme.pagerduty.com/schedules/PSCHED1" rel="noopener">Open the schedule in PagerDuty</a>'
        in refused
    )


def test_another_organizations_rotation_and_requests_are_404(client, rotation, outsider):
    request = open_request(rotation)
    client.force_login(outsider)
    base = f"/rotations/{rotation.pk}/cover-requests/"
    assert client.post(base, {"start": "2026-03-08T09:00", "end": "2026-03-09T09:00"}).status_code == 404
    assert client.post(f"{base}{request.pk}/take/").status_code == 404
    assert client.post(f"{base}{request.pk}/cancel/").status_code == 404
    assert CoverRequest.objects.get(pk=request.pk).status == "open"


def test_a_request_of_another_rotation_is_404_under_this_one(client, org, rotation, mia):
    other = daily_rotation(org, [("Mia Park", "mia@acme.example")], name="Other")
    request = open_request(rotation)
    client.force_login(mia)
    assert client.post(f"/rotations/{other.pk}/cover-requests/{request.pk}/cancel/").status_code == 404


def test_the_views_take_posts_only(client, rotation, mia):
    request = open_request(rotation)
    client.force_login(mia)
    assert client.get(f"/rotations/{rotation.pk}/cover-requests/").status_code == 405
    assert client.get(f"/rotations/{rotation.pk}/cover-requests/{request.pk}/take/").status_code == 405


# --- through the services ------------------------------------------------------------------------


def test_a_member_asks_for_part_of_a_shift_and_it_is_listed_with_the_note(client, rotation, mia):
    client.force_login(mia)
    start, end = MIA_SHIFT[0] + dt.timedelta(hours=3), MIA_SHIFT[0] + dt.timedelta(hours=11)
    response = ask(client, rotation, start, end, note="Dentist", dialog=f"cover-ask-{int(MIA_SHIFT[0].timestamp())}")
    assert said(response) == [
        "You asked for cover Sun 8 Mar 12:00–20:00 UTC. The rotation's other members can take it from this page."
    ]
    request = CoverRequest.objects.get()
    assert (request.start, request.end, request.note, request.requester_name) == (start, end, "Dentist", "Mia Park")
    assert request.created_by == "mia@acme.example"
    html = section(response.content.decode())
    assert "Mia Park</strong> needs cover" in html and "“Dentist”" in html


def test_a_refused_ask_comes_back_in_its_dialog_with_the_reason_beside_the_field(client, rotation, mia):
    client.force_login(mia)
    dialog = f"cover-ask-{int(MIA_SHIFT[0].timestamp())}"
    # 7 March is Ada's turn, not Mia's
    response = ask(client, rotation, ADMIN_SHIFT[0], ADMIN_SHIFT[1], note="Please", dialog=dialog)
    assert response.status_code == 200 and not CoverRequest.objects.exists()
    box = section(response.content.decode()).split(f'<dialog id="{dialog}"')[1].split("</dialog>")[0]
    assert box.startswith(f' class="dialog" aria-labelledby="{dialog}-title" open')
    start_field = box.split(f'id="{dialog}_start_error"')[1]
    assert "Mia Park is not on call in Platform" in start_field.split("</span>")[0]
    assert 'value="2026-03-07T09:00"' in box and ">\nPlease</textarea>" in box  # the values kept


def test_an_ask_ending_before_it_starts_is_refused_beside_the_end(client, rotation, mia):
    client.force_login(mia)
    dialog = f"cover-ask-{int(MIA_SHIFT[0].timestamp())}"
    response = ask(client, rotation, MIA_SHIFT[1], MIA_SHIFT[0], dialog=dialog)
    box = section(response.content.decode()).split(f'<dialog id="{dialog}"')[1].split("</dialog>")[0]
    assert "The end must be after the start." in box.split(f'id="{dialog}_end_error"')[1].split("</span>")[0]


def test_someone_else_takes_it_and_the_timeline_shows_them_covering(client, rotation, mia, cy):
    request = open_request(rotation)
    response = press(client, cy, request, "take")
    assert said(response) == ["You cover Mia Park Sun 8 Mar 09:00–Mon 9 Mar 09:00 UTC."]
    html = response.content.decode()
    turn = html.split('datetime="2026-03-08T09:00:00+00:00"')[1].split("</li>")[0]
    assert "Cy Diaz covers 09:00–09:00 UTC (Mon 9 Mar)" in re.sub(r"<[^>]+>", "", turn)
    history = section(html).split('data-testid="cover-history"')[1]
    assert "taken by <strong>Cy Diaz</strong>" in history
    assert "No open request." in section(html)


def test_a_shift_under_way_asked_from_the_next_minute_is_taken_minutes_later_from_then_on(
    client, rotation, mia, cy, frozen
):
    cy_shift_end = dt.datetime(2026, 3, 7, 9, 0, tzinfo=dt.UTC)  # Cy is on call since 09:00 and falls ill at noon
    dialog = section(page(signed_in(client, cy), rotation)).split('<dialog id="cover-ask-1772787600"')[1]
    assert 'name="start" value="2026-03-06T12:01"' in dialog.split("</dialog>")[0]
    ask(client, rotation, NOW + dt.timedelta(minutes=1), cy_shift_end, dialog="cover-ask-1772787600")
    (made,) = CoverRequest.objects.all()
    frozen.move_to(NOW + dt.timedelta(minutes=6, seconds=20))

    html = section(page(signed_in(client, mia), rotation))
    assert "Under way: whoever takes it covers from then until Sat 7 Mar 09:00 UTC" in re.sub(r"<[^>]+>", "", html)
    response = press(client, mia, made, "take")

    assert said(response) == ["You cover Cy Diaz Fri 6 Mar 12:06–Sat 7 Mar 09:00 UTC."]
    made.refresh_from_db()
    took_at = NOW + dt.timedelta(minutes=6, seconds=20)
    assert (made.status, made.start, made.end) == ("taken", took_at, cy_shift_end)
    override = Override.objects.get(pk=made.native_override_id)
    assert (override.start, override.end) == (took_at, cy_shift_end)
    api = client.get(f"/api/cover-requests/{made.pk}").json()
    assert (api["status"], api["start"], api["end"]) == ("taken", took_at.isoformat(), cy_shift_end.isoformat())


def test_the_slower_of_two_takers_hears_who_was_faster(client, rotation, mia, cy, admin_user):
    request = open_request(rotation)
    press(client, cy, request, "take")
    response = press(client, admin_user, request, "take")
    assert said(response) == ["Cy Diaz took it first."]
    assert CoverRequest.objects.get().taker_name == "Cy Diaz"


def test_a_swap_gives_one_of_the_takers_shifts_back_to_the_requester(client, rotation, mia, cy):
    request = open_request(rotation)
    given = "2026-03-09T09:00:00+00:00|2026-03-10T09:00:00+00:00"
    response = press(client, cy, request, "take", swap=given)
    assert said(response) == [
        "You cover Mia Park Sun 8 Mar 09:00–Mon 9 Mar 09:00 UTC. "
        "In return Mia Park takes your shift Mon 9 Mar 09:00–Tue 10 Mar 09:00 UTC."
    ]
    text = re.sub(r"<[^>]+>", "", response.content.decode())
    assert (
        "Cy Diaz covers 09:00–09:00 UTC (Mon 9 Mar)" in text and "Mia Park covers 09:00–09:00 UTC (Tue 10 Mar)" in text
    )


def test_a_swap_without_a_shift_chosen_is_refused_and_nothing_is_taken(client, rotation, mia, cy):
    request = open_request(rotation)
    response = press(client, cy, request, "take", swap="tomorrow")
    assert said(response) == ["Choose one of your shifts to give back in the swap."]
    assert CoverRequest.objects.get().status == "open"


def test_the_requester_cannot_take_their_own_request(client, rotation, mia):
    request = open_request(rotation)
    response = press(client, mia, request, "take")
    assert said(response) == ["You asked for this cover: someone else has to take it."]


def test_someone_outside_the_rotation_cannot_take_it(client, org, rotation):
    request = open_request(rotation)
    lee = new_member(org, "lee@acme.example")
    response = press(client, lee, request, "take")
    assert said(response) == ["lee@acme.example is not a member of the rotation Platform."]
    assert CoverRequest.objects.get().status == "open"


def test_only_the_requester_or_an_admin_cancels(client, rotation, mia, cy):
    request = open_request(rotation)
    response = press(client, cy, request, "cancel", confirm="on")
    assert said(response) == ["Only the person who asked, or an admin, can cancel a cover request."]
    assert CoverRequest.objects.get().status == "open"
    response = press(client, mia, request, "cancel", confirm="on")
    assert said(response) == ["Cover request cancelled."]
    assert "cancelled" in section(response.content.decode()).split('data-testid="cover-history"')[1]


def test_an_admin_cancels_a_taken_cover_and_the_page_says_the_override_went(client, rotation, mia, cy, admin_user):
    request = open_request(rotation)
    press(client, cy, request, "take")
    assert Override.objects.filter(rotation=rotation).count() == 1
    response = press(client, admin_user, request, "cancel", confirm="on")
    assert said(response) == ["Cover request cancelled. The override was deleted from the schedule."]
    assert not Override.objects.filter(rotation=rotation).exists()
    result = section(response.content.decode()).split('data-testid="cover-result">')[1].split("</p>")[0]
    assert result == "The override was deleted from the schedule."


def test_cancelling_a_cover_in_progress_cuts_it_at_now(client, rotation, mia, cy, admin_user, frozen):
    request = open_request(rotation)
    press(client, cy, request, "take")
    frozen.move_to(MIA_SHIFT[0] + dt.timedelta(hours=5))
    response = press(client, mia, request, "cancel", confirm="on")
    assert said(response) == [
        "Cover request cancelled. The override was in progress: it was cut at 2026-03-08 14:00 UTC."
    ]
    assert Override.objects.get(rotation=rotation).end == MIA_SHIFT[0] + dt.timedelta(hours=5)


# --- a PagerDuty-bound rotation whose connection may not write -------------------------------------


@pytest.fixture
def read_only_pagerduty(fake_pagerduty, org, mia, cy):
    """A rotation following the fake PagerDuty's classic schedule PCOVER (8-hour turns: Mia, Cy),
    synced once, on a connection whose key PagerDuty lets read but not write."""
    from integrations.pagerduty.models import PagerDutyConnection
    from rotations import sync
    from rotations.models import Member, Rotation
    from tests.factories import API_KEY, PagerDutyConnectionFactory
    from tests.rotations.fake_schedules import FakeSchedule, install

    install(
        fake_pagerduty,
        schedules={"PCOVER": FakeSchedule(users=["PMIA", "PCY"], time_zone="UTC", name="Payments")},
        users={"PMIA": ("Mia Park", "mia@acme.example"), "PCY": ("Cy Diaz", "cy@acme.example")},
    )
    fake_pagerduty.valid_keys[API_KEY] = {"id": "PMIA", "name": "Mia Park", "email": "mia@acme.example"}
    fake_pagerduty.read_only_keys.add(API_KEY)
    PagerDutyConnectionFactory(organization=org, api_key=API_KEY)
    assert PagerDutyConnection.objects.filter(organization=org).exists()
    rotation = Rotation.objects.create(
        organization=org, name="Payments", time_zone="UTC", pagerduty_schedule_id="PCOVER", pagerduty_schedule_kind="v2"
    )
    Member.objects.create(rotation=rotation, name="Mia Park", email="mia@acme.example", position=0)
    Member.objects.create(rotation=rotation, name="Cy Diaz", email="cy@acme.example", position=1)
    sync.sync_schedule(organization_id=org.pk, schedule_id="PCOVER")
    rotation.refresh_from_db()
    return rotation


def test_a_take_pagerduty_refuses_keeps_the_request_open_and_says_why_with_a_link(client, read_only_pagerduty, cy):
    rotation = read_only_pagerduty
    shift = rotation.shifts.filter(member__email="mia@acme.example", start__gt=NOW + dt.timedelta(hours=1)).first()
    request = open_request(rotation, start=shift.start, end=shift.end)
    response = press(client, cy, request, "take")
    (message,) = said(response)
    request.refresh_from_db()
    assert (request.status, request.apply_state, request.apply_message) == ("open", "refused", message)
    assert rotation.pagerduty_schedule_url and rotation.pagerduty_schedule_url in message
    refused = section(response.content.decode()).split('data-testid="cover-refused">')[1].split("</p>")[0]
    assert f'<a href="{rotation.pagerduty_schedule_url}" rel="noopener">Open the schedule in PagerDuty</a>' in refused
    assert "Take it" in section(response.content.decode())  # still open: someone can try again


def test_cancelling_without_the_box_changes_nothing_and_says_why(client, rotation, mia):
    request = open_request(rotation)
    client.force_login(mia)
    url = f"/rotations/{rotation.pk}/cover-requests/{request.pk}/cancel/"
    confirm_refused(client, url, f"cover-cancel-{request.pk}")
    assert CoverRequest.objects.get().status == "open"
