"""Incremental crawl state: one SQLite file in the data dir.

Per dataset it keeps the sha crawled, the outcome, the settings fingerprint, which listing query
last saw it and its report line; per output line, which dataset made it. A line's content lives
in one place only: in ``huggingface_data.jsonl`` once it was written there (the state keeps its
place in the files, as lengths in file order), in the state until then. Each dataset is saved in
one transaction, so a crawl killed at any moment leaves a consistent state, and the outputs are
brought up to date from it by copying what did not change and encoding what did (crawl.outputs).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawl.artifact_errors import sqlite_write_failed
from crawl.records import FAILED, DatasetOutcome

STATE_FILE = "crawl_state.sqlite"
SCHEMA_VERSION = 2
CACHE_KIB = 256  # SQLite page cache per database (main and temp)
GROUP_SECONDS = 0.25  # saves within this long of the first share one commit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    sha TEXT,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    listing_key TEXT NOT NULL,
    report TEXT NOT NULL,
    report_written INTEGER NOT NULL DEFAULT 0,
    collision TEXT
);
CREATE TABLE IF NOT EXISTS lines (
    dataset TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    task_name TEXT NOT NULL,
    PRIMARY KEY (dataset, task_name)
);
CREATE INDEX IF NOT EXISTS lines_by_task ON lines (task_name, dataset);
CREATE TABLE IF NOT EXISTS held (
    dataset TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    task_name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (dataset, task_name)
);
CREATE TABLE IF NOT EXISTS layout (
    task_name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    data_len INTEGER NOT NULL,
    meta_len INTEGER NOT NULL,
    license_len INTEGER NOT NULL,
    data_hash INTEGER NOT NULL,
    PRIMARY KEY (task_name, dataset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_layout (dataset TEXT PRIMARY KEY, length INTEGER NOT NULL) WITHOUT ROWID;
"""
# lines: every output line by the dataset that makes it; held: the JSON of those the data file
# does not hold (saved since the outputs were last written, or left out by a task_name collision).
# layout / report_layout: what the output files hold now, in file order, as byte lengths (and
# a hash of each data line, to check a data file the crawl did not write last).
# datasets.report_written: its report line in the report file is current; collision: the
# task_name note that line carries.

# The ids this run's listing returned, kept on disk beside the state (not in memory).
_LISTED = "CREATE TEMP TABLE IF NOT EXISTS listed (id TEXT PRIMARY KEY) WITHOUT ROWID"
# What an output write changes, gathered on disk while it streams (applied when it commits).
_CHANGES = """
CREATE TEMP TABLE IF NOT EXISTS line_changes (
    task_name TEXT NOT NULL, dataset TEXT NOT NULL,
    data_len INTEGER, meta_len INTEGER, license_len INTEGER, data_hash INTEGER, body TEXT,
    PRIMARY KEY (task_name, dataset)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS report_changes (
    dataset TEXT PRIMARY KEY, length INTEGER, collision TEXT
) WITHOUT ROWID;
"""
# Set in the transaction of every change the outputs depend on; cleared once they are rewritten.
_STALE = "outputs_stale"
_FILES = "output_files"  # {file name: [size, mtime_ns, inode]} of the outputs last written
_RENAMES = "output_renames"  # [[temp path, file name], ...] committed but maybe not yet renamed


class StateError(RuntimeError):
    """The state file is not a crawl state or is from an incompatible version (a folder or disk
    that refuses writes is a :class:`~crawl.artifact_errors.WriteFailed` instead)."""


@dataclass(frozen=True)
class Entry:
    """What the state remembers about a dataset without loading its lines."""

    sha: str | None
    status: str
    fingerprint: str
    listing_key: str


