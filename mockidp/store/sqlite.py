"""The SQLite Store: state in one local file, shared by every process that opens it.

What ``mockidp serve --workers N`` runs on (several server processes answering one
port, as Lambda containers share one DynamoDB table), and a state that outlives a
restart (``--store sqlite://state.db``). Standard library only.

One table, one row per record: the key, the record as JSON, and its expiry on the
provider's clock (judged on every read; expired rows are deleted when read). The
database is in WAL mode, so readers never wait for the writer. Atomicity across
processes: ``add`` is one conditional upsert; ``take`` and ``increment`` run in a
``BEGIN IMMEDIATE`` transaction, which holds the database's write lock from the read to
the write, so of two racing takes exactly one gets the record.

Each thread of each process has its own connection (sqlite3 connections must not cross
threads, nor a ``fork``). A locked or failing database raises
:class:`~mockidp.errors.TemporarilyUnavailable` (a 503 with ``Retry-After``), never a 500.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, TypeVar

from mockidp.errors import TemporarilyUnavailable
from mockidp.types import JSONObject

__all__ = ["SQLiteStore"]

log = logging.getLogger("mockidp")

BUSY_TIMEOUT_SECONDS: Final = 5.0
"""How long an operation waits for another process's write lock before giving up."""

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS mockidp_records ("
    " key TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at REAL NOT NULL"
    ") WITHOUT ROWID"
)

_SELECT: Final = "SELECT record, expires_at FROM mockidp_records WHERE key = ?"
_REPLACE: Final = "INSERT OR REPLACE INTO mockidp_records VALUES (?, ?, ?)"

_T = TypeVar("_T")
_Opened = tuple[int, threading.Thread, sqlite3.Connection]
"""A connection, the process and the thread that opened it."""


