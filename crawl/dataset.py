"""One dataset's crawl: listing checks, card, viewer rows, policy, output lines.

Cheap checks come first: the listing item alone rules out most datasets, the card is read only
for candidates, and the viewer is asked only about datasets whose card passed. Every way out is
a :class:`~crawl.records.DatasetOutcome` with a reason; nothing raises past :meth:`crawl`.
A viewer that is still computing the dataset (``ResponseNotReady`` after the transport's retries,
or pending splits) gives a ``deferred`` outcome, unless this is the run's last pass.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from crawl.card import SECTIONS, parse_card
from crawl.facts import DatasetFacts, dataset_facts, normalize_language
from crawl.features import (
    feature_map,
    flat_name,
    flatten_clashes,
    flatten_feature_list,
    flatten_row,
    resolve_row,
    translation_languages,
)
from crawl.hub import CardUnavailable, HubClient
from crawl.language import detect_language
from crawl.listing import ListedDataset
from crawl.options import CrawlOptions
from crawl.policy import check_card, check_config, check_detected_language, check_repo, multilinguality
from crawl.records import DEFERRED, FAILED, KEPT, ConfigLine, DatasetOutcome, task_name, website
from crawl.snapshot import InvalidRepoId, validate_repo_id
from crawl.transport import RequestFailed
from crawl.viewer import NO_TRAIN_SPLIT, RowsPage, ViewerClient, ViewerError, ViewerPending, choose_splits

# Checks that need no card text: they run before the card is downloaded even without cardData.
_TAG_ONLY_RULES = ("modality", "task_category")


class _Stop(Exception):
    """Ends a dataset's crawl early with an outcome."""

    def __init__(self, outcome: DatasetOutcome) -> None:
        super().__init__(outcome.reason)
        self.outcome = outcome


# One encoder for every size check (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def clean_rows(
    page: RowsPage, features: dict[str, Any], max_chars: int
) -> tuple[list[dict[str, Any]], list[int], int]:
    """Resolved rows and their row indices in the split, leaving out cells the viewer cut and
    rows over ``max_chars`` of JSON; the last item is how many were left out.

    The page's rows are encoded once together: when that fits in ``max_chars``, every row does
    (each row's JSON is part of it), and only a longer page is measured row by row.
    """
    rows, indices, dropped = [], [], 0
    measure = len(_ENCODER.encode([item.get("row") for item in page.rows])) > max_chars
    for position, item in enumerate(page.rows):
        row = item.get("row")
        if not isinstance(row, dict) or item.get("truncated_cells"):
            dropped += 1
            continue
        if measure and len(_ENCODER.encode(row)) > max_chars:
            dropped += 1
            continue
        rows.append(resolve_row(row, features))
        # pages are read from offset 0, so a row's position is its index when the viewer omits it
        index = item.get("row_idx")
        indices.append(index if isinstance(index, int) and not isinstance(index, bool) else position)
    return rows, indices, dropped