def _statements(script: str) -> list[str]:
    return [statement for statement in script.split(";") if statement.strip()]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class CrawlState:
    """The SQLite state of one data dir. Use from one thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._group_since: float | None = None  # when the open group of saves began
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            # Freed pages go back to the filesystem (lines leave the state once written); this
            # takes effect on a new state only.
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._version()
            if version == "1":
                self._upgrade_from_1()
            for statement in _statements(_SCHEMA):
                self._db.execute(statement)
            self._db.execute("PRAGMA temp_store=FILE")
            # A page cache of a fixed, small size (the OS caches the file): the default 2 MB
            # per database fills as the state grows, so memory would grow with the crawl.
            self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._db.execute(f"PRAGMA temp.cache_size=-{CACHE_KIB}")
            self._db.execute(_LISTED)
            for statement in _statements(_CHANGES):
                self._db.execute(statement)
            version = self._version()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            failed = sqlite_write_failed(self.path, exc)
            if failed is not None:  # a read-only folder or a full disk: the state itself is fine
                raise failed from exc
            raise StateError(f"{self.path}: not a crawl state ({exc}); move it away to start afresh") from exc
        if version is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif version != str(SCHEMA_VERSION):
            raise StateError(f"{self.path}: state schema {version}, expected {SCHEMA_VERSION}")

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def _version(self) -> str | None:
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            return None
        row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        return None if row is None else str(row[0])

    def _upgrade_from_1(self) -> None:
        """Schema 1 kept every line's JSON: they become lines the data file does not hold yet."""
        with self._transaction():
            self._db.execute("ALTER TABLE datasets ADD COLUMN report_written INTEGER NOT NULL DEFAULT 0")
            self._db.execute("ALTER TABLE datasets ADD COLUMN collision TEXT")
            self._db.execute("ALTER TABLE lines RENAME TO lines_1")
            self._db.execute("DROP INDEX IF EXISTS lines_by_task")
            for statement in _statements(_SCHEMA):  # creates lines, held and the layout tables
                self._db.execute(statement)
            self._db.execute("INSERT INTO lines SELECT dataset, task_name FROM lines_1")
            self._db.execute("INSERT INTO held SELECT dataset, task_name, line FROM lines_1")
            self._db.execute("DROP TABLE lines_1")
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            self._mark_stale()

    def close(self) -> None:
        self.commit()
        self._db.close()

    def commit(self) -> None:
        """Commit the saves grouped so far (see :meth:`save`)."""
        if self._group_since is not None:
            self._group_since = None
            self._db.execute("COMMIT")

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
        """Replace a dataset's entry and lines (kept here until written), atomically.

        Saves close together share one transaction, committed once ``GROUP_SECONDS`` passed
        since the first (or by any other change, :meth:`commit` or :meth:`close`): a killed run
        loses the datasets saved since the last commit (the next run crawls them), and the state
        stays consistent.
        """
        if self._group_since is None:
            self._db.execute("BEGIN IMMEDIATE")
            self._group_since = time.monotonic()
        self._db.execute("SAVEPOINT save")
        try:
            self._save(outcome, fingerprint, listing_key)
        except BaseException:
            self._db.execute("ROLLBACK TO save")
            raise
        finally:
            self._db.execute("RELEASE save")
        if time.monotonic() - self._group_since >= GROUP_SECONDS:
            self.commit()

    def _save(self, outcome: DatasetOutcome, fingerprint: str, listing_key: str) -> None:
        self._mark_stale()
        self._db.execute("DELETE FROM lines WHERE dataset = ?", (outcome.dataset,))
        self._db.execute("DELETE FROM held WHERE dataset = ?", (outcome.dataset,))
        self._db.execute(
            "INSERT INTO datasets (id, sha, status, fingerprint, listing_key, report) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET sha = excluded.sha, "
            "status = excluded.status, fingerprint = excluded.fingerprint, "
            "listing_key = excluded.listing_key, report = excluded.report, report_written = 0",
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
            "INSERT OR REPLACE INTO lines VALUES (?, ?)",
            [(outcome.dataset, line["task_name"]) for line in outcome.lines],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO held VALUES (?, ?, ?)",
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
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            seen = {row[0] for row in self._db.execute(f"SELECT id FROM listed WHERE id IN ({marks})", chunk)}
            new.update(dataset for dataset in chunk if dataset not in seen)
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO listed VALUES (?)", [(i,) for i in sorted(new)])
        return new

    def entries_of(self, ids: list[str]) -> dict[str, Entry]:
        """The entries of those of ``ids`` that have one."""
        found: dict[str, Entry] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT id, sha, status, fingerprint, listing_key FROM datasets WHERE id IN ({marks})", chunk
            ):
                found[row[0]] = Entry(row[1], row[2], row[3], row[4])
        return found

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
        """True when nothing the outputs hold changed since they were last written."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_STALE,)).fetchone()
        return row is not None and row[0] == "0"

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

    def lines(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(dataset, line) for the lines the state holds (not yet in the data file, or left out
        by a task_name collision), by task_name then dataset."""
        rows = self._db.execute("SELECT dataset, body FROM held ORDER BY task_name, dataset")
        for dataset, body in rows:
            yield dataset, json.loads(body)

    def dataset_count(self) -> int:
        """How many datasets the state holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM datasets").fetchone()[0])

    def counts(self) -> dict[str, int]:
        """Datasets per status in the state."""
        return dict(self._db.execute("SELECT status, COUNT(*) FROM datasets GROUP BY status ORDER BY status"))

    # --- the output files' layout (crawl.outputs reads and updates it) ----------------------------

    def layout(self) -> Iterator[tuple[str, str, int, int, int, int]]:
        """(task_name, dataset, data, metadata, license lengths, data line hash) of each line the
        files hold, in file order."""
        yield from self._db.execute("SELECT * FROM layout ORDER BY task_name, dataset")

    def winners(self) -> Iterator[tuple[str, str, str | None]]:
        """(task_name, dataset, body or None if the data file holds it) of each line the outputs
        should hold, in file order: when two datasets make one task_name, the first id wins."""
        yield from self._db.execute(
            "SELECT l.task_name, l.dataset, h.body FROM lines l LEFT JOIN held h USING (dataset, task_name) "
            "WHERE l.dataset = (SELECT MIN(dataset) FROM lines m WHERE m.task_name = l.task_name) "
            "ORDER BY l.task_name, l.dataset"
        )

    def held_line(self, task_name: str, dataset: str) -> tuple[bool, bool]:
        """(the state has this line, and holds its content)."""
        key = (task_name, dataset)
        where = "WHERE task_name = ? AND dataset = ?"
        has = self._db.execute(f"SELECT 1 FROM lines {where}", key).fetchone() is not None
        return has, has and self._db.execute(f"SELECT 1 FROM held {where}", key).fetchone() is not None

    def report_layout(self) -> Iterator[tuple[str, int]]:
        """(dataset, length) of each report line the report file holds, in file order."""
        yield from self._db.execute("SELECT dataset, length FROM report_layout ORDER BY dataset")

    def report_entries(self) -> Iterator[tuple[str, bool, str | None]]:
        """(dataset, its report line is written, the collision note it carries), by id."""
        for dataset, written, collision in self._db.execute(
            "SELECT id, report_written, collision FROM datasets ORDER BY id"
        ):
            yield dataset, bool(written), collision

    def report(self, dataset: str) -> dict[str, Any]:
        """One dataset's report line (without a collision note)."""
        (report,) = self._db.execute("SELECT report FROM datasets WHERE id = ?", (dataset,)).fetchone()
        return dict(json.loads(report))

    def file_identities(self) -> dict[str, list[int]]:
        """[size, mtime_ns, inode] of each output file as last written."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_FILES,)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def pending_renames(self) -> list[tuple[str, str]]:
        """(temp path, file name) pairs of a committed output write not yet renamed into place."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_RENAMES,)).fetchone()
        return [(tmp, name) for tmp, name in json.loads(row[0])] if row else []

    def renames_done(self) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM meta WHERE key = ?", (_RENAMES,))

    def begin_output_write(self) -> None:
        """Start the transaction of an output write; changes gather in temp tables."""
        self.commit()
        self._db.execute("BEGIN IMMEDIATE")
        self._db.execute("DELETE FROM line_changes")
        self._db.execute("DELETE FROM report_changes")

    def abort_output_write(self) -> None:
        self._db.execute("ROLLBACK")

    def line_written(self, task_name: str, dataset: str, layout: tuple[int, int, int, int]) -> None:
        """The new files hold this line (encoded now): its lengths and data line hash."""
        self._db.execute(
            "INSERT OR REPLACE INTO line_changes VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (task_name, dataset, *layout),
        )

    def line_dropped(self, task_name: str, dataset: str, keep_body: str | None) -> None:
        """The new files no longer hold this line; ``keep_body``: the state keeps its content."""
        self._db.execute(
            "INSERT OR REPLACE INTO line_changes VALUES (?, ?, NULL, NULL, NULL, NULL, ?)",
            (task_name, dataset, keep_body),
        )

    def report_written(self, dataset: str, length: int | None, collision: str | None = None) -> None:
        """The new report file holds this dataset's line with ``length`` bytes (None: no line)."""
        self._db.execute(
            "INSERT OR REPLACE INTO report_changes VALUES (?, ?, ?)", (dataset, length, collision)
        )

    def commit_output_write(self, identities: dict[str, list[int]], renames: list[tuple[str, str]]) -> None:
        """Apply the gathered changes, note the new files and the renames due, and commit."""
        db = self._db
        db.execute(
            "DELETE FROM layout WHERE (task_name, dataset) IN "
            "(SELECT task_name, dataset FROM line_changes WHERE data_len IS NULL)"
        )
        db.execute(
            "INSERT OR REPLACE INTO layout SELECT task_name, dataset, data_len, meta_len, license_len, data_hash "
            "FROM line_changes WHERE data_len IS NOT NULL"
        )
        db.execute(
            "DELETE FROM held WHERE (task_name, dataset) IN "
            "(SELECT task_name, dataset FROM line_changes WHERE data_len IS NOT NULL)"
        )
        db.execute(
            "INSERT OR REPLACE INTO held SELECT dataset, task_name, body FROM line_changes "
            "WHERE data_len IS NULL AND body IS NOT NULL"
        )
        db.execute(
            "DELETE FROM report_layout WHERE dataset IN (SELECT dataset FROM report_changes WHERE length IS NULL)"
        )
        db.execute(
            "INSERT OR REPLACE INTO report_layout SELECT dataset, length FROM report_changes "
            "WHERE length IS NOT NULL"
        )
        db.execute(
            "UPDATE datasets SET report_written = 1, collision = (SELECT c.collision FROM report_changes c "
            "WHERE c.dataset = datasets.id) WHERE id IN (SELECT dataset FROM report_changes WHERE length IS NOT NULL)"
        )
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (_FILES, json.dumps(identities, sort_keys=True))
        )
        if renames:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_RENAMES, json.dumps(renames)))
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, '0')", (_STALE,))
        db.execute("COMMIT")
        db.executescript("PRAGMA incremental_vacuum;")  # run to completion: execute() frees one page

    def forget_files(self) -> int:
        """The data file is lost: forget the layout, and have every dataset whose lines only it
        held crawled again (its fingerprint no longer matches). Returns how many."""
        with self._transaction():
            self._mark_stale()
            only_in_file = "(dataset, task_name) NOT IN (SELECT dataset, task_name FROM held)"
            lost = [
                row[0] for row in self._db.execute(f"SELECT DISTINCT dataset FROM lines WHERE {only_in_file}")
            ]
            self._db.executemany("UPDATE datasets SET fingerprint = '' WHERE id = ?", [(i,) for i in lost])
            self._db.execute(f"DELETE FROM lines WHERE {only_in_file}")
            self._db.execute("DELETE FROM layout")
            self._db.execute("DELETE FROM report_layout")
            self._db.execute("UPDATE datasets SET report_written = 0")
            self._db.execute("DELETE FROM meta WHERE key = ?", (_FILES,))
        return len(lost)

    def adopt_file(self, name: str, identity: list[int]) -> None:
        """``name`` was checked against the layout: note its identity as is."""
        with self._transaction():
            files = self.file_identities()
            files[name] = identity
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (_FILES, json.dumps(files, sort_keys=True))
            )

    def _transaction(self) -> _Transaction:
        self.commit()
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