def _dump(record: JSONObject) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class SQLiteStore:
    """A :class:`~mockidp.store.Store` in the SQLite database file ``path``.

    The file (and its table) is created when missing; its directory must exist.
    ``":memory:"`` is refused: such a database would be private to each connection.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        if not self.path or self.path == ":memory:":
            raise ValueError("the SQLite store needs a file path")
        self._local = threading.local()
        self._thread_lock = threading.Lock()
        self._lock_file: tuple[int, int] | None = None
        """(process, descriptor) of the writers' lock file, opened again after a fork."""
        self._opened: list[_Opened] = []
        """(process, thread, connection) of each connection opened and not yet closed: one
        whose thread has ended is closed when the next opens, or by :meth:`close`, never
        left to the garbage collector (Python 3.13 warns of that)."""
        self._opened_lock = threading.Lock()
        # A store dropped without close() closes what it opened (no thread can reach it).
        weakref.finalize(self, SQLiteStore._close_all, self._opened)

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # -- connections and errors -------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, made afresh in a forked process."""
        local = self._local
        db: sqlite3.Connection | None = getattr(local, "db", None)
        if db is None or local.pid != os.getpid():
            db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,  # autocommit; transactions are explicit below
                check_same_thread=False,
            )
            # Under the writers' lock: processes opening a new file together would otherwise
            # race to switch it to WAL and create the table, and SQLite answers a writer
            # that might deadlock with "database is locked" at once, without waiting.
            with self._writing():
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: safe from corruption, no fsync per write
            local.db, local.pid = db, os.getpid()
            self._track(db)
        return db

    def _track(self, db: sqlite3.Connection) -> None:
        """Note ``db`` as this thread's, closing those of threads that have ended."""
        with self._opened_lock:
            self._opened[:] = self._close_ended(self._opened)
            self._opened.append((os.getpid(), threading.current_thread(), db))

    @staticmethod
    def _close_ended(opened: list[_Opened]) -> list[_Opened]:
        """The connections still in use; the rest closed. A parent's, inherited through a
        fork, are forgotten unclosed: they are the parent's to close."""
        kept = []
        for pid, thread, db in opened:
            if pid != os.getpid():
                continue
            if thread.is_alive():
                kept.append((pid, thread, db))
            else:
                db.close()
        return kept

    @staticmethod
    def _close_all(opened: list[_Opened]) -> None:
        for pid, _, db in opened:
            if pid == os.getpid():  # not a parent's, inherited through a fork
                db.close()
        opened.clear()

    def _call(self, operation: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``operation``; database failures become TemporarilyUnavailable."""
        try:
            return operation(self._db())
        except (sqlite3.Error, OSError) as exc:
            log.warning("SQLite store %s: %s", self.path, exc)
            raise TemporarilyUnavailable(
                f"the state store is unavailable ({exc}); retry shortly"
            ) from None

    def _write(self, operation: Callable[[sqlite3.Connection], _T]) -> _T:
        """:meth:`_call` for a one-statement write, under the writers' lock."""

        def locked(db: sqlite3.Connection) -> _T:
            with self._writing():
                return operation(db)

        return self._call(locked)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The writers' lock: one writer at a time across processes and threads.

        SQLite makes a writer that finds the database locked sleep and retry (1 ms, then
        longer), which with two busy server processes costs more than the writes; a
        blocking lock on a side file wakes the next writer as soon as the last one is done.
        """
        with self._thread_lock:
            fd = self._lock_fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_fd(self) -> int:
        if self._lock_file is None or self._lock_file[0] != os.getpid():
            fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_file = (os.getpid(), fd)
        return self._lock_file[1]

    @contextmanager
    def _exclusive(self, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """A transaction holding the write lock from its first read (atomic read-write)."""
        with self._writing():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- the Store protocol -----------------------------------------------------------

    def put(self, key: str, record: JSONObject, *, expires_at: float) -> None:
        self._write(lambda db: db.execute(_REPLACE, (key, _dump(record), expires_at)))

    def add(self, key: str, record: JSONObject, *, expires_at: float, now: float) -> bool:
        # One statement: insert, or replace a record that has expired; else nothing.
        cursor = self._write(
            lambda db: db.execute(
                "INSERT INTO mockidp_records VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                " SET record = excluded.record, expires_at = excluded.expires_at"
                " WHERE mockidp_records.expires_at <= ?",
                (key, _dump(record), expires_at, now),
            )
        )
        return cursor.rowcount == 1

    def get(self, key: str, *, now: float) -> JSONObject | None:
        row = self._call(lambda db: db.execute(_SELECT, (key,)).fetchone())
        if row is None:
            return None
        if row[1] <= now:
            self._write(
                lambda db: db.execute(
                    "DELETE FROM mockidp_records WHERE key = ? AND expires_at <= ?", (key, now)
                )
            )
            return None
        record: JSONObject = json.loads(row[0])
        return record

    def take(self, key: str, *, now: float) -> JSONObject | None:
        def take(db: sqlite3.Connection) -> tuple[str, float] | None:
            with self._exclusive(db):
                row = db.execute(_SELECT, (key,)).fetchone()
                if row is not None:
                    db.execute("DELETE FROM mockidp_records WHERE key = ?", (key,))
            return None if row is None else (str(row[0]), float(row[1]))

        row = self._call(take)
        if row is None or row[1] <= now:
            return None
        record: JSONObject = json.loads(row[0])
        return record

    def increment(self, key: str, *, expires_at: float, now: float) -> int:
        def increment(db: sqlite3.Connection) -> int:
            with self._exclusive(db):
                row = db.execute(_SELECT, (key,)).fetchone()
                count, expiry = 1, expires_at
                if row is not None and row[1] > now:
                    count, expiry = int(json.loads(row[0])["n"]) + 1, row[1]
                db.execute(_REPLACE, (key, _dump({"n": count}), expiry))
            return count

        return self._call(increment)

    def delete(self, key: str) -> None:
        self._write(lambda db: db.execute("DELETE FROM mockidp_records WHERE key = ?", (key,)))

    def clear(self, prefix: str = "", *, keep: tuple[str, ...] = ()) -> None:
        # substr, not LIKE: keys may hold % and _, which LIKE would read as wildcards
        where = "substr(key, 1, ?) = ?"
        args: list[object] = [len(prefix), prefix]
        for kept in keep:
            where += " AND substr(key, 1, ?) != ?"
            args += [len(kept), kept]
        self._write(lambda db: db.execute(f"DELETE FROM mockidp_records WHERE {where}", args))

    def __len__(self) -> int:
        """Live and expired rows alike (tests, diagnostics)."""
        row = self._call(lambda db: db.execute("SELECT count(*) FROM mockidp_records").fetchone())
        return int(row[0])

    def close(self) -> None:
        """Close this thread's connection and those of threads that have ended. A live
        thread's stays open (closing it under a statement in progress would break that)
        until its thread ends and another connection opens or ``close`` runs again."""
        me = threading.current_thread()
        with self._opened_lock:
            mine = [entry for entry in self._opened if entry[1] is me]
            others = [entry for entry in self._opened if entry[1] is not me]
            self._opened[:] = self._close_ended(others)
        self._close_all(mine)
        self._local = threading.local()
