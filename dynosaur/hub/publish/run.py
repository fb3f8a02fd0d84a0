"""Publish: build a release folder (Parquet shards, dataset card, manifest) and upload it.

The folder is exactly what lands in the dataset repo::

    README.md                                  the dataset card
    manifest.json                              version, sources, generation settings, changelog
    report.html                                what the records look like (when the run wrote one)
    data/train-00000-of-0000N.parquet          the records, sharded by row count

``build_release`` writes it (``--dry-run DIR`` stops there); ``upload_release`` creates the repo
if needed, commits the folder in one commit, deleting shards the new version no longer has, and
tags that commit with the version (``dynosaur.release_tags``). ``make_release`` is the one release
both ``publish`` and ``grow`` make: read the repo (or the newest local release), stage the new
version under ``DATA_DIR/releases/``, upload and tag it; its ``ReleaseReport`` is what they print.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from crawl.artifact_errors import WriteFailed, is_environment_error, writing
from dynosaur.contracts.artifacts import (
    JUDGE_REPORT_FILE,
    MANIFEST_FILE,
    ORGANIZE_REPORT_FILE,
    RECORDS_PARQUET_FILE,
    RELEASES_DIR,
    REPORT_HTML_FILE,
    TASKS_FILE,
)
from dynosaur.contracts.decontamination import release_summary
from dynosaur.contracts.manifest import (
    Manifest,
    changelog_entry,
    diff_sources,
    next_version,
    read_manifest,
    today,
    version_key,
)
from dynosaur.contracts.records import record_schema
from dynosaur.contracts.report_checks import check_judge_report, check_organize_report
from dynosaur.contracts.versions import check_version
from dynosaur.core import checks
from dynosaur.core.errors import DynosaurError
from dynosaur.core.trees import UnsafeRemoval, remove_tree
from dynosaur.hub.publish.card import render_card
from dynosaur.hub.publish.release_repo import (
    RemoteState,
    RepoRefs,
    TagResult,
    open_remote,
    tag_holds_other_files,
    tag_message,
    tag_release,
)

DEFAULT_SHARD_ROWS = 250_000
_RELEASE_FILES = ("README.md", MANIFEST_FILE, REPORT_HTML_FILE)

# Written by the crawl beside its other files: the license policy and splits it kept.
CRAWL_POLICY_FILE = "crawl_policy.json"


class PublishError(DynosaurError, RuntimeError):
    """A release that cannot be built or uploaded, with the reason."""


def shard_names(count: int) -> list[str]:
    """``data/train-{i:05d}-of-{n:05d}.parquet``, as ``push_to_hub`` names them."""
    return [f"data/train-{i:05d}-of-{count:05d}.parquet" for i in range(count)]


def write_shards(source: Path, folder: Path, shard_rows: int) -> tuple[Counter, list[str]]:
    """Split the organized Parquet file into shards of at most ``shard_rows`` rows, streaming.

    Returns the records counted by ``(taskname, license)`` and the shard names.
    """
    import pyarrow.parquet as pq  # here, so that loading the publish stage does not load Arrow

    parquet = pq.ParquetFile(source)
    total = parquet.metadata.num_rows
    if parquet.schema_arrow.names != record_schema().names:
        raise PublishError(f"{source} does not hold Dynosaur records (columns {parquet.schema_arrow.names})")
    names = shard_names(max(1, math.ceil(total / shard_rows)))
    counts: Counter = Counter()
    index = 0
    try:
        (folder / "data").mkdir(parents=True, exist_ok=True)
        in_shard, writer = 0, pq.ParquetWriter(folder / names[0], record_schema())
        try:
            for batch in parquet.iter_batches(batch_size=min(shard_rows, 65_536)):
                offset = 0
                while offset < batch.num_rows:
                    if in_shard == shard_rows:
                        writer.close()
                        index, in_shard = index + 1, 0
                        writer = pq.ParquetWriter(folder / names[index], record_schema())
                    take = min(shard_rows - in_shard, batch.num_rows - offset)
                    part = batch.slice(offset, take)
                    writer.write_batch(part)
                    counts.update(
                        zip(
                            part.column("taskname").to_pylist(),
                            part.column("license").to_pylist(),
                            strict=True,
                        )
                    )
                    offset += take
                    in_shard += take
        finally:
            writer.close()
    except OSError as exc:  # pyarrow raises a full disk as an OSError with its errno
        if isinstance(exc, WriteFailed) or not is_environment_error(exc):
            raise
        raise WriteFailed(folder / names[index], exc, plain=True) from exc
    return counts, names


def generation_settings(path: Path) -> list[dict[str, Any]]:
    """Valid tasks counted by engine, model, mode and prompts version (from ``tasks.jsonl``)."""
    counts: Counter = Counter()
    if path.is_file():
        with open(path, "rb") as handle:
            for line in handle:
                try:
                    task = json.loads(line)
                except ValueError:  # not JSON, or not UTF-8
                    continue
                if not isinstance(task, dict) or task.get("valid") is False:
                    continue
                key = tuple(str(task.get(k) or "") for k in ("engine", "model", "source", "prompts_version"))
                counts[key] += 1
    return [
        {"engine": e, "model": m, "source": s, "prompts_version": p, "tasks": n}
        for (e, m, s, p), n in sorted(counts.items())
    ]


def sources_of(counts: Counter, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every source with records: licenses and counts from the records themselves, the rest
    (dataset, config, Hub revision, languages, tasks) from the organize report."""
    known = report.get("sources") or {}
    by_task: dict[str, Counter] = {}
    for (taskname, license_), count in counts.items():
        by_task.setdefault(taskname, Counter())[license_] += count
    sources = {}
    for taskname, licenses in sorted(by_task.items()):
        entry = dict(known.get(taskname) or {"dataset": taskname})
        entry["license"] = ", ".join(sorted(licenses))
        entry["records"] = sum(licenses.values())
        entry.setdefault(
            "tasks",
            sum(
                1
                for t in report.get("tasks") or []
                if t.get("task_name") == taskname and t.get("status") == "kept"
            ),
        )
        sources[taskname] = entry
    return sources


