"""What `/roster who|cover|help` and the cover buttons do (issue 25), once covers/slack_events.py has
checked Slack's signature and parsed the request.

The workspace's organization comes from the payload's `team_id` (its Slack connection); the person
from their Slack user id: users.info through the workspace's bot token gives their email, matched to
rotation members case-insensitively (as Slack matching does everywhere in Roster). Every refusal is a
sentence shown to that person only (`Refusal`), never an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone

from accounts.actor import Actor
from accounts.refusal import Refusal
from config.links import public_url
from integrations.slack import client as slack
from integrations.slack.models import SlackConnection
from integrations.slack.selectors import connections_for_team, slack_match_cached
from integrations.slack.services import client_for, connection_record_error, slack_user_email, slack_users_match
from rotations.models import Member, Rotation
from rotations.selectors import UPCOMING_DAYS, on_call_now, rotations_for, timeline, upcoming_handoffs

from . import services
from .models import CoverRequest

TAKE_ACTION = "cover_take"  # the Take it button's action_id; its value is the cover request's id
ASK_CALLBACK = "cover_ask"  # the modal's callback_id
WHO_LIMIT = 40  # rotations listed by one `/roster who` (the rest: name one)
OPTION_LIMIT = 100  # Slack's most options in a static_select
# Where the modal shows a service error about each argument.
FIELD_BLOCK = {"rotation": "rotation", "requester": "rotation", "start": "start", "end": "end", "note": "note"}

HELP = (
    "*Roster* in Slack:\n"
    "• `/roster who` — who is on call now and next in every rotation; `/roster who <rotation>` for one.\n"
    "• `/roster cover` — ask for cover: a form opens with your next shift filled in. "
    "`/roster cover <rotation> [from] [to]` picks the rotation and the times "
    "(e.g. `2026-12-10 09:00`, in the rotation's time zone).\n"
    "• `/roster help` — this message.\n"
    "A cover request posted to a rotation's channel has a *Take it* button: the first to click is on call instead."
)
RECONNECT = "Roster's Slack connection no longer works: an admin clicks *Reconnect Slack* on Settings → Integrations."
NOT_CONNECTED = (
    "This Slack workspace is not connected to Roster: an admin clicks *Add to Slack* on Settings → Integrations."
)


@dataclass(frozen=True)
class Workspace:
    """A Slack workspace Roster is in, and the organizations that added it."""

    connections: list[SlackConnection]

    @property
    def organizations(self) -> list:
        return [c.organization for c in self.connections]

    @property
    def connection(self) -> SlackConnection:
        """The connection to call Slack with: the oldest that works (the oldest when none does)."""
        return next((c for c in self.connections if c.status == SlackConnection.Status.ACTIVE), self.connections[0])

    def person_email(self, user_id: str, *, interactive: bool) -> str:
        """The email of the Slack user, or a Refusal saying why Roster cannot tell who they are."""
        try:
            email = slack_user_email(connection=self.connection, user_id=user_id, interactive=interactive)
        except slack.NeedsReauth:
            raise Refusal(RECONNECT) from None
        except slack.Permanent as error:
            raise Refusal(f"Roster cannot tell who you are in Slack: {error.message}") from None
        except slack.SlackError:
            raise Refusal("Slack is busy right now: try again in a moment.") from None
        if not email and "users:read.email" not in self.connection.scope_list:
            raise Refusal(
                "Roster may not read email addresses in this Slack workspace, so it cannot tell which rotation "
                "member you are: an admin clicks *Reconnect Slack* on Settings → Integrations to allow it."
            )
        if not email:
            raise Refusal(
                "Slack shows Roster no email address for you (guest and bot accounts may have none), so Roster "
                f"cannot tell which rotation member you are: use Roster's pages instead, <{public_url('rotations:index')}|"
                "Rotations>."
            )
        return email

    def actor(self, email: str) -> Actor:
        return Actor(label=f"{email} (Slack)")


def workspace_for(team_id: str) -> Workspace | None:
    connections = connections_for_team(team_id)
    return Workspace(connections) if connections else None


# --- text -----------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Text for Slack's mrkdwn (its three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(moment: dt.datetime) -> str:
    """A moment each reader sees in their own time zone (Slack's date formatting), UTC as the fallback."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


def _names(people, linked: dict[str, str]) -> str:
    """Each person as a Slack mention when `linked` (email → Slack user id) has them, else by name."""
    return ", ".join(_named_person(p, linked) for p in people) or "nobody"


def _named_person(person, linked: dict[str, str]) -> str:
    user_id = linked.get((person.email or "").strip().lower())
    return f"<@{user_id}>" if user_id else escape(person.name or person.email)


# --- /roster who ----------------------------------------------------------------------------------


def _named(rotations: list[Rotation], name: str) -> list[Rotation]:
    wanted = name.strip().casefold()
    exact = [r for r in rotations if r.name.casefold() == wanted]
    return exact or [r for r in rotations if wanted in r.name.casefold()]


def who(workspace: Workspace, text: str, *, now: dt.datetime | None = None) -> str:
    """Who is on call now and next in every rotation of the workspace's organization(s), or the one named."""
    now = now or timezone.now()
    rotations = [r for organization in workspace.organizations for r in rotations_for(organization, now=now)]
    if not rotations:
        return "There are no rotations in Roster yet."
    if text.strip():
        matches = _named(rotations, text)
        if not matches:
            return f"No rotation is called “{escape(text.strip())}”. The rotations: " + ", ".join(
                escape(r.name) for r in rotations[:WHO_LIMIT]
            )
        rotations = matches
    found = [_who_now_and_next(rotation, now) for rotation in rotations[:WHO_LIMIT]]
    emails = [p.email for _, current, _ in found for p in current]
    emails += [p.email for _, _, coming in found for handoff in coming for p in handoff.people]
    # the people Slack was asked about before (no Slack call while Slack waits)
    linked = slack_match_cached(team_id=workspace.connection.team_id, emails=emails).linked
    lines = [_who_line(rotation, current, coming, linked) for rotation, current, coming in found]
    if len(rotations) > WHO_LIMIT:
        lines.append(f"…and {len(rotations) - WHO_LIMIT} more: `/roster who <rotation>` shows one.")
    return "\n".join(lines)


def _who_now_and_next(rotation: Rotation, now: dt.datetime) -> tuple[Rotation, list, list]:
    """(the rotation, who is on call now, the next handoff or none)."""
    slots = timeline(rotation, since=now, until=now + dt.timedelta(days=UPCOMING_DAYS))
    return rotation, on_call_now(rotation, now=now, slots=slots).people, upcoming_handoffs(now=now, slots=slots)[:1]


def _who_line(rotation: Rotation, current: list, coming: list, linked: dict[str, str]) -> str:
    line = f"*{escape(rotation.name)}*: now {_names(current, linked)}"
    if coming:
        line += f"; next {_names(coming[0].people, linked)} from {when(coming[0].at)}"
    elif current:
        line += "; no handoff in the coming two weeks"
    return line


# --- /roster cover: the modal ---------------------------------------------------------------------

_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2})?"
_COVER_ARGS = re.compile(rf"^(?P<name>.*?)\s*(?P<start>{_DATE})?\s*(?P<end>{_DATE})?\s*$")


