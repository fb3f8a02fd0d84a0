"""Which datasets and configs the crawl keeps. Every rule returns None (keep) or a reason.

Rules come in three groups, checked as early as the information allows:
``REPO_RULES`` and ``CARD_RULES`` need only the listing item (or the card), ``CONFIG_RULES`` need
the viewer's features and rows. Any rule can be switched off by name (``--no-rule NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from crawl.benchmarks import DEFAULT_BENCHMARK_NAMES, benchmark_named
from crawl.facts import DatasetFacts, normalize_language
from crawl.features import (
    MEDIA_TYPES,
    TRANSLATION_TYPES,
    feature_types,
    flatten_clashes,
    flatten_names,
    translation_languages,
)
from crawl.licenses import DEFAULT_PRESET, PRESETS, denied_license
from crawl.listing import ListedDataset

DEFAULT_DENY_MODALITIES = ("image", "audio", "video")
# Hub task categories whose inputs or outputs are images, audio or video.
DEFAULT_DENY_TASK_CATEGORIES = (
    "audio-classification",
    "audio-to-audio",
    "automatic-speech-recognition",
    "depth-estimation",
    "image-classification",
    "image-feature-extraction",
    "image-segmentation",
    "image-text-to-text",
    "image-to-3d",
    "image-to-image",
    "image-to-text",
    "image-to-video",
    "keypoint-detection",
    "mask-generation",
    "object-detection",
    "text-to-audio",
    "text-to-image",
    "text-to-speech",
    "text-to-video",
    "unconditional-image-generation",
    "video-classification",
    "video-text-to-text",
    "visual-document-retrieval",
    "visual-question-answering",
    "voice-activity-detection",
    "zero-shot-image-classification",
    "zero-shot-object-detection",
)


@dataclass(frozen=True)
class PolicyOptions:
    """The configurable part of every rule."""

    languages: tuple[str, ...] = ("en",)
    allow_code: bool = False
    keep_multilingual: bool = False
    keep_translation: bool = False  # translation datasets are skipped unless asked for
    license_policy: str = DEFAULT_PRESET  # a crawl.licenses preset
    allow_licenses: tuple[str, ...] = ()  # kept whatever the preset
    deny_licenses: tuple[str, ...] = ()  # dropped whatever the preset
    deny_modalities: tuple[str, ...] = DEFAULT_DENY_MODALITIES
    deny_task_categories: tuple[str, ...] = DEFAULT_DENY_TASK_CATEGORIES
    min_fields: int = 2
    # Lower-case names of evaluation benchmarks (repo ids and the old names cards use).
    benchmarks: tuple[str, ...] = DEFAULT_BENCHMARK_NAMES
    disabled_rules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError("languages must name at least one language")
        if self.min_fields < 1:
            raise ValueError(f"min fields must be at least 1, got {self.min_fields}")
        if self.license_policy not in PRESETS:
            raise ValueError(f"unknown license policy {self.license_policy!r} (one of {', '.join(PRESETS)})")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, order-independent (part of the crawl's fingerprint)."""
        return {
            key: sorted(value) if isinstance(value, tuple) else value
            for key, value in sorted(asdict(self).items())
        }


def _short(values: list[str], limit: int = 5) -> str:
    return ",".join(values[:limit]) + (",..." if len(values) > limit else "")


# -- repository flags (listing item) ------------------------------------------------------------


def disabled_rule(ds: ListedDataset, opts: PolicyOptions) -> str | None:
    return "disabled" if ds.disabled else None


def private_rule(ds: ListedDataset, opts: PolicyOptions) -> str | None:
    return "private" if ds.private else None


def gated_rule(ds: ListedDataset, opts: PolicyOptions) -> str | None:
    return f"gated: {ds.gated}" if ds.gated else None


def benchmark_rule(ds: ListedDataset, opts: PolicyOptions) -> str | None:
    """An evaluation benchmark itself: its rows must never become training data."""
    return f"benchmark: {ds.id}" if benchmark_named(opts.benchmarks, [ds.id]) else None


# -- card metadata (listing cardData or README YAML, tags as fallback) --------------------------


def license_rule(facts: DatasetFacts, opts: PolicyOptions) -> str | None:
    """The license policy preset; with several licenses, the strictest one decides."""
    if not facts.licenses:
        return "license_missing"
    reason = denied_license(facts.licenses, opts.license_policy, opts.allow_licenses, opts.deny_licenses)
    return f"license_denied: {reason}" if reason else None


def language_rule(facts: DatasetFacts, opts: PolicyOptions) -> str | None:
    """English (or the configured languages), optionally with code; no language: decided from rows.

    A translation dataset (multilinguality or task category ``translation``) with an allowed
    language is skipped as ``translation``; with ``keep_translation`` it is kept, whatever its other
    languages.
    """
    if not facts.languages:
        return None
    natural = [code for code in facts.languages if code != "code"]
    if "code" in facts.languages and not opts.allow_code:
        return "language_not_allowed: code"
    if not natural:
        return "language_code_only"
    if not any(code in opts.languages for code in natural):
        return f"language_not_allowed: {_short(natural)}"
    if "translation" in facts.multilinguality or "translation" in facts.task_categories:
        return None if opts.keep_translation else "translation"
    others = [code for code in natural if code not in opts.languages]
    if others:
        return None if opts.keep_multilingual else f"multilingual: {_short(others)}"
    return None