def _check_folder(folder: Path) -> None:
    """``folder`` is missing, empty or a previous release folder; else :class:`PublishError`."""
    if folder.exists():
        if not folder.is_dir():
            raise PublishError(f"{folder} is not a folder")
        entries = [p.name for p in folder.iterdir()]
        if entries and MANIFEST_FILE not in entries:
            raise PublishError(f"{folder} is not empty and holds no release: choose an empty or new folder")


def _prepare_folder(folder: Path) -> None:
    """An empty folder, or a previous release folder whose release files are cleared."""
    _check_folder(folder)
    if folder.exists():
        remove_tree(folder / "data", folder)
        for name in _RELEASE_FILES:
            (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)


@dataclass
class Release:
    """A built release folder and its manifest."""

    folder: Path
    manifest: Manifest

    def files(self) -> list[str]:
        """Every file of the folder, as repository paths, sorted."""
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())


def build_release(
    data_dir: str | Path,
    folder: str | Path,
    *,
    repo_id: str,
    previous: Manifest | None = None,
    version: str | None = None,
    date: str | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    pretty_name: str | None = None,
    taken: Collection[str] = (),
) -> Release:
    """Write the release folder for the organized records of ``data_dir``.

    Without ``version``, the version is the date's, skipping the versions in ``taken`` (tags).
    """
    data_dir, folder = Path(data_dir), Path(folder)
    source = data_dir / RECORDS_PARQUET_FILE
    if not source.is_file():
        raise PublishError(f"{source} not found: run `dynosaur organize` first")
    try:
        report = json.loads((data_dir / ORGANIZE_REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(
            f"{data_dir / ORGANIZE_REPORT_FILE} is missing or unreadable: run `dynosaur organize` first"
        ) from exc
    report = check_organize_report(report, data_dir / ORGANIZE_REPORT_FILE)
    if shard_rows < 1:
        raise PublishError("shard rows must be at least 1")
    # every report is read (and checked) before the folder is touched
    judge, decontamination = judge_summary(data_dir / JUDGE_REPORT_FILE), release_summary(data_dir)
    if version is not None:
        check_version(version)
    _prepare_folder(folder)
    counts, shards = write_shards(source, folder, shard_rows)
    records = sum(counts.values())
    if records == 0:
        remove_tree(folder / "data", folder)
        raise PublishError("there are no records to publish (see organize_report.json)")
    date = date or today()
    manifest = Manifest(
        version=version or next_version(date, previous.version if previous else None, taken),
        date=date,
        repo_id=repo_id,
        records=records,
        shards=shards,
        sources=sources_of(counts, report),
        generation=generation_settings(data_dir / TASKS_FILE),
        organize=dict(report.get("config") or {}),
        crawled_at=str(report.get("crawled_at") or ""),
        decontamination=decontamination,
    )
    manifest.judge = judge
    manifest.crawl_policy = crawl_policy(data_dir / CRAWL_POLICY_FILE)
    if (data_dir / REPORT_HTML_FILE).is_file():
        with writing(folder / REPORT_HTML_FILE):
            shutil.copyfile(data_dir / REPORT_HTML_FILE, folder / REPORT_HTML_FILE)
        manifest.report = REPORT_HTML_FILE
    manifest.changelog = changelog_of(manifest, previous)
    manifest.write(folder)
    with writing(folder / "README.md"):
        (folder / "README.md").write_text(render_card(manifest, pretty_name), encoding="utf-8")
    return Release(folder, manifest)


def build_preview(data_dir: str | Path, folder: str | Path, **options: Any) -> Release:
    """:func:`build_release` into a staging folder beside ``folder``, then its files into ``folder``
    in place of the previous release's: a build that fails (a full disk, a bad report) leaves a
    previous preview as it was. ``options`` are :func:`build_release`'s."""
    folder = Path(folder)
    _check_folder(folder)  # before anything is written
    parent = folder.absolute().parent
    with writing(parent):
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=parent))
    try:
        try:
            release = build_release(data_dir, staging, **options)
        except WriteFailed as exc:  # name the file as the preview will hold it
            if exc.filename is None or not Path(exc.filename).is_relative_to(staging):
                raise
            raise WriteFailed(folder / Path(exc.filename).relative_to(staging), exc) from exc.__cause__
        _prepare_folder(folder)
        for entry in sorted(staging.iterdir()):
            with writing(folder / entry.name):
                entry.rename(folder / entry.name)  # the same file system: nothing to copy
    finally:
        with contextlib.suppress(OSError, UnsafeRemoval):
            remove_tree(staging, parent)
    return Release(folder, release.manifest)


