"""A `limits` storage in one SQLite file, for counts that several processes must share without Redis.

`limits`' own MemoryStorage lives in one process: `make run` without REDIS_URL runs a web server and a
Celery worker with a prefork pool (several processes), and a PagerDuty request budget counted in each
process's memory would let every process spend the whole budget. Redis is the answer in production
(`REDIS_URL`); this is the answer without it: a small SQLite file every process on the machine opens
(`ROSTER_LIMITS_SQLITE`), where each hit is one short `BEGIN IMMEDIATE` transaction (SQLite's write lock
makes check-and-insert atomic across processes). It implements what the moving-window strategy needs
(`acquire_entry`, `get_moving_window`) and the plain counters (`incr`, `get`, `get_expiry`). The
Django database is not used for this on purpose: counting must not run inside (or be rolled back
with) a request's or a task's transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from limits.storage import MovingWindowSupport, Storage

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, at REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS entries_key_at ON entries (key, at)",
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)",
)


class SQLiteStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["roster-sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool):
        path = (uri or "").removeprefix("roster-sqlite://") or ":memory:"
        self.path = path
        self._local = threading.local()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        with self._write() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():  # a forked worker opens its own
            if self.path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def _write(self) -> sqlite3.Connection:
        """The connection in a `BEGIN IMMEDIATE` transaction: the `with` block around it commits, or
        rolls back on an error (sqlite3's own context manager)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        return db

    # -- moving window --

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self._write() as db:
            db.execute("DELETE FROM entries WHERE key = ? AND at <= ?", (key, now - expiry))
            (count,) = db.execute("SELECT COUNT(*) FROM entries WHERE key = ?", (key,)).fetchone()
            if count + amount > limit:
                return False
            db.executemany("INSERT INTO entries (key, at) VALUES (?, ?)", [(key, now)] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        oldest, count = (
            self._db()
            .execute("SELECT MIN(at), COUNT(*) FROM entries WHERE key = ? AND at > ?", (key, now - expiry))
            .fetchone()
        )
        return (oldest if oldest is not None else now), count

    # -- counters --

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._write() as db:
            db.execute("DELETE FROM counters WHERE key = ? AND expires <= ?", (key, now))
            db.execute(
                "INSERT INTO counters (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                (key, amount, now + expiry),
            )
            (value,) = db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._db()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = (
            self._db()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        self._db().execute("SELECT 1")
        return True

    def reset(self) -> int | None:
        with self._write() as db:
            removed = db.execute("DELETE FROM entries").rowcount + db.execute("DELETE FROM counters").rowcount
        return removed

    def clear(self, key: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM entries WHERE key = ?", (key,))
            db.execute("DELETE FROM counters WHERE key = ?", (key,))