def _typed_time(value: str, rotation: Rotation, *, end: bool) -> dt.datetime:
    value = value.replace("T", " ")
    try:
        if " " in value:
            naive = dt.datetime.strptime(value, "%Y-%m-%d %H:%M")
        else:  # a date: from its start, or to its end
            naive = dt.datetime.strptime(value, "%Y-%m-%d") + (dt.timedelta(days=1) if end else dt.timedelta())
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        raise Refusal(f"“{escape(value)}” is not a date Roster can read: write e.g. 2026-12-10 09:00.") from None
    return naive.replace(tzinfo=rotation.tz)


def _next_shift(member: Member, rotation: Rotation, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    slots = timeline(rotation, since=now, until=now + dt.timedelta(days=UPCOMING_DAYS))
    mine = sorted(
        (s for s in slots if s.who is not None and s.who.member_id == member.pk and s.end > now), key=lambda s: s.start
    )
    return (max(mine[0].start, now), mine[0].end) if mine else None


def cover_view(workspace: Workspace, user_id: str, text: str, *, now: dt.datetime | None = None) -> dict:
    """The `cover_ask` modal for this person: their rotations, the one named or of their next shift,
    its times (or the ones typed). Raises Refusal when they are no rotation's member."""
    now = now or timezone.now()
    email = workspace.person_email(user_id, interactive=True)
    members = list(
        Member.objects.filter(rotation__organization__in=workspace.organizations, email__iexact=email)
        .select_related("rotation")
        .order_by("rotation__name", "rotation_id")
    )
    if not members:
        raise Refusal(
            f"You are not a member of any rotation in Roster (as {escape(email)}): an admin adds you on the rotation's page."
        )
    args = _COVER_ARGS.match(text.strip())
    name, typed_start, typed_end = (args["name"], args["start"], args["end"]) if args else (text.strip(), None, None)
    by_rotation = {m.rotation_id: m for m in members}
    rotations = {r.pk: r for r in rotations_for_members(members, now)}
    chosen: Rotation | None = None
    if name:
        matches = _named([rotations[m.rotation_id] for m in members], name)
        if not matches:
            raise Refusal(
                f"You are in no rotation called “{escape(name)}”. Yours: "
                + ", ".join(escape(m.rotation.name) for m in members)
            )
        chosen = matches[0]
    shifts = {pk: _next_shift(by_rotation[pk], rotation, now) for pk, rotation in rotations.items()}
    if chosen is None:
        upcoming = sorted((shift[0], pk) for pk, shift in shifts.items() if shift)
        chosen = rotations[upcoming[0][1]] if upcoming else rotations[members[0].rotation_id]
    start, end = shifts.get(chosen.pk) or (None, None)
    if typed_start:
        start = _typed_time(typed_start, chosen, end=False)
        end = _typed_time(typed_end, chosen, end=True) if typed_end else None
    options = [_option(rotations[m.rotation_id]) for m in members][:OPTION_LIMIT]
    return {
        "type": "modal",
        "callback_id": ASK_CALLBACK,
        "title": {"type": "plain_text", "text": "Ask for cover"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section("The first of the rotation's other members to take it is on call instead of you."),
            {
                "type": "input",
                "block_id": "rotation",
                "label": {"type": "plain_text", "text": "Rotation"},
                "element": {
                    "type": "static_select",
                    "action_id": "rotation",
                    "options": options,
                    "initial_option": _option(chosen),
                },
            },
            _time_input("start", "From", start),
            _time_input("end", "To", end),
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "note",
                    "multiline": True,
                    "max_length": services.NOTE_MAX,
                },
            },
        ],
    }