def crawl_policy(path: Path) -> dict[str, Any]:
    """The crawl's policy (``crawl_policy.json``: license policy and splits), or {} without one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def judge_summary(path: Path) -> dict[str, Any]:
    """What the card says of the judge: who judged, the score distribution, measured agreement."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(report, dict) or not report.get("tasks_scored"):
        return {}
    check_judge_report(report, path)
    keys = (
        "judge",
        "model",
        "records_per_task",
        "tasks_scored",
        "score_distribution",
        "mean_score",
        "agreement",
    )
    return {key: report.get(key) for key in keys}


def changelog_of(manifest: Manifest, previous: Manifest | None) -> list[dict[str, Any]]:
    """The new changelog: this version's entry on top of the previous ones.

    Republishing the same version with the same sources keeps the changelog as it was, so an
    unchanged release uploads nothing new.
    """
    if previous is None:
        return [changelog_entry(manifest, None)]
    if (
        previous.version == manifest.version
        and previous.records == manifest.records
        and not diff_sources(previous.sources, manifest.sources)
    ):
        return previous.changelog
    older = [entry for entry in previous.changelog if entry.get("version") != manifest.version]
    return [changelog_entry(manifest, previous), *older]


def version_check(api: HfApi, repo_id: str, refs: RepoRefs) -> Callable[[Release], None]:
    """A :func:`stage_release` check: refuse a version whose tag already names other files."""

    def check(release: Release) -> None:
        reason = tag_holds_other_files(
            api, repo_id, refs, release.manifest.version, release.folder, release.files()
        )
        if reason:
            raise PublishError(reason, mentions=("version",))

    return check


@dataclass
class UploadResult:
    """Where a release went, and its tag (``head_tag``: the previous head's, made first)."""

    repo_url: str
    commit_oid: str
    commit_url: str
    uploaded: list[str]
    deleted: list[str]
    tag: TagResult | None = None
    head_tag: TagResult | None = None

    @property
    def tags_ok(self) -> bool:
        return all(t.ok for t in (self.tag, self.head_tag) if t is not None)


def upload_release(
    api: HfApi,
    release: Release,
    repo_id: str,
    *,
    private: bool = False,
    remote: RemoteState | None = None,
) -> UploadResult:
    """Create the dataset repo if needed, commit the release folder in one commit and tag it.

    A tag the Hub refuses leaves the commit in place; ``result.tag`` says why.
    """
    remote = remote or open_remote(api, repo_id)
    repo_url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    files = release.files()
    existing = api.list_repo_files(repo_id, repo_type="dataset")
    stale = sorted(p for p in existing if p.startswith("data/") and p.endswith(".parquet") and p not in files)
    operations: list[Any] = [CommitOperationAdd(path, str(release.folder / path)) for path in files]
    operations += [CommitOperationDelete(path) for path in stale]
    manifest = release.manifest
    info = api.create_commit(
        repo_id,
        operations,
        repo_type="dataset",
        commit_message=tag_message(manifest),
        commit_description=_commit_description(manifest),
    )
    tag = tag_release(api, repo_id, manifest.version, info.oid, remote.refs, tag_message(manifest))
    return UploadResult(str(repo_url), info.oid, info.commit_url, files, stale, tag, remote.head_tag)


