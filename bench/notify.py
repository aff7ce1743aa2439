"""Benchmark (not a test: it prints figures, it asserts nothing): N rotations hand off in the same
minute, each with an on-duty Slack user group, a channel topic and on/off-duty messages, against
the fake Slack (tests/fake_slack.py) served on 127.0.0.1 with 50 ms latency per call and Slack's
tier limits enforced (usergroups.users.update and conversations.setTopic tier 2, 20 a minute per
workspace; conversations.info tier 3; chat.postMessage one a second per channel with bursts of 3;
429 + Retry-After beyond them).

    .venv/bin/python bench/notify.py                    # 60 rotations, about 3 minutes
    .venv/bin/python bench/notify.py --rotations 1000   # about 50 minutes: Slack's limits, not Roster

It starts its own PostgreSQL (initdb in a temporary directory, port 5547) and redis-server (port
6393), migrates, makes one organization connected to the fake Slack and N daily rotations (Ada then
Grace, each with its own user group and channel), records Ada's turn before Slack is set up, then
starts a Celery worker (prefork, --concurrency processes, with beat: the sweep and the handoff beat
run as in production) and records Grace's turn for every rotation at once, as the handoff beat does
when N rotations hand off in the same minute. The workers share the pace through Redis.

Prints: Slack calls per handoff (by method), the time until every group, topic and message is
current (measured, and the least Slack's limits allow: extrapolated to --extrapolate rotations),
the 429s the fake answered, duplicate posts (must be 0) and the notifications' outcomes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import app_env, migrated_app, own_services, start_worker, stop, wait_for_worker  # noqa: E402
from tests.fake_slack import PER_MINUTE, FakeSlack  # noqa: E402

ADA, GRACE = ("Ada Lovelace", "ada@acme.example"), ("Grace Hopper", "grace@acme.example")


def setup(fake: FakeSlack, count: int) -> tuple[list[int], dt.datetime]:
    """N rotations whose turn passed from Ada to Grace a minute ago; Ada's turn recorded (and fanned
    out, to nothing) before Slack is set up. Returns the rotations' ids and the handoff instant."""
    from accounts.models import Organization
    from integrations.slack.models import SlackConnection
    from notifications import services as notifications
    from notifications.models import RotationSlack
    from rotations import services
    from rotations.models import Handoff
    from rotations.sync import record_handoffs

    org = Organization.objects.create(name="Bench", slug="bench")
    boundary = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    ids = []
    for n in range(count):
        rotation = services.rotation_create(
            organization=org,
            name=f"Team {n}",
            time_zone="UTC",
            members=[ADA, GRACE],
            cadence_unit="days",
            cadence_count=1,
            handoff_time=boundary.time(),
            start_date=boundary.date() - dt.timedelta(days=1),
        )
        ids.append(rotation.pk)
    record_handoffs(now=boundary - dt.timedelta(hours=1))  # Ada's turn, before Slack
    for handoff_id in Handoff.objects.values_list("pk", flat=True):
        notifications.notifications_fan_out(handoff_id=handoff_id)

    SlackConnection.objects.create(
        organization=org,
        team_id=fake.team_id,
        team_name=fake.team_name,
        bot_user_id=fake.bot_user_id,
        bot_name="roster",
        bot_token=fake.issue_token(),
        scopes="usergroups:read,usergroups:write,users:read,users:read.email,chat:write,"
        "channels:read,groups:read,channels:write.topic,groups:write.topic",
    )
    for n, rotation_id in enumerate(ids):
        fake.add_usergroup(f"S{n:06d}", f"Team {n} on call", f"team-{n}-oncall", ["U0ADA"])
        fake.add_channel(f"C{n:06d}", f"team-{n}", bot_member=True)
        RotationSlack.objects.create(
            rotation_id=rotation_id,
            usergroup_id=f"S{n:06d}",
            topic_channel_id=f"C{n:06d}",
            topic_template="On call: {person} until {until}",
            message_channel_id=f"C{n:06d}",
            on_duty_template="{person} is on call for {rotation} until {until}",
            off_duty_template="{person} is off duty. Thanks!",
        )
    return ids, boundary


def outcomes() -> Counter:
    from notifications.models import Notification

    return Counter(Notification.objects.values_list("status", flat=True))


def least_seconds(calls: int, per_minute: int, burst: int) -> float:
    """The least time Slack's token bucket lets `calls` calls of one method through (a full bucket
    first, then its rate)."""
    return max(0.0, (calls - burst) * 60 / per_minute)


def client_pace_seconds(calls: int, api: str) -> float:
    """When the client's moving window (integrations/slack/client.py LIMITS) lets the last of `calls`
    go: a window's worth at once, then each window's worth when the previous one has left it."""
    from limits import parse

    from integrations.slack.client import LIMITS

    limit = parse(LIMITS[api])
    return (math.ceil(calls / limit.amount) - 1) * limit.get_expiry()