def rotations_for_members(members: list[Member], now: dt.datetime) -> list[Rotation]:
    """The members' rotations with what their timelines need prefetched."""
    wanted = {m.rotation_id for m in members}
    organization_ids = {m.rotation.organization_id for m in members}
    return [r for o in organization_ids for r in rotations_for(o, now=now).filter(pk__in=wanted)]


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _option(rotation: Rotation) -> dict:
    return {"text": {"type": "plain_text", "text": rotation.name[:75]}, "value": str(rotation.pk)}


def _time_input(block: str, label: str, moment: dt.datetime | None) -> dict:
    element: dict = {"type": "datetimepicker", "action_id": block}
    if moment is not None:
        element["initial_date_time"] = int(moment.timestamp())
    return {"type": "input", "block_id": block, "label": {"type": "plain_text", "text": label}, "element": element}


def cover_open(workspace: Workspace, user_id: str, trigger_id: str, text: str) -> None:
    """Open the modal (views.open, inline: Slack's trigger_id is valid for 3 s, so it cannot wait
    for a worker). Raises Refusal with what to tell the person."""
    view = cover_view(workspace, user_id, text)
    try:
        client_for(workspace.connection, interactive=True).views_open(trigger_id=trigger_id, view=view)
    except slack.NeedsReauth as error:  # typing it again cannot help: recorded on the Slack card
        connection_record_error(workspace.connection, error)
        raise Refusal(RECONNECT) from None
    except slack.SlackError as error:
        raise Refusal(f"Slack did not open the form ({error.code}): type `/roster cover` again.") from None


# --- the modal's submit ---------------------------------------------------------------------------


def _pk(value: str) -> int | None:
    """A row id typed or sent back by Slack (digits that fit a bigint), else None."""
    return int(value) if value.isdigit() and len(value) < 19 else None


def json_object(value) -> dict:
    """What Slack sent where a JSON object belongs, or {} when it is anything else."""
    return value if isinstance(value, dict) else {}


def _value(state: dict, block: str) -> dict:
    return json_object(json_object(state.get(block)).get(block))