def benchmark_source_rule(facts: DatasetFacts, opts: PolicyOptions) -> str | None:
    """A dataset built from a benchmark (its card's ``source_datasets`` names one)."""
    found = benchmark_named(opts.benchmarks, facts.source_datasets)
    return f"benchmark_source: {found}" if found else None


def modality_rule(facts: DatasetFacts, opts: PolicyOptions) -> str | None:
    denied = [m for m in facts.modalities if m in opts.deny_modalities]
    return f"modality: {_short(denied)}" if denied else None


def task_category_rule(facts: DatasetFacts, opts: PolicyOptions) -> str | None:
    denied = [t for t in facts.task_categories if t in opts.deny_task_categories]
    return f"task_category: {_short(denied)}" if denied else None


# -- one config, from the viewer (features by name, resolved rows) ------------------------------


def media_feature_rule(
    features: dict[str, Any], rows: list[dict[str, Any]], opts: PolicyOptions
) -> str | None:
    media = sorted(feature_types(list(features.values())) & MEDIA_TYPES)
    return f"media_feature: {_short(media)}" if media else None


def translation_feature_rule(
    features: dict[str, Any], rows: list[dict[str, Any]], opts: PolicyOptions
) -> str | None:
    """Translation features: skipped as ``translation``; with ``keep_translation``, kept (then
    flattened) when one of their languages is allowed.

    ``TranslationVariableLanguages`` has no fixed language set to flatten into fields, and a
    flattened name that is already a field would overwrite it: both skip the config.
    """
    types = feature_types(list(features.values()))
    if not types & TRANSLATION_TYPES:
        return None
    if not opts.keep_translation:
        return "translation"
    if "TranslationVariableLanguages" in types:
        return "translation_variable_languages"
    translations = translation_languages(features)
    for name, languages in translations.items():
        natural = [normalize_language(code) for code in languages]
        if not natural:
            return f"translation_without_languages: {name}"
        if not any(code in opts.languages for code in natural):
            return f"language_not_allowed: {_short(languages)}"
    clashes = flatten_clashes(features)
    return f"translation_field_clash: {_short(clashes)}" if clashes else None


def fields_rule(features: dict[str, Any], rows: list[dict[str, Any]], opts: PolicyOptions) -> str | None:
    """Counted as the crawl writes them: a Translation feature is one field per language."""
    count = len(flatten_names(features))
    return f"too_few_fields: {count}" if count < opts.min_fields else None


def rows_rule(features: dict[str, Any], sample: list[dict[str, Any]], opts: PolicyOptions) -> str | None:
    return None if sample else "no_rows"


def detected_language_rule(detected: str | None, opts: PolicyOptions) -> str | None:
    """For datasets whose card names no language: the language langdetect finds in the rows."""
    if detected is None:
        return "language_undetected"
    return None if detected in opts.languages else f"language_detected: {detected}"


RepoRule = Callable[[ListedDataset, PolicyOptions], "str | None"]
CardRule = Callable[[DatasetFacts, PolicyOptions], "str | None"]
ConfigRule = Callable[[dict[str, Any], list[dict[str, Any]], PolicyOptions], "str | None"]

REPO_RULES: dict[str, RepoRule] = {
    "disabled": disabled_rule,
    "private": private_rule,
    "gated": gated_rule,
    "benchmark": benchmark_rule,
}
CARD_RULES: dict[str, CardRule] = {
    "license": license_rule,
    "language": language_rule,
    "modality": modality_rule,
    "task_category": task_category_rule,
    "benchmark_source": benchmark_source_rule,
}
CONFIG_RULES: dict[str, ConfigRule] = {
    "media_feature": media_feature_rule,
    "translation_feature": translation_feature_rule,
    "fields": fields_rule,
    "rows": rows_rule,
}
RULE_NAMES = (*REPO_RULES, *CARD_RULES, *CONFIG_RULES, "detected_language")


def check_repo(ds: ListedDataset, opts: PolicyOptions) -> str | None:
    """The first reason the listing flags give to drop the dataset."""
    for name, rule in REPO_RULES.items():
        if name not in opts.disabled_rules and (reason := rule(ds, opts)):
            return reason
    return None


def check_card(facts: DatasetFacts, opts: PolicyOptions, only: tuple[str, ...] | None = None) -> str | None:
    """The first reason the card metadata gives (``only``: check just these rules)."""
    for name, rule in CARD_RULES.items():
        if (
            (only is None or name in only)
            and name not in opts.disabled_rules
            and (reason := rule(facts, opts))
        ):
            return reason
    return None


def check_config(features: dict[str, Any], rows: list[dict[str, Any]], opts: PolicyOptions) -> str | None:
    """The first reason a config's features and rows give."""
    for name, rule in CONFIG_RULES.items():
        if name not in opts.disabled_rules and (reason := rule(features, rows, opts)):
            return reason
    return None


def check_detected_language(detected: str | None, opts: PolicyOptions) -> str | None:
    if "detected_language" in opts.disabled_rules:
        return None
    return detected_language_rule(detected, opts)


def multilinguality(facts: DatasetFacts, features: dict[str, Any]) -> str:
    """``translation``, ``multilingual`` or ``english`` (monolingual in an allowed language)."""
    if "translation" in facts.multilinguality or feature_types(list(features.values())) & TRANSLATION_TYPES:
        return "translation"
    natural = [code for code in facts.languages if code != "code"]
    if "multilingual" in facts.multilinguality or len(natural) > 1:
        return "multilingual"
    return "english"
