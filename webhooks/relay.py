"""Hand stored deliveries to the Celery queue in batches, from a background thread.

The receiver answers PagerDuty as soon as the delivery is committed. Publishing a Celery message
costs more than storing the delivery (`bench/webhooks.py`), so a request only hands the new row's
id to this relay; a thread in each process publishes every id gathered during the last
`WEBHOOK_RELAY_LINGER` seconds as one `process_deliveries` task. Nothing depends on the thread
for durability: the row is committed before its id reaches the relay, a failed publish flags the
rows for the sweeper within seconds, and if the process dies before publishing, the sweeper
queues what was left unprocessed once it is stale. On exit (gunicorn's graceful stop) the
process publishes what it holds.

With no broker (tasks run in-process), ids are handed on at once, in the request.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connections

from config.celery import app

from .queueing import queue_deliveries

log = logging.getLogger(__name__)


class Relay:
    def __init__(
        self,
        publish: Callable[[list[int]], object],
        *,
        linger: Callable[[], float],
        inline: Callable[[], bool],
        thread_cleanup: Callable[[], object] = lambda: None,
    ):
        self._publish = publish
        self._linger = linger
        self._inline = inline
        self._thread_cleanup = thread_cleanup
        self._start_fresh()
        # Per process: a forked child (gunicorn --preload, Celery prefork) inherits neither the
        # parent's thread nor, usefully, its lock or ids; it starts empty before any of its
        # threads runs, and publishes only its own ids.
        os.register_at_fork(after_in_child=self._start_fresh)

    def _start_fresh(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: list[int] = []
        self._thread: threading.Thread | None = None

    def submit(self, delivery_id: int) -> None:
        """Queue `delivery_id` for processing soon (call once its row is committed)."""
        if self._inline():
            self._publish([delivery_id])
            return
        with self._lock:
            self._pending.append(delivery_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="webhook-relay", daemon=True)
                self._thread.start()
        self._wake.set()

    def pending(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def flush(self) -> None:
        """Publish every id held now (the thread does this; so does the process on exit)."""
        with self._lock:
            ids, self._pending = self._pending, []
        if ids:
            self._publish(ids)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            # Gather what else arrives meanwhile: one message per batch, not per delivery.
            time.sleep(self._linger())
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the publisher logs and flags; the thread must not die of it
                log.exception("The webhook relay could not hand deliveries on; the sweeper will")
            finally:
                self._thread_cleanup()


# Django keeps a database connection per thread; the relay's (opened only to flag a failed publish)
# is not left open between batches.
relay = Relay(
    queue_deliveries,
    linger=lambda: settings.WEBHOOK_RELAY_LINGER,
    inline=lambda: bool(app.conf.task_always_eager),
    thread_cleanup=connections.close_all,
)
atexit.register(relay.flush)