def _moment(value: dict) -> dt.datetime | None:
    stamp = value.get("selected_date_time")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def modal_errors(by_block: dict[str, str]) -> dict:
    """Slack's answer to a submit that shows each sentence under its input block."""
    return {"response_action": "errors", "errors": by_block}


def cover_submit(workspace: Workspace, user_id: str, view: dict) -> dict:
    """The answer to the modal's submit: the request made (the modal then says so), or Slack's
    `errors` (a sentence under the field it is about)."""
    state = json_object(json_object(view.get("state")).get("values"))
    option = json_object(_value(state, "rotation").get("selected_option"))
    rotation_id = str(option.get("value") or "")
    start, end = _moment(_value(state, "start")), _moment(_value(state, "end"))
    note = str(_value(state, "note").get("value") or "")
    errors = {}
    if not start:
        errors["start"] = "Pick when the cover starts."
    if not end:
        errors["end"] = "Pick when the cover ends."
    pk = _pk(rotation_id)
    rotation = Rotation.objects.filter(pk=pk, organization__in=workspace.organizations).first() if pk else None
    if rotation is None:
        errors["rotation"] = "Pick one of your rotations."
    if errors:
        return modal_errors(errors)
    assert rotation is not None and start is not None and end is not None
    try:
        email = workspace.person_email(user_id, interactive=True)
    except Refusal as refusal:
        return modal_errors({"rotation": refusal.message})
    requester = rotation.members.filter(email__iexact=email).first()
    if requester is None:
        return modal_errors({"rotation": f"You are not a member of {rotation.name} in Roster (as {email})."})
    try:
        cover = services.cover_request_create(
            rotation=rotation, requester=requester, start=start, end=end, note=note, actor=workspace.actor(email)
        )
    except services.CoverError as error:
        return modal_errors({FIELD_BLOCK.get(error.field or "", "start"): error.message})
    return {"response_action": "update", "view": _asked_view(cover)}


def _asked_view(cover: CoverRequest) -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Cover asked"},
        "close": {"type": "plain_text", "text": "Done"},
        "blocks": [
            _section(
                f"You asked for cover in *{escape(cover.rotation.name)}* from {when(cover.start)} "
                f"to {when(cover.end)}. The rotation's other members can take it from "
                f"<{public_url('rotations:detail', cover.rotation_id)}|its page in Roster>; "
                "you will hear when someone takes it."
            )
        ],
    }


# --- the Take it button ---------------------------------------------------------------------------


def mention(connection: SlackConnection, name: str, email: str) -> str:
    """The person as a Slack mention when Slack knows their email (a worker's look-up, remembered), else
    their name. SlackError when Slack could not be asked."""
    email = (email or "").strip().lower()
    user_id = slack_users_match(connection=connection, emails=[email]).linked.get(email) if email else None
    return f"<@{user_id}>" if user_id else escape(name or email or "someone")


def _mention(workspace: Workspace, name: str, email: str) -> str:
    """`mention`, or the name when Slack could not be asked (the answer to a click must not fail on it)."""
    try:
        return mention(workspace.connection, name, email)
    except slack.SlackError:  # the name says it as well
        return escape(name or email or "someone")


def cover_take(workspace: Workspace, user_id: str, value: str) -> str:
    """Take the cover request the button names, for the person who clicked; the sentence to tell them."""
    pk = _pk(value)
    mine = CoverRequest.objects.filter(organization__in=workspace.organizations).select_related("rotation")
    cover = mine.filter(pk=pk).first() if pk else None
    if cover is None:
        return "That cover request no longer exists in Roster."
    try:
        email = workspace.person_email(user_id, interactive=False)
    except Refusal as refusal:
        return refusal.message
    rotation = cover.rotation
    taker = rotation.members.filter(email__iexact=email).first()
    if taker is None:
        return f"You are not a member of {escape(rotation.name)} in Roster (as {escape(email)}), so you cannot take its shifts."
    try:
        taken = services.cover_request_take(cover_request_id=cover.pk, taker=taker, actor=workspace.actor(email))
    except services.CoverError as error:
        return escape(error.message)
    answer = (
        f"It's yours: you are on call for *{escape(rotation.name)}* from {when(taken.start)} to {when(taken.end)}"
        f" instead of {_mention(workspace, taken.requester_name, taken.requester_email)}."
    )
    if taken.apply_state == CoverRequest.Apply.PENDING:
        answer += f" {services.PENDING_SAID}"
    return answer
