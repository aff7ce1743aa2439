"""Extension points for apps above rotations (notifications today): they import rotations and
register here from their AppConfig.ready(); rotations never imports them.

What happened (a handoff recorded, shifts changed) is told through `rotations.signals`, after the
commit; these are the places where apps add to what rotations shows:

- `register_detail_context(fn)`: `fn(rotation)` returns extra context for the rotation page
  (`templates/rotations/detail.html` includes the app's partial that reads it).
- `register_json_field(JsonField(key, read, write))`: an extra key of the rotation's JSON
  (`/api/rotations/...`): `read(rotation)` gives its value; `write(rotation, value, actor)` applies a
  PATCH of it (before the rotation's own fields), raising `JsonFieldError` to refuse it (a 400, or
  the error's status, with `errors: {field: [message]}`). The app gives the key's JSON schemas
  (`schema` as read, `write_schema` in a PATCH): rotations/api.py adds them to the Rotation and
  RotationUpdate schemas of /api/schema/.
  `read_many(rotations)` (optional) gives the values of many rotations at once ({rotation id:
  value}) in a constant number of queries: the list `GET /api/rotations/` uses it.
  `write_scope` (default "write"): the API token scope a PATCH of this key needs (`slack`: "admin",
  it changes a whole Slack workspace); a token without it gets 403 `insufficient_scope`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accounts.refusal import Refusal

if TYPE_CHECKING:
    from accounts.actor import Actor

    from .models import Rotation

_detail_contexts: list[Callable[[Rotation], dict]] = []


def register_detail_context(context: Callable[[Rotation], dict]) -> None:
    if context not in _detail_contexts:
        _detail_contexts.append(context)


def detail_context(rotation: Rotation) -> dict:
    context: dict = {}
    for fn in _detail_contexts:
        context.update(fn(rotation))
    return context


class JsonFieldError(Refusal):
    """An app's key of the rotation JSON refused the value written to it; `field` is the key."""


@dataclass(frozen=True)
class JsonField:
    key: str
    read: Callable[[Rotation], Any]
    write: Callable[[Rotation, Any, Actor | None], None] | None = None
    read_many: Callable[[list[Rotation]], dict[int, Any]] | None = None
    # JSON schemas of the key in the rotation JSON (read) and in a PATCH body (write), for /api/schema/.
    schema: dict | None = None
    write_schema: dict | None = None
    write_scope: str = "write"  # the API token scope a PATCH of the key needs

    def values(self, rotations: list[Rotation]) -> dict[int, Any]:
        """{rotation id: value} for every rotation (one batch when the app gives `read_many`)."""
        if self.read_many is not None:
            return self.read_many(rotations)
        return {r.pk: self.read(r) for r in rotations}


_json_fields: dict[str, JsonField] = {}


def register_json_field(field: JsonField) -> None:
    _json_fields[field.key] = field


def json_fields() -> list[JsonField]:
    return list(_json_fields.values())