def _commit_description(manifest: Manifest) -> str:
    entry = manifest.changelog[0] if manifest.changelog else {}
    return "\n".join(
        f"{kind}: {', '.join(entry[kind])}" for kind in ("added", "changed", "removed") if entry.get(kind)
    )


def releases_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / RELEASES_DIR


def latest_release(data_dir: str | Path) -> Manifest | None:
    """The newest release kept under ``DATA_DIR/releases/``, or ``None``."""
    base = releases_dir(data_dir)
    manifests = (
        [m for m in (read_manifest(p) for p in base.glob(f"*/{MANIFEST_FILE}")) if m] if base.is_dir() else []
    )
    return max(manifests, key=lambda m: version_key(m.version), default=None)


def stage_release(
    data_dir: str | Path,
    *,
    repo_id: str,
    previous: Manifest | None,
    check: Callable[[Release], None] | None = None,
    **options: Any,
) -> Release:
    """Build the release into ``DATA_DIR/releases/<version>/`` (replacing a same-named one).

    ``check`` sees the built release before it replaces anything; what it raises stops there.
    The version must be one :func:`check_version` accepts, and only a real folder inside the
    releases folder is ever replaced.
    """
    base = releases_dir(data_dir)
    if base.is_symlink():
        raise PublishError(f"{base} is a symbolic link: releases are kept only in a folder of the data dir")
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
    try:
        release = build_release(data_dir, staging, repo_id=repo_id, previous=previous, **options)
        if check is not None:
            check(release)
        final = base / check_version(release.manifest.version)
        remove_tree(final, base)
        staging.rename(final)
    except BaseException:
        with contextlib.suppress(OSError, UnsafeRemoval):
            remove_tree(staging, base)
        raise
    return Release(final, release.manifest)


@dataclass(frozen=True)
class ReleaseOptions:
    """How a release is built and uploaded (``version`` and ``date`` default to today's)."""

    version: str | None = None
    date: str | None = None
    shard_rows: int = DEFAULT_SHARD_ROWS
    pretty_name: str | None = None
    private: bool = False

    def __post_init__(self) -> None:
        if self.version is not None:
            check_version(self.version)
        checks.at_least("shard_rows", self.shard_rows, 1)


@dataclass
class ReleaseReport:
    """What one release did: the release built (``None`` when nothing was new since ``previous``),
    where it went and its tags (``head_tag``: the earlier head's, tagged first)."""

    release: Release | None
    upload: UploadResult | None = None
    previous: Manifest | None = None
    head_tag: TagResult | None = None
    repo_id: str = ""

    @property
    def ok(self) -> bool:
        """False when a tag could not be made (what was uploaded stays)."""
        if self.release is None:
            return self.head_tag is None or self.head_tag.ok
        return self.upload is None or self.upload.tags_ok

    def to_json(self) -> dict[str, Any]:
        """The release's entry in ``grow_report.json``."""
        if self.release is None:
            return {
                "version": None,
                "previous": self.previous.version if self.previous else None,
                "tag": _tag_json(self.head_tag),
            }
        manifest, upload = self.release.manifest, self.upload
        return {
            "version": manifest.version,
            "folder": str(self.release.folder),
            "changes": manifest.changelog[0] if manifest.changelog else {},
            "commit": upload.commit_oid if upload else None,
            "tag": _tag_json(upload.tag if upload else None),
            "earlier_tag": _tag_json(upload.head_tag if upload else None),
        }

    def render(self) -> str:
        """The end-of-run summary of a release (and its upload and tags)."""
        if self.release is None:
            since = self.previous.version if self.previous else "the last release"
            lines = [f"nothing new since {since}: no release made"]
            if self.head_tag is not None:
                repo_id = (self.previous.repo_id if self.previous else "") or self.repo_id
                lines.append(replace(self.head_tag, repo_id=repo_id).render())
            return "\n".join(lines)
        manifest, upload = self.release.manifest, self.upload
        entry = manifest.changelog[0] if manifest.changelog else {}
        lines = [
            f"release {manifest.version}: {manifest.records} records, {manifest.tasks} tasks, "
            f"{len(manifest.sources)} sources, {len(manifest.shards)} shards, licenses {', '.join(manifest.licenses)}"
        ]
        if entry.get("previous"):
            lines.append(
                f"  since {entry['previous']}: {len(entry['added'])} added, {len(entry['changed'])} changed, "
                f"{len(entry['removed'])} removed"
            )
        lines.append(f"  folder  {self.release.folder}")
        if upload is not None:
            if upload.head_tag is not None:
                lines.append(f"  {upload.head_tag.render()} (the earlier head)")
            lines.append(
                f"  pushed  {upload.repo_url} @ {upload.commit_oid[:12]} "
                f"({len(upload.uploaded)} files, {len(upload.deleted)} stale shards deleted)"
            )
            if upload.tag is not None:
                lines.append(f"  {upload.tag.render()}")
        return "\n".join(lines)


