"""Schedule and user routes for the fake PagerDuty server (tests/fake_pagerduty.py), used by the
real-worker test and bench/sync.py. Shapes follow the documented examples (tests/fixtures).

    install(fake, schedules={"PSCHED1": FakeSchedule(users=["PU1", "PU2"])}, users={"PU1": ("Ana", "ana@x")})
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tests.fake_pagerduty import authenticated, paint

from . import pd_schedules as pds

EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass
class FakeSchedule:
    users: list[str]
    kind: str = "v2"  # or "v3"
    turn_hours: int = 8
    name: str = ""
    time_zone: str = "America/New_York"
    gaps_every: int = 0  # v3: every n-th turn is an empty_member
    turns: list = field(default_factory=list)
    # (start, end, user_id) painted over the rotation, in the order made: layer edits, then overrides
    layer_edits: list = field(default_factory=list)
    overrides: list = field(default_factory=list)

    def render(self, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, str | None]]:
        """The final schedule's turns overlapping [since, until), not clipped (as with overflow=true):
        the rotation, then the layer edits over it, then the overrides (the last made wins)."""
        length = dt.timedelta(hours=self.turn_hours)
        k = int((since - EPOCH) / length)
        result = []
        while EPOCH + k * length < until:
            who = None if self.gaps_every and k % self.gaps_every == 0 else self.users[k % len(self.users)]
            result.append((EPOCH + k * length, EPOCH + (k + 1) * length, who))
            k += 1
        for start, end, who in [*self.layer_edits, *self.overrides]:
            result = paint(result, start, end, who)
        merged: list = []  # pieces of one person's time that painting split (not at a turn's end) are one entry
        for s, e, who in result:
            if merged and merged[-1][2] == who and merged[-1][1] == s and (s - EPOCH) % length:
                merged[-1] = (merged[-1][0], e, who)
            else:
                merged.append((s, e, who))
        return [(s, e, who) for s, e, who in merged if s < until and e > since]


def _window(request):
    since = dt.datetime.fromisoformat(request.param("since").replace("Z", "+00:00"))
    until = dt.datetime.fromisoformat(request.param("until").replace("Z", "+00:00"))
    return since, until


def _find(schedules: dict[str, FakeSchedule], match, kind: str, wrong_kind: dict):
    """The schedule the URL names and None, or None and PagerDuty's answer for a missing one or one of the other kind."""
    schedule = schedules.get(match["id"])
    if schedule is None:
        return None, (404, pds.NOT_FOUND)
    if schedule.kind != kind:
        return None, (400, wrong_kind)
    return schedule, None


def install(fake, *, schedules: dict[str, FakeSchedule], users: dict[str, tuple[str, str]]) -> None:
    fake.schedules.update(schedules)  # for /oncalls and the change helpers (fake.override, fake.edit_layer)
    fake.users.update(users)

    @authenticated
    def v2(fake, request, match, who):
        schedule, refused = _find(schedules, match, "v2", pds.V2_ON_V3)
        if refused:
            return refused
        entries = [
            pds.entry(uid, users[uid][0], start, end) for start, end, uid in schedule.render(*_window(request)) if uid
        ]
        return 200, pds.v2_schedule(
            match["id"], entries, name=schedule.name or match["id"], time_zone=schedule.time_zone
        )

    @authenticated
    def v3(fake, request, match, who):
        schedule, refused = _find(
            schedules, match, "v3", {"error": {"message": "Invalid Input Provided", "code": 2001}}
        )
        if refused:
            return refused
        assignments = [pds.assignment(start, end, uid) for start, end, uid in schedule.render(*_window(request))]
        return 200, pds.v3_schedule(
            match["id"], assignments, name=schedule.name or match["id"], time_zone=schedule.time_zone
        )

    @authenticated
    def user(fake, request, match, who):
        if match["id"] not in users:
            return 404, pds.NOT_FOUND
        return 200, pds.user(match["id"], *users[match["id"]])

    fake.route("GET", r"/schedules/(?P<id>\w+)", v2)
    fake.route("GET", r"/v3/schedules/(?P<id>\w+)", v3)
    fake.route("GET", r"/users/(?P<id>\w+)", user)


def users_by_query(fake, request, match):
    """`GET /users?query=` over the installed users: PagerDuty matches names and emails (how Roster finds a
    cover taker's user; the fake's own fixture list knows none of them)."""
    query = (request.param("query") or "").casefold()
    found = [
        {"id": uid, "type": "user", "name": name, "email": email}
        for uid, (name, email) in fake.users.items()
        if query in email.casefold() or query in name.casefold()
    ]
    return 200, {"users": found, "limit": 25, "offset": 0, "more": False, "total": None}


def install_list(fake, schedules: dict[str, FakeSchedule], *, teams: dict[str, str] | None = None) -> None:
    """`GET /schedules` (v2 objects with time zone and team, filtered by `query` as PagerDuty does)
    and `GET /v3/schedules` (bare references that ignore `query`, as the picker once showed), both
    paged by limit/offset with `more`."""
    teams = teams or {}

    def paged(request, items):
        limit, offset = int(request.param("limit", 100)), int(request.param("offset", 0))
        page = items[offset : offset + limit]
        return 200, {"schedules": page, "limit": limit, "offset": offset, "more": offset + limit < len(items)}

    @authenticated
    def v2_list(fake, request, match, who):
        query = (request.param("query") or "").casefold()
        return paged(
            request,
            [
                {
                    "id": sid,
                    "type": "schedule",
                    "name": s.name,
                    "summary": s.name,
                    "time_zone": s.time_zone,
                    "html_url": f"https://{fake.subdomain}.pagerduty.com/schedules/{sid}",
                    "teams": [{"id": f"T{sid}", "type": "team_reference", "summary": teams[sid]}]
                    if sid in teams
                    else [],
                }
                for sid, s in schedules.items()
                if s.kind == "v2" and query in s.name.casefold()
            ],
        )

    @authenticated
    def v3_list(fake, request, match, who):
        return paged(
            request,
            [
                {
                    "id": sid,
                    "type": "schedule_v3_reference",
                    "summary": s.name,
                    "html_url": f"https://{fake.subdomain}.pagerduty.com/schedules/{sid}",
                }
                for sid, s in schedules.items()
                if s.kind == "v3"
            ],
        )

    fake.route("GET", r"/schedules", v2_list)
    fake.route("GET", r"/v3/schedules", v3_list)


def many_schedules(count: int = 132) -> tuple[dict[str, FakeSchedule], dict[str, str]]:
    """`count` schedules: every fourth shift-based, the others classic in Berlin with a team."""
    schedules = {
        f"PS{n:04d}": FakeSchedule(
            users=["PZED004"],
            kind="v3" if n % 4 == 3 else "v2",
            name=f"{'Shift' if n % 4 == 3 else 'Classic'} schedule {n:03d}",
            time_zone="Europe/Berlin",
        )
        for n in range(count)
    }
    return schedules, {sid: "Ops" for sid, s in schedules.items() if s.kind == "v2"}
