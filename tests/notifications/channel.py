"""A test channel: plans and records what it was asked to deliver (tests only).

`FakeChannel(outbox)` makes, for every handoff, a message to "room:ops" (kind test.message, sent
once per handoff) and a state update of "group:oncall" (kind test.state, stateful). Its `send`
appends (kind, target, to) to `outbox`, or raises what the test queued in `outbox.failures`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from notifications import registry

MESSAGE = registry.Kind("test.message", "Test handoff message")
STATE = registry.Kind("test.state", "Test on-duty group", stateful=True)


@dataclass
class Outbox:
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)  # raised in order, one per send


class FakeChannel(registry.Channel):
    key = "test"
    kinds = (MESSAGE, STATE)

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    def plan(self, handoff):
        yield registry.Planned("test", "room:ops", MESSAGE.key, {"text": f"{handoff.to_label or 'Nobody'} is on call"})
        yield registry.Planned("test", "group:oncall", STATE.key)

    def send(self, notification) -> None:
        if self.outbox.failures:
            raise self.outbox.failures.pop(0)
        self.outbox.sent.append((notification.kind, notification.target, notification.payload["to"]))


@pytest.fixture
def outbox():
    """The test channel, installed for one test (import this fixture where it is needed)."""
    box = Outbox()
    registry.register(FakeChannel(box))
    yield box
    registry.unregister("test")
