"""The Celery app a real worker runs in tests/services/test_notifications_worker.py: Roster's app
with the test channel installed, appending each delivery as a line to $NOTIFY_TEST_OUTBOX."""

import os

from config.celery import app
from notifications import registry
from tests.notifications import channel


class FileChannel(channel.FakeChannel):
    def send(self, notification) -> None:
        with open(os.environ["NOTIFY_TEST_OUTBOX"], "a") as outbox:
            outbox.write(f"{notification.kind} {notification.target} {notification.payload['to']}\n")


registry.register(FileChannel(channel.Outbox()))

__all__ = ["app"]
