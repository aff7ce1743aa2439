"""Issue 26: PagerDuty changes reach Roster fast, for every organization at once, within a request
budget per PagerDuty credential that every process shares (rotations/freshness.py, budget.py)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import threading

import pytest
from django.db import transaction

from accounts.services import organization_create
from integrations.pagerduty.budget import Budget, BudgetSpent
from integrations.pagerduty.models import PagerDutyConnection
from rotations import freshness, services
from rotations.models import DueSchedule, Rotation
from tests.factories import PagerDutyConnectionFactory
from tests.rotations.fake_schedules import FakeSchedule, install

USERS = {f"PU{n:02d}": (f"Person {n}", f"person{n}@acme.example") for n in range(8)}


def organization(fake, name: str, key: str, schedules: int, *, prefix: str, in_policies: bool = True, **connection):
    org = organization_create(name=name, admin_email=f"admin@{name.lower()}.example", password="a long horse battery")
    fake.valid_keys[key] = {"id": f"PADM{prefix}", "name": f"{name} admin", "email": f"admin@{name.lower()}.example"}
    PagerDutyConnectionFactory(organization=org, api_key=key, **connection)
    ids = [f"P{prefix}{n:04d}" for n in range(schedules)]
    users = list(USERS)
    made = {
        sid: FakeSchedule(users=[users[(n + k) % len(users)] for k in range(3)], name=sid) for n, sid in enumerate(ids)
    }
    if not hasattr(fake, "catalog"):  # one set of routes, every organization's schedules in it
        fake.catalog = {}
        install(fake, schedules=fake.catalog, users=USERS)
    fake.catalog.update(made)
    fake.schedules.update(made)
    if in_policies:
        fake.escalation_policies.update({f"EP{sid}": {sid} for sid in ids})
    Rotation.objects.bulk_create(
        [
            Rotation(
                organization=org, name=sid, time_zone="UTC", pagerduty_schedule_id=sid, pagerduty_schedule_kind="v2"
            )
            for sid in ids
        ]
    )
    return org, ids


def requests_of(fake, key: str, path_prefix: str = "") -> int:
    return sum(1 for r in fake.log if r.token == key and r.path.startswith(path_prefix))


def synced(org) -> int:
    return Rotation.objects.filter(organization=org, last_sync_ok=True).count()


def sync_everything(org) -> None:
    """The beat's full sync, then its drain again as the next beat would, until the queue is empty: one drain
    stops after 10 s, so a loaded machine reads fewer schedules per drain, not fewer in all."""
    from rotations.tasks import drain_schedules, start_sync

    start_sync()
    for _ in range(20):
        if drain_schedules(org.pk) == "empty":
            return


# --- the budget ----------------------------------------------------------------------------------


def _spend(key: str, per_minute: int, tries: int, results) -> None:
    budget, taken = Budget(key, per_minute), 0
    for _ in range(tries):
        try:
            budget.take()
        except BudgetSpent:
            continue
        taken += 1
    results.put(taken)


@pytest.mark.subprocess
def test_two_worker_processes_sharing_a_key_never_spend_more_than_its_budget_together():
    """Without Redis, two processes (a prefork pool) count in one SQLite file, not each in its memory."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_spend, args=("shared-key", 50, 80, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    taken = [results.get(timeout=5) for _ in workers]
    assert sum(taken) == 50, taken  # 160 tries, 50 allowed in the minute, shared
    assert Budget("shared-key", 50).available() == 0
    assert Budget("another-key", 50).available() == 50  # each credential has its own