def _tag_json(tag: TagResult | None) -> dict[str, str] | None:
    return tag.to_json() if tag is not None else None


def nothing_new(manifest: Manifest, previous: Manifest | None) -> bool:
    """Whether a new release would hold exactly what the previous one holds."""
    return (
        previous is not None
        and previous.records == manifest.records
        and not diff_sources(previous.sources, manifest.sources)
    )


def make_release(
    data_dir: str | Path,
    api: HfApi | None,
    repo_id: str | None,
    options: ReleaseOptions | None = None,
    *,
    skip_unchanged: bool = False,
) -> ReleaseReport:
    """The one release ``publish`` and ``grow`` make.

    With ``api`` and ``repo_id``: read the repo (its head manifest is the previous version, its
    tags are versions already taken, an untagged head is tagged first), stage the new version in
    ``DATA_DIR/releases/<version>/`` (refusing a version whose tag holds other files), upload it
    in one commit and tag it. Without them: the previous version is the newest local release and
    nothing is uploaded. ``skip_unchanged``: when the records are exactly the previous version's,
    make no release (``report.release`` is ``None``).
    """
    options = options or ReleaseOptions()
    remote = open_remote(api, repo_id) if api is not None and repo_id else None
    previous = remote.manifest if remote else latest_release(data_dir)
    check = version_check(api, repo_id, remote.refs) if api is not None and repo_id and remote else None
    release = stage_release(
        data_dir,
        repo_id=repo_id or "",
        previous=previous,
        version=options.version,
        date=options.date,
        shard_rows=options.shard_rows,
        pretty_name=options.pretty_name,
        taken=remote.refs.tags if remote else (),
        check=check,
    )
    head_tag = remote.head_tag if remote else None
    if skip_unchanged and nothing_new(release.manifest, previous):
        assert previous is not None
        if release.folder.name != previous.version:
            with contextlib.suppress(OSError):
                remove_tree(release.folder, releases_dir(data_dir))
        return ReleaseReport(None, previous=previous, head_tag=head_tag, repo_id=repo_id or "")
    upload = (
        upload_release(api, release, repo_id, private=options.private, remote=remote)
        if api is not None and repo_id
        else None
    )
    return ReleaseReport(release, upload, previous, head_tag, repo_id or "")


def publish(
    data_dir: str | Path,
    repo_id: str,
    options: ReleaseOptions | None = None,
    *,
    endpoint: str,
    token: str | None,
    dry_run: str | Path | None = None,
) -> tuple[Release, UploadResult | None]:
    """Build the release and upload it (:func:`make_release`); with ``dry_run``, only write it
    to that folder.

    The previous version comes from the repo's ``manifest.json`` (from the newest local release
    for a dry run, which stays offline), the repo's tags rule out versions already taken. A
    published release is kept in ``DATA_DIR/releases/``.
    """
    options = options or ReleaseOptions()
    if dry_run is not None:
        release = build_preview(
            data_dir,
            dry_run,
            repo_id=repo_id,
            previous=latest_release(data_dir),
            version=options.version,
            date=options.date,
            shard_rows=options.shard_rows,
            pretty_name=options.pretty_name,
        )
        return release, None
    if not token:
        raise PublishError(
            "publishing needs a token with write access: pass `token` or set HF_TOKEN", mentions=("token",)
        )
    api = HfApi(endpoint=endpoint, token=token)
    report = make_release(data_dir, api, repo_id, options)
    assert report.release is not None  # always made: only grow skips an unchanged release
    return report.release, report.upload
