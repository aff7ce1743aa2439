"""Cover requests by email (Django's mail outbox): the offer to the rotation's members who chose
shift emails, and the requester told when it is taken, nobody has taken it yet, or it expired."""

import datetime as dt

import pytest
from django.core import mail

from accounts.actor import SYSTEM
from covers.models import CoverRequest
from covers.time_off import NOTE_PREFIX
from notifications import cover_events, email, services, tasks
from notifications.models import Notification
from tests.notifications.covers import ask, happen

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)  # Cy's shift in `rotation` (Ana 6 March, Bo 7th, Cy 8th)
END = START + dt.timedelta(hours=12)
ANA, BO, CY = "ana@acme.example", "bo@acme.example", "cy@acme.example"


def turn_on(rotation, address, **changes):
    email.reminder_set(rotation=rotation, email=address, actor=None, changes=changes)


def test_the_offer_goes_to_members_who_chose_shift_emails_but_not_the_requester(rotation):
    turn_on(rotation, BO, reminder_hours=12)
    turn_on(rotation, CY, shift_moved=True)
    turn_on(rotation, ANA, reminder_hours=2)  # the requester: not offered her own request

    cover = ask(rotation, ANA, START, END, note="Family wedding")
    tasks.sweep()  # the sweep after the listener: nothing twice
    tasks.cover_nudge(event="created", cover_request_id=cover.pk)

    assert sorted(m.to[0] for m in mail.outbox) == [BO, CY]
    message = next(m for m in mail.outbox if m.to == [BO])
    assert message.subject == "Ana Ortiz asks for cover in Platform"
    assert message.body.startswith("Hello Bo Chen,\n")  # by name, as the reminders greet
    assert "  From:  Sun 8 Mar 2026 09:00 (UTC)\n  Until: Sun 8 Mar 2026 21:00 (UTC)" in message.body
    assert "  Family wedding" in message.body
    assert "https://roster.example.com/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert set(Notification.objects.values_list("kind", "status")) == {("email.cover_offer", "sent")}


def test_the_unsubscribe_page_an_offer_links_to_says_it_stops_cover_requests_too(rotation, client):
    turn_on(rotation, BO, reminder_hours=12)
    ask(rotation, ANA, START, END)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")

    page = client.get(link.removeprefix("https://roster.example.com")).content.decode()

    assert (
        "Stop the shift reminders, moved-shift emails and cover requests from <strong>Platform</strong> "
        "to <strong>bo@acme.example</strong>." in page
    )


def test_the_rotation_defaults_pick_people_who_made_no_choice_and_an_own_choice_of_none_wins(rotation):
    email.defaults_set(rotation=rotation, actor=None, changes={"shift_moved": True})
    turn_on(rotation, CY, reminder_hours=None, shift_moved=False)  # Cy turned them off

    ask(rotation, ANA, START, END)

    assert [m.to for m in mail.outbox] == [[BO]]


def test_an_offer_to_someone_who_follows_the_rotation_s_defaults_says_they_are_on_by_default(rotation):
    email.defaults_set(rotation=rotation, actor=None, changes={"shift_moved": True})
    turn_on(rotation, CY, reminder_hours=2)

    ask(rotation, ANA, START, END)

    by_default, own = sorted(mail.outbox, key=lambda m: m.to)
    assert by_default.to == [BO] and own.to == [CY]
    assert "You get this email because shift emails are on by default in Platform.\n" in by_default.body
    assert "You get this email because you chose shift emails from Platform.\n" in own.body


def test_nobody_is_emailed_an_offer_by_default(rotation):
    ask(rotation, ANA, START, END)
    assert mail.outbox == [] and not Notification.objects.filter(kind="email.cover_offer").exists()


def test_an_offer_not_sent_before_someone_took_it_is_skipped(rotation):
    turn_on(rotation, BO, reminder_hours=12)
    cover = ask(rotation, ANA, START, END, tell=False)  # the listener never ran
    happen(cover, "taken", by=CY, tell=False)

    tasks.sweep()

    offer = Notification.objects.get(kind="email.cover_offer")
    assert offer.status == "skipped" and "taken, cancelled or expired" in offer.last_error
    assert [(m.to, m.subject) for m in mail.outbox] == [([ANA], "Cy Diaz took your cover request in Platform")]