@pytest.mark.services
def test_two_workers_each_with_its_own_limiter_on_redis_never_spend_more_than_the_budget(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: run `make test-services`")
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    from config import limits

    own = threading.local()

    def per_thread_limiter():  # as two processes would: each its own connection to Redis
        if not hasattr(own, "limiter"):
            own.limiter = MovingWindowRateLimiter(storage_from_string(settings.REDIS_URL))
        return own.limiter

    monkeypatch.setattr(limits, "shared_limiter", per_thread_limiter)
    import queue

    results: queue.Queue = queue.Queue()
    threads = [threading.Thread(target=_spend, args=("redis-key", 40, 70, results)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.get() + results.get() == 40


@pytest.mark.redis
def test_pagerdutys_headers_pause_background_work_when_the_key_is_busier_than_roster_knows():
    budget = Budget("busy-key", 480)
    budget.observe(200, {"ratelimit-limit": "960", "ratelimit-remaining": "700", "ratelimit-reset": "20"})
    assert budget.available() == 480  # 700 left: more than the 480 kept for people
    budget.observe(200, {"ratelimit-limit": "960", "ratelimit-remaining": "300", "ratelimit-reset": "20"})
    assert budget.available() == 0  # someone else's script spends the key: wait for PagerDuty's reset
    assert 19 <= budget.wait() <= 21
    with pytest.raises(BudgetSpent):
        budget.take()


# --- fairness: each organization its own queue and budget --------------------------------------


def test_one_organizations_500_schedules_do_not_delay_anothers_5(transactional_db, fake_pagerduty, settings):
    settings.PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE = 100
    large, _ = organization(fake_pagerduty, "Large", "u+largeKey000001", 500, prefix="L")
    small, _ = organization(fake_pagerduty, "Small", "u+smallKey000001", 5, prefix="S")
    from rotations.tasks import start_sync

    start_sync()  # in-process: each organization's queue drained as far as its own budget allows

    assert synced(small) == 5  # not behind the large one's 500
    assert requests_of(fake_pagerduty, "u+largeKey000001") <= 100  # its budget: no more in a minute
    assert 0 < synced(large) < 500
    assert DueSchedule.objects.filter(organization=large).count() == 500 - synced(large)  # they wait their turn


# --- change detection ----------------------------------------------------------------------------


def test_the_change_poll_reads_oncalls_and_re_reads_only_the_schedule_that_changed(
    transactional_db, fake_pagerduty, client
):
    org, ids = organization(fake_pagerduty, "Acme", "u+acmeKey0000001", 40, prefix="A")
    from rotations.tasks import poll_connection

    sync_everything(org)
    assert synced(org) == 40
    fake_pagerduty.log.clear()

    assert poll_connection(org.pk) == 0  # nothing changed: only GET /oncalls, no schedule read
    assert {r.path for r in fake_pagerduty.log} == {"/oncalls"}
    assert len(fake_pagerduty.log) <= 12  # 840 on-call entries, 100 a page; 40 schedule reads otherwise

    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    # PU05 is never on call in schedule 7 (PU07, PU00, PU01 take turns): the override changes it at any hour.
    change = fake_pagerduty.override(ids[7], start, start + dt.timedelta(hours=3), "PU05")
    fake_pagerduty.log.clear()
    assert poll_connection(org.pk) == 1
    assert [r.path for r in fake_pagerduty.log if r.path != "/oncalls"] == [f"/schedules/{ids[7]}"]
    rotation = Rotation.objects.get(organization=org, pagerduty_schedule_id=ids[7])
    # PU05 on call through the override (in one shift, or two when it crosses a turn's end)
    covering = rotation.shifts.filter(start__lt=change.end, end__gt=change.start).order_by("start")
    assert {s.pagerduty_user_id for s in covering} == {"PU05"}
    assert covering.first().start <= change.start and covering.last().end >= change.end
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.change_detection == "oncalls" and connection.change_poll_requests >= 1

    client.force_login(org.memberships.get().user)
    page = client.get("/settings/integrations/").content.decode()
    within = re.search(r"Changes in PagerDuty reach Roster within about (\d+) s", page)
    assert within and 30 <= int(within[1]) <= 60  # the poll's 30 s, its duration and the re-read's wait
    assert re.search(r"\d+ in the last minute, of a background budget of 480 a minute", page)


def test_a_schedule_no_escalation_policy_uses_is_left_to_the_full_sync(transactional_db, fake_pagerduty):
    org, ids = organization(fake_pagerduty, "Acme", "u+acmeKey0000001", 3, prefix="N", in_policies=False)
    from rotations.tasks import poll_connection, start_sync

    start_sync()
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    fake_pagerduty.override(ids[0], start, start + dt.timedelta(hours=2), "PU05")
    assert poll_connection(org.pk) == 0  # /oncalls cannot see it: not taken for "nobody on call"
    fake_pagerduty.log.clear()
    start_sync()
    assert f"/schedules/{ids[0]}" in {r.path for r in fake_pagerduty.log}
    rotation = Rotation.objects.get(organization=org, pagerduty_schedule_id=ids[0])
    assert rotation.shifts.filter(start__lte=start, pagerduty_user_id="PU05").exists()


def test_an_oauth_grant_without_oncalls_read_re_reads_whole_schedules_in_turn_and_the_card_says_so(
    transactional_db, fake_pagerduty, settings, client
):
    settings.ROSTER_CHANGE_POLL_SECONDS = 30
    settings.PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE = 16  # 4 whole schedules a poll
    org, ids = organization(
        fake_pagerduty,
        "Acme",
        "u+oauthToken0001",
        10,
        prefix="O",
        auth_type="oauth",
        access_token="u+oauthToken0001",
        scopes="openid schedules.read users.read",
        oauth_client_id="org-app",
    )
    from rotations.tasks import poll_connection

    assert poll_connection(org.pk) == 4
    assert not any(r.path == "/oncalls" for r in fake_pagerduty.log)
    assert synced(org) == 4
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.change_detection == "full_fetches"

    client.force_login(org.memberships.get().user)
    page = client.get("/settings/integrations/").content.decode()
    assert "oncalls.read" in page and "re-reads whole schedules in turn" in page
    assert "requests" in page and "of a background budget of 16 a minute" in page


# --- the immediate re-read ----------------------------------------------------------------------


def test_sync_now_re_reads_the_schedule_at_once_ahead_of_a_queued_full_sync(transactional_db, fake_pagerduty):
    org, ids = organization(fake_pagerduty, "Acme", "u+acmeKey0000001", 300, prefix="Q")
    freshness.mark_due(organization_id=org.pk, schedule_ids=ids, priority=DueSchedule.Priority.PERIODIC)
    rotation = Rotation.objects.get(organization=org, pagerduty_schedule_id=ids[-1])

    with transaction.atomic():
        services.rotation_request_sync(rotation=rotation)

    rotation.refresh_from_db()
    assert rotation.last_sync_ok is True and rotation.sync_state == "idle"
    assert [r.path for r in fake_pagerduty.log if r.path.startswith("/schedules")] == [f"/schedules/{ids[-1]}"]
    assert not DueSchedule.objects.filter(organization=org, schedule_id=ids[-1]).exists()
    assert DueSchedule.objects.filter(organization=org).count() == 299  # the queue waits its turn


def test_a_schedule_oncalls_cannot_see_goes_ahead_of_the_periodic_queue_once_a_sync_interval_old(
    transactional_db, fake_pagerduty, settings
):
    org, ids = organization(fake_pagerduty, "Acme", "u+acmeKey0000001", 2, prefix="U", in_policies=False)
    from rotations.tasks import start_sync

    start_sync()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.ROSTER_SYNC_INTERVAL + 1)
    Rotation.objects.filter(organization=org, pagerduty_schedule_id=ids[0]).update(last_sync_at=old)
    freshness.mark_due(organization_id=org.pk, schedule_ids=ids, priority=DueSchedule.Priority.PERIODIC)

    assert freshness.poll_changes(organization_id=org.pk) == 0  # nothing seen changed
    priorities = dict(DueSchedule.objects.filter(organization=org).values_list("schedule_id", "priority"))
    assert priorities == {ids[0]: DueSchedule.Priority.UNSEEN, ids[1]: DueSchedule.Priority.PERIODIC}
