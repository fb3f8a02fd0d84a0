"""Incremental crawl state: one SQLite file in the data dir.

Per dataset it keeps the sha crawled, the outcome, the settings fingerprint, which listing query
last saw it, and its output lines. Each dataset is saved in one transaction, so a crawl killed at
any moment leaves a consistent state; outputs are always rebuilt from it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawl.records import FAILED, DatasetOutcome

STATE_FILE = "crawl_state.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    sha TEXT,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    listing_key TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lines (
    dataset TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    task_name TEXT NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (dataset, task_name)
);
CREATE INDEX IF NOT EXISTS lines_by_task ON lines (task_name, dataset);
"""
# The ids this run's listing returned, kept on disk beside the state (not in memory).
_LISTED = "CREATE TEMP TABLE IF NOT EXISTS listed (id TEXT PRIMARY KEY) WITHOUT ROWID"
# Set in the transaction of every change the outputs depend on; cleared once they are rewritten.
_STALE = "outputs_stale"


class StateError(RuntimeError):
    """The state file is unreadable or from an incompatible version."""


@dataclass(frozen=True)
class Entry:
    """What the state remembers about a dataset without loading its lines."""

    sha: str | None
    status: str
    fingerprint: str
    listing_key: str


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class CrawlState:
    """The SQLite state of one data dir. Use from one thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute("PRAGMA temp_store=FILE")
            self._db.execute(_LISTED)
            version = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path}: not a crawl state ({exc}); move it away to start afresh") from exc
        if version is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif version[0] != str(SCHEMA_VERSION):
            raise StateError(f"{self.path}: state schema {version[0]}, expected {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entry(self, dataset: str) -> Entry | None:
        """One dataset's entry, if it has one."""
        row = self._db.execute(
            "SELECT sha, status, fingerprint, listing_key FROM datasets WHERE id = ?", (dataset,)
        ).fetchone()
        return None if row is None else Entry(*row)

    def entries(self) -> dict[str, Entry]:
        """Every dataset's entry, by id."""
        rows = self._db.execute("SELECT id, sha, status, fingerprint, listing_key FROM datasets")
        return {row[0]: Entry(row[1], row[2], row[3], row[4]) for row in rows}

    def needs_crawl(self, entry: Entry | None, sha: str | None, fingerprint: str) -> bool:
        """New, changed, failed last time, or crawled with other settings."""
        return (
            entry is None
            or sha is None
            or entry.sha != sha
            or entry.status == FAILED
            or entry.fingerprint != fingerprint
        )

    def save(self, outcome: DatasetOutcome, fingerprint: str, listing_key: str) -> None:
        """Replace a dataset's entry and lines, atomically."""
        with self._transaction():
            self._mark_stale()
            self._db.execute("DELETE FROM lines WHERE dataset = ?", (outcome.dataset,))
            self._db.execute(
                "INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                (
                    outcome.dataset,
                    outcome.sha,
                    outcome.status,
                    fingerprint,
                    listing_key,
                    _dumps(outcome.report()),
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO lines VALUES (?, ?, ?)",
                [(outcome.dataset, line["task_name"], _dumps(line)) for line in outcome.lines],
            )

    def mark_seen(self, ids: Iterable[str], listing_key: str) -> None:
        """Record that ``listing_key``'s listing returned these datasets."""
        with self._transaction():
            self._db.executemany(
                "UPDATE datasets SET listing_key = ? WHERE id = ?", [(listing_key, i) for i in ids]
            )

    def remove_vanished(self, listed: set[str], listing_key: str, whole_hub: bool) -> list[str]:
        """Drop datasets a complete listing no longer returns; returns their ids, sorted.

        A listing of the whole Hub removes every missing dataset; a filtered one only those it
        selected last time (a dataset crawled under another query may still exist).
        """
        if whole_hub:
            rows = self._db.execute("SELECT id FROM datasets")
        else:
            rows = self._db.execute("SELECT id FROM datasets WHERE listing_key = ?", (listing_key,))
        gone = sorted(row[0] for row in rows if row[0] not in listed)
        self._forget(gone)
        return gone

    def note_listed(self, ids: list[str]) -> set[str]:
        """Note that this run's listing returned ``ids``; returns those it had not returned before."""
        new: set[str] = set()
        with self._transaction():
            for dataset in ids:
                if self._db.execute("INSERT OR IGNORE INTO listed VALUES (?)", (dataset,)).rowcount == 1:
                    new.add(dataset)
        return new

    def mark_listed(self, listing_key: str) -> None:
        """Record that ``listing_key``'s listing returned the datasets noted (writes only changes)."""
        with self._transaction():
            self._db.execute(
                "UPDATE datasets SET listing_key = ? WHERE listing_key != ? AND id IN (SELECT id FROM listed)",
                (listing_key, listing_key),
            )

    def remove_unlisted(self, listing_key: str, whole_hub: bool) -> list[str]:
        """:meth:`remove_vanished` for the datasets noted by :meth:`note_listed`."""
        where = "" if whole_hub else "listing_key = ? AND "
        params = () if whole_hub else (listing_key,)
        rows = self._db.execute(
            f"SELECT id FROM datasets WHERE {where}id NOT IN (SELECT id FROM listed) ORDER BY id", params
        )
        gone = [row[0] for row in rows]
        self._forget(gone)
        return gone

    def _forget(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._transaction():
            self._mark_stale()
            self._db.executemany("DELETE FROM datasets WHERE id = ?", [(i,) for i in ids])

    def _mark_stale(self) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (_STALE,))

    def outputs_current(self) -> bool:
        """True when nothing the outputs hold changed since :meth:`outputs_written`."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_STALE,)).fetchone()
        return row is not None and row[0] == "0"

    def outputs_written(self) -> None:
        """The outputs now hold the state as it is."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, '0')", (_STALE,))

    def output_counts(self) -> tuple[int, dict[str, list[str]]]:
        """(distinct task names, {task_name: datasets left out by an earlier id with that name})."""
        (names,) = self._db.execute("SELECT COUNT(DISTINCT task_name) FROM lines").fetchone()
        collisions: dict[str, list[str]] = {}
        rows = self._db.execute(
            "SELECT task_name, dataset FROM lines WHERE task_name IN "
            "(SELECT task_name FROM lines GROUP BY task_name HAVING COUNT(*) > 1) ORDER BY task_name, dataset"
        )
        winners: set[str] = set()
        for name, dataset in rows:
            if name in winners:
                collisions.setdefault(name, []).append(dataset)
            winners.add(name)
        return names, collisions

    def reports(self) -> Iterator[dict[str, Any]]:
        """Every report line, by dataset id."""
        for (report,) in self._db.execute("SELECT report FROM datasets ORDER BY id"):
            yield json.loads(report)

    def lines(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (dataset, output line), by task_name then dataset."""
        for dataset, line in self._db.execute("SELECT dataset, line FROM lines ORDER BY task_name, dataset"):
            yield dataset, json.loads(line)

    def dataset_count(self) -> int:
        """How many datasets the state holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Datasets per status in the state."""
        return dict(self._db.execute("SELECT status, COUNT(*) FROM datasets GROUP BY status ORDER BY status"))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
