"""Races on PostgreSQL: calls run in threads that meet just before the step whose lock decides."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection as db_connection


def run_together(monkeypatch, module, name: str, calls, *, timeout: float = 30) -> list[Exception]:
    """Run each of `calls` in its own thread; all reach module.<name> before any goes on. Returns what
    the calls raised."""
    together = threading.Barrier(len(calls), timeout=20)
    real = getattr(module, name)

    def wait_then(*args, **kwargs):
        together.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wait_then)
    errors = []

    def run(call):
        try:
            call()
        except Exception as error:  # noqa: BLE001  (the test inspects every failure)
            errors.append(error)
        finally:
            db_connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(run, calls, timeout=timeout))
    return errors