def report(fake: FakeSlack, ids: list[int], t0: float, wall: float, args) -> None:
    n = len(ids)
    after = [c for c in fake.log if c.at >= t0]
    print(f"\nSlack calls per handoff: {len(after) / n:.2f}  ({len(after)} calls for {n} handoffs)")
    for method, count in sorted(Counter(c.method for c in after).items()):
        answered = Counter(c.status for c in after if c.method == method)
        print(f"  {method:<26} {count / n:5.2f} per handoff  ({count}; {answered[429]} answered 429)")

    current: dict[str, float] = {}  # what → when it became current (seconds after the handoffs were recorded)
    for call in after:
        if not call.ok:
            continue
        if call.method == "usergroups.users.update" and call.params.get("users") == "U0GRACE":
            current.setdefault(f"group {call.params['usergroup']}", call.at - t0)
        elif call.method == "conversations.setTopic" and "U0GRACE" in str(call.params.get("topic")):
            current.setdefault(f"topic {call.params['channel']}", call.at - t0)
        elif call.method == "chat.postMessage":
            kind = "on" if "on call" in str(call.params.get("text")) else "off"
            current.setdefault(f"{kind} {call.params['channel']}", call.at - t0)
    kinds = {"group": n, "topic": n, "on": n, "off": n}
    for kind, wanted in kinds.items():
        done = sorted(v for k, v in current.items() if k.startswith(kind + " "))
        last = f"{done[-1]:7.1f} s" if done else "      -"
        print(f"  {kind:>5}: {len(done):>5} of {wanted} current, the last after {last}")
    every = len(current) == sum(kinds.values())
    last = max(current.values(), default=0.0)
    print(
        "\nTime until every group, topic and message is current: "
        + (f"{last:.1f} s ({last / 60:.1f} min)" if every else f"NOT ALL CURRENT after {wall:.0f} s")
    )
    tier2 = PER_MINUTE["usergroups.users.update"]
    least = least_seconds(n, tier2, tier2)
    if every and least:
        print(f"  {last / least:.3f}x the least Slack's limits allow")
    print(f"Lost (never current): {sum(kinds.values()) - len(current)}")
    print(
        f"  least Slack's limits allow ({n} group updates and {n} topics at {tier2}/min, bursts of {tier2}): "
        f"{least:.0f} s; the client's own pace lets the last go at "
        f"{client_pace_seconds(n, 'usergroups.users.update'):.0f} s"
    )
    big = args.extrapolate
    print(
        f"  extrapolated to {big} rotations: least by Slack's limits {least_seconds(big, tier2, tier2) / 60:.1f} min; "
        f"the client's pace {client_pace_seconds(big, 'usergroups.users.update') / 60:.1f} min "
        f"(+ the measured overhead {max(0.0, last - client_pace_seconds(n, 'usergroups.users.update')):.0f} s)"
    )
    print(f"429s received: {sum(c.status == 429 for c in after)}  (by method: {dict(fake.throttled)})")
    posted = Counter((m["channel"], m["text"]) for m in fake.messages)
    print(f"Duplicate posts: {sum(count - 1 for count in posted.values())}  ({len(fake.messages)} messages posted)")
    print(f"Notifications: {dict(outcomes())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rotations", type=int, default=60)
    parser.add_argument("--extrapolate", type=int, default=1000, help="print the least time for this many rotations")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake Slack takes per call")
    parser.add_argument("--concurrency", type=int, default=8, help="Celery worker processes")
    parser.add_argument("--timeout", type=float, help="seconds to wait for every notification (default: 3x the least)")
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "5547")))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", "6393")))
    args = parser.parse_args()

    worker = None
    with (
        FakeSlack(latency=args.latency, rate_limits=True) as fake,
        own_services(args.pg_port, args.redis_port) as (postgres, redis),
    ):
        try:
            env = app_env(
                postgres,
                redis,
                SLACK_API_URL=fake.api_url,
                SLACK_AUTHORIZE_URL=fake.authorize_url,
                SLACK_CLIENT_ID=fake.client_id,
                SLACK_CLIENT_SECRET=fake.client_secret,
                SLACK_PACING="true",
            )
            migrated_app(env)
            from config.celery import app
            from notifications.models import Notification
            from rotations.sync import record_handoffs

            ids, boundary = setup(fake, args.rotations)
            app.control.purge()  # the nudges of Ada's turn (fanned out above)
            logdir = Path(tempfile.mkdtemp(prefix="roster-bench-notify-"))
            print(
                f"Roster Slack notification bench: {args.rotations} rotations hand off at {boundary:%H:%M} UTC; "
                f"fake Slack {fake.url} ({args.latency * 1000:.0f} ms a call, tier limits enforced); Celery prefork "
                f"x{args.concurrency} with beat; PostgreSQL 127.0.0.1:{postgres.port}, Redis {redis.url}; "
                f"logs in {logdir}"
            )
            worker = start_worker(env, args.concurrency, logdir)
            wait_for_worker()

            t0 = time.time()
            recorded = record_handoffs()
            print(f"Recorded {recorded} handoffs in {time.time() - t0:.1f} s; waiting for Slack to be current ...")
            least = least_seconds(args.rotations, 20, 20)
            deadline = t0 + (args.timeout or max(300.0, 3 * least + 120))
            open_statuses = [Notification.Status.PENDING, Notification.Status.SENDING]
            next_print = t0 + 15
            while time.time() < deadline:
                waiting = Notification.objects.filter(status__in=open_statuses).count()
                made = Notification.objects.count()
                if made and not waiting:
                    break
                if time.time() >= next_print:
                    print(f"  {time.time() - t0:5.0f} s: {made} notifications, {waiting} waiting, {dict(outcomes())}")
                    next_print = time.time() + 15
                time.sleep(1)
            report(fake, ids, t0, time.time() - t0, args)
        finally:
            stop(worker)


if __name__ == "__main__":
    main()
