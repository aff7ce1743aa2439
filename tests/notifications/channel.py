"""A test channel: a planner and a sender that records what it was asked to deliver (tests only).

`install(outbox)` registers, for every handoff, a message to "room:ops" (kind test.message, sent
once per handoff) and a state update of "group:oncall" (kind test.state, stateful). The sender
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

    def send(self, notification) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((notification.kind, notification.target, notification.payload["to"]))


def plan(handoff):
    yield registry.Planned("test", "room:ops", MESSAGE.key, {"text": f"{handoff.to_label or 'Nobody'} is on call"})
    yield registry.Planned("test", "group:oncall", STATE.key)


def install(outbox: Outbox) -> None:
    registry.register_kind(MESSAGE)
    registry.register_kind(STATE)
    registry.register_planner(plan)
    registry.register_sender("test", outbox.send)


def uninstall() -> None:
    registry.unregister_planner(plan)
    registry.unregister_sender("test")


@pytest.fixture
def outbox():
    """The test channel, installed for one test (import this fixture where it is needed)."""
    box = Outbox()
    install(box)
    yield box
    uninstall()