def _flatten(
    features: dict[str, Any],
    feature_list: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    config: str,
    notes: list[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Each Translation feature as one text field per language, in the features and the rows.

    Returns the line's features, the rows and the translation languages (normalized, for a card
    that names none). The caller has ruled out name clashes.
    """
    translations = translation_languages(features)
    if not translations:
        return feature_list, rows, []
    for name, languages in translations.items():
        flat = ", ".join(flat_name(name, code) for code in languages)
        notes.append(f"translation_flattened: {config}: {name} -> {flat}")
    codes = [normalize_language(code) for languages in translations.values() for code in languages]
    return (
        flatten_feature_list(feature_list),
        [flatten_row(row, translations) for row in rows],
        list(dict.fromkeys(code for code in codes if code)),
    )


class DatasetCrawler:
    """Crawls single datasets with shared clients; one instance per crawl."""

    def __init__(
        self,
        hub: HubClient,
        viewer: ViewerClient,
        options: CrawlOptions,
        origin: str | None = None,
    ) -> None:
        self.hub = hub
        self.viewer = viewer
        self.options = options
        # The public Hub whose dataset pages the lines link to (see crawl.origin).
        self.origin = origin or options.hub_endpoint

    async def crawl(self, ds: ListedDataset, last_pass: bool = True) -> DatasetOutcome:
        """The outcome for one listed dataset (kept with lines, skipped or failed with a reason).

        Before the ``last_pass``, a viewer not ready yet defers the dataset instead of failing it.
        """
        notes: list[str] = []
        try:
            return await self._crawl(ds, notes, last_pass)
        except _Stop as stop:
            stop.outcome.notes = notes + [n for n in stop.outcome.notes if n not in notes]
            return stop.outcome
        except Exception as exc:  # input nobody foresaw: report it, retry next run, keep crawling
            return DatasetOutcome.failed(ds.id, ds.sha, f"error: {type(exc).__name__}: {exc}", notes)

    def _skip(self, ds: ListedDataset, reason: str) -> _Stop:
        return _Stop(DatasetOutcome.skipped(ds.id, ds.sha, reason))

    def _fail(self, ds: ListedDataset, reason: str) -> _Stop:
        return _Stop(DatasetOutcome.failed(ds.id, ds.sha, reason))

    def _viewer_failed(self, ds: ListedDataset, exc: RequestFailed, last_pass: bool) -> _Stop:
        outcome = DatasetOutcome.failed(ds.id, ds.sha, f"viewer_failed: {exc.reason}")
        if exc.not_ready and not last_pass:
            outcome.status = DEFERRED
        return _Stop(outcome)

    async def _crawl(self, ds: ListedDataset, notes: list[str], last_pass: bool) -> DatasetOutcome:
        policy = self.options.policy
        try:
            validate_repo_id(ds.id)
        except InvalidRepoId:
            raise self._skip(ds, "invalid_repo_id") from None
        if not ds.sha:
            raise self._skip(ds, "sha_missing")
        if reason := check_repo(ds, policy):
            raise self._skip(ds, reason)
        listing_facts = dataset_facts(ds.card_data, list(ds.tags))
        only = None if ds.card_data else _TAG_ONLY_RULES
        if reason := check_card(listing_facts, policy, only=only):
            raise self._skip(ds, reason)

        facts, sections = await self._card(ds, notes)
        if reason := check_card(facts, policy):
            raise self._skip(ds, reason)
        return await self._configs(ds, facts, sections, notes, last_pass)

    async def _card(self, ds: ListedDataset, notes: list[str]) -> tuple[DatasetFacts, dict[str, str]]:
        assert ds.sha is not None
        try:
            data = await self.hub.card(ds.id, ds.sha)
        except CardUnavailable as exc:
            raise self._skip(ds, str(exc)) from None
        except RequestFailed as exc:
            raise self._fail(ds, f"card_failed: {exc.reason}") from None
        if data is None:
            facts = dataset_facts(ds.card_data, list(ds.tags))
            if not facts.licenses:
                raise self._skip(ds, "no_card")
            notes.append("no_card: license and language from tags")
            return facts, {key: "" for key in SECTIONS}
        card = parse_card(data)
        notes.extend(card.notes)
        metadata = card.metadata if card.metadata is not None else ds.card_data
        if card.notes and ds.card_data:
            notes.append("card metadata from the listing's cardData")
        return dataset_facts(metadata, list(ds.tags)), card.sections

    async def _configs(
        self,
        ds: ListedDataset,
        facts: DatasetFacts,
        sections: dict[str, str],
        notes: list[str],
        last_pass: bool,
    ) -> DatasetOutcome:
        try:
            entries = await self.viewer.splits(ds.id)
        except ViewerError as exc:
            raise self._skip(ds, exc.reason) from None
        except ViewerPending:
            pending = DatasetOutcome(ds.id, ds.sha, FAILED if last_pass else DEFERRED, "viewer_pending")
            raise _Stop(pending) from None
        except RequestFailed as exc:
            raise self._viewer_failed(ds, exc, last_pass) from None
        chosen, total = choose_splits(entries, self.options.max_configs, self.options.splits)
        if not chosen:
            raise self._skip(ds, "viewer_no_splits")
        if total > len(chosen):
            notes.append(f"configs_truncated: {len(chosen)} of {total}")
        outcome = DatasetOutcome(dataset=ds.id, sha=ds.sha, status=KEPT, notes=notes)
        for config, split in chosen:
            if split is None:
                outcome.configs_skipped[config] = NO_TRAIN_SPLIT
                continue
            line, reason = await self._config(ds, facts, sections, config, split, total > 1, notes, last_pass)
            if line is not None:
                outcome.lines.append(line.to_json())
                outcome.configs_kept.append(config)
            else:
                outcome.configs_skipped[config] = reason or "unknown"
        if not outcome.lines:
            reasons = set(outcome.configs_skipped.values())
            reason = reasons.pop() if len(reasons) == 1 else "no_config_kept"
            skipped = DatasetOutcome.skipped(ds.id, ds.sha, reason)
            skipped.configs_skipped = outcome.configs_skipped
            raise _Stop(skipped)
        return outcome

    async def _config(
        self,
        ds: ListedDataset,
        facts: DatasetFacts,
        sections: dict[str, str],
        config: str,
        split: str,
        several: bool,
        notes: list[str],
        last_pass: bool,
    ) -> tuple[ConfigLine | None, str | None]:
        try:
            page = await self.viewer.rows(ds.id, config, split, self.options.rows)
        except ViewerError as exc:
            return None, exc.reason
        except RequestFailed as exc:
            raise self._viewer_failed(ds, exc, last_pass) from None
        features = feature_map(page.features)
        rows, row_indices, dropped = clean_rows(page, features, self.options.max_row_chars)
        if dropped:
            notes.append(
                f"rows_dropped: {config}: {dropped} truncated or over {self.options.max_row_chars} chars"
            )
        if reason := check_config(features, rows, self.options.policy):
            return None, reason
        if clashes := flatten_clashes(features):  # even with the translation rule switched off
            return None, f"translation_field_clash: {','.join(clashes)}"
        line_features, rows, translation_codes = _flatten(features, page.features, rows, config, notes)
        languages = facts.languages or translation_codes
        if not languages:
            detected = detect_language(rows)
            if reason := check_detected_language(detected, self.options.policy):
                return None, reason
            languages = [detected] if detected else []
            notes.append(f"language_detected: {config}: {detected}")
        assert ds.sha is not None
        line = ConfigLine(
            task_name=task_name(ds.id, config, several),
            dataset=ds.id,
            config=config,
            split=split,
            revision=ds.sha,
            license=facts.license,
            website=website(self.origin, ds.id),
            languages=languages,
            multilinguality=multilinguality(replace(facts, languages=languages), features),
            summary=sections.get("summary", ""),
            supported_task=sections.get("supported_task", ""),
            data_fields=sections.get("data_fields", ""),
            task_category=facts.task_categories,
            task_ids=facts.task_ids,
            features=line_features,
            selected_data=rows,
            row_indices=row_indices,
        )
        return line, None