def test_the_requester_hears_when_it_is_taken_nobody_took_it_yet_and_it_expired_each_once(rotation):
    first = ask(rotation, ANA, START, END)
    happen(first, "taken", by=BO)
    second = ask(rotation, ANA, END, END + dt.timedelta(hours=2))
    happen(second, "expiring")
    happen(second, "expired")
    third = ask(rotation, ANA, END + dt.timedelta(hours=2), END + dt.timedelta(hours=3))
    happen(third, "cancelled", by=ANA)  # she cancelled it herself: no email

    tasks.sweep()
    for row in Notification.objects.all():
        services.notification_deliver(notification_id=row.pk)

    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([ANA], "Bo Chen took your cover request in Platform"),
        ([ANA], "Nobody has taken your cover request in Platform yet"),
        ([ANA], "Your cover request in Platform expired"),
    ]
    assert "Bo Chen took your request for cover in Platform" in mail.outbox[0].body
    assert "If nobody takes it, you stay on call." in mail.outbox[1].body
    assert (
        "Nobody took your request for cover in Platform before it ended, so you stayed on call:" in mail.outbox[2].body
    )


def test_an_offer_to_someone_who_unsubscribed_since_is_not_sent(rotation):
    turn_on(rotation, BO, reminder_hours=12)
    cover = ask(rotation, ANA, START, END, tell=False)
    [row] = cover_events.cover_event_fan_out(cover_request_id=cover.pk, event="created")  # made, not sent yet
    email.unsubscribe(rotation=rotation, email=BO, via="link")

    services.notification_deliver(notification_id=row)

    assert mail.outbox == []
    assert Notification.objects.get(pk=row).last_error == "Not sent: bo@acme.example turned these emails off."


def test_the_taker_hears_once_when_the_cover_they_took_is_cancelled_but_not_when_they_cancel_it(rotation):
    mine = ask(rotation, ANA, START, END)
    happen(mine, "taken", by=BO)
    happen(mine, "cancelled", by=ANA, apply_message="The override was deleted.")
    theirs = ask(rotation, ANA, END, END + dt.timedelta(hours=2))
    happen(theirs, "taken", by=CY)
    happen(theirs, "cancelled", by=CY)  # Cy (an admin, say) cancelled the cover they took themselves
    tasks.sweep()
    tasks.cover_nudge(event="cancelled", cover_request_id=mine.pk)

    told = [m for m in mail.outbox if m.to != [ANA]]
    assert [(m.to, m.subject) for m in told] == [([BO], "Ana Ortiz cancelled the cover you took in Platform")]
    assert "Ana Ortiz cancelled the cover you took in Platform, so you are no longer on call for it:" in told[0].body
    assert "  From:  Sun 8 Mar 2026 09:00 (UTC)" in told[0].body and "The override was deleted." in told[0].body
    assert "You get this email because you took a cover request in Roster." in told[0].body


def test_the_taker_reads_who_cancelled_by_name_not_by_email(rotation, admin_user):
    admin_user.first_name, admin_user.last_name = "Ada", "Admin"
    admin_user.save()
    by_member = ask(rotation, ANA, START, END)
    happen(by_member, "taken", by=BO)
    happen(by_member, "cancelled", by=CY)  # Cy, a member of the rotation (an admin, say)
    by_admin = ask(rotation, ANA, END, END + dt.timedelta(hours=2))
    happen(by_admin, "taken", by=BO)
    happen(by_admin, "cancelled", by="Admin@acme.example")  # an admin outside the rotation

    subjects = [m.subject for m in mail.outbox if m.to == [BO]]
    assert subjects == [
        "Cy Diaz cancelled the cover you took in Platform",
        "Ada Admin cancelled the cover you took in Platform",
    ]
    assert "@" not in mail.outbox[-1].body.split("\n")[2]


def test_a_request_roster_opened_for_time_off_tells_the_requester_why_without_saying_they_asked(rotation):
    cover = ask(rotation, ANA, START, END, tell=False)
    CoverRequest.objects.filter(pk=cover.pk).update(created_by=SYSTEM.label, note=f"{NOTE_PREFIX}Skiing")
    cover.refresh_from_db()
    happen(cover, "taken", by=BO)

    (message,) = mail.outbox
    assert message.subject == "Bo Chen took your cover request in Platform"
    assert message.body.endswith("\n\nYou get this email because Roster asked for cover during your time off.\n")
