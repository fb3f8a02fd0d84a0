"""The dataset card (README.md) of a published Dynosaur release, written from its manifest."""

from __future__ import annotations

from typing import Any

from huggingface_hub import DatasetCardData

from dynosaur.contracts.manifest import Manifest

CITATION = """@inproceedings{yin2023dynosaur,
  title     = {Dynosaur: A Dynamic Growth Paradigm for Instruction-Tuning Data Curation},
  author    = {Yin, Da and Liu, Xiao and Yin, Fan and Zhong, Ming and Bansal, Hritik and Han, Jiawei and Chang, Kai-Wei},
  booktitle = {Proceedings of the 2023 Conference on Empirical Methods in Natural Language Processing},
  year      = {2023}
}"""

ABOUT = (
    "Dynosaur turns what already exists on the Hugging Face Hub into instruction-tuning data. A crawler "
    "gathers the metadata, licenses and sample rows of English, permissively licensed, text datasets; "
    "a language model reads each dataset's metadata and proposes tasks (an instruction, the input "
    "fields and the output field); the valid tasks are applied to the dataset's rows to make "
    "`instruction` / `input` / `output` records, each tagged with the license and page of its source. "
    "The collection grows as the Hub grows: each new version adds what is new or changed on the Hub "
    "and drops what vanished."
)

_SIZES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def size_category(records: int) -> str:
    """The Hub's ``size_categories`` value for a number of records."""
    for bound, name in _SIZES:
        if records < bound:
            return name
    return "n>1B"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def languages(manifest: Manifest) -> list[str]:
    found = {str(lang) for source in manifest.sources.values() for lang in source.get("languages") or []}
    return sorted(found | {"en"})


def front_matter(manifest: Manifest, pretty_name: str) -> str:
    """The card's YAML metadata: licenses, languages, task category, size, configs, name."""
    data = DatasetCardData(
        license=manifest.licenses,
        language=languages(manifest),
        task_categories=["text-generation"],
        tags=["instruction-tuning", "dynosaur"],
        size_categories=[size_category(manifest.records)],
        pretty_name=pretty_name,
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
    )
    return f"---\n{data.to_yaml()}\n---\n"


def _license_policy(manifest: Manifest) -> list[str]:
    """What the crawl kept: its license policy by name, with its overrides and the splits read."""
    policy = manifest.crawl_policy.get("license_policy")
    if not isinstance(policy, dict) or not policy.get("name"):
        return []
    lines = [
        "",
        f"Sources were kept under the crawl's `{policy['name']}` license policy: "
        f"{policy.get('description') or 'see the crawl settings'}.",
    ]
    for key, verb in (("allow_licenses", "kept whatever the policy"), ("deny_licenses", "dropped")):
        if policy.get(key):
            lines[-1] += f" Also {verb}: {', '.join(f'`{x}`' for x in policy[key])}."
    splits = manifest.crawl_policy.get("splits")
    if isinstance(splits, list) and splits:
        lines[-1] += f" Rows come from the {' or '.join(f'`{s}`' for s in splits)} split of each source."
    return lines


def _sources_table(manifest: Manifest) -> list[str]:
    lines = [
        "| dataset | config | license | Hub revision | tasks | records |",
        "| --- | --- | --- | --- | ---: | ---: |",
    ]
    for name, source in sorted(manifest.sources.items()):
        dataset = source.get("dataset") or name
        link = f"[{_cell(dataset)}]({source['website']})" if source.get("website") else _cell(dataset)
        revision = str(source.get("revision") or "")[:12]
        lines.append(
            f"| {link} | {_cell(source.get('config') or '')} | {_cell(source.get('license') or '')} "
            f"| `{revision}` | {source.get('tasks', 0)} | {source.get('records', 0)} |"
        )
    return lines


def _generation(manifest: Manifest) -> list[str]:
    lines = []
    for entry in manifest.generation:
        parts = [f"engine `{entry.get('engine') or '?'}`"]
        if entry.get("model"):
            parts.append(f"model `{entry['model']}`")
        if entry.get("source"):
            parts.append(f"mode `{entry['source']}`")
        if entry.get("prompts_version"):
            parts.append(f"prompts version `{entry['prompts_version']}`")
        lines.append(f"- {', '.join(parts)}: {entry.get('tasks', 0)} valid tasks")
    if not lines:
        lines.append("- no task provenance was found (tasks.jsonl absent)")
    if manifest.crawled_at:
        lines.append(f"- Hub crawled: {manifest.crawled_at} (each source's revision is in the table above)")
    if manifest.organize:
        settings = ", ".join(f"{k}={v}" for k, v in manifest.organize.items())
        lines.append(f"- organize settings: {settings}")
    return lines


def _decontamination(manifest: Manifest) -> list[str]:
    """What the records were checked against, and how many each benchmark removed."""
    info = manifest.decontamination
    if not info:
        return ["These records were not checked against evaluation benchmarks."]
    lines = [
        f"Records overlapping evaluation benchmarks were removed before release: a record with at least "
        f"{info.get('threshold')} {info.get('n')}-gram(s) in common with a benchmark's rows "
        f"({info.get('method', '')}) was dropped, {info.get('records_removed', 0)} records in all.",
        "",
        "| benchmark | Hub revision | checked | records removed |",
        "| --- | --- | --- | ---: |",
    ]
    for entry in info.get("benchmarks") or []:
        revision = str(entry.get("revision") or "")[:12]
        if entry.get("status") == "skipped":
            checked = f"not checked: {_cell(entry.get('reason') or 'unavailable')}"
            removed = "-"
        else:
            checked = ", ".join(_cell(part.split(":", 1)[-1]) for part in entry.get("parts") or [])
            removed = str(entry.get("removed", 0))
        lines.append(f"| {_cell(entry.get('benchmark', ''))} | `{revision}` | {checked} | {removed} |")
    return lines


def _changelog(manifest: Manifest) -> list[str]:
    lines = []
    for entry in manifest.changelog:
        lines.append(f"### {entry['version']} ({entry.get('date', '')})")
        lines.append("")
        lines.append(
            f"{entry.get('records', 0)} records"
            + (f"; changes since {entry['previous']}:" if entry.get("previous") else "; first release.")
        )
        for kind in ("added", "changed", "removed"):
            names = entry.get(kind) or []
            if names and (entry.get("previous") or kind != "added"):
                lines.append(f"- {kind} ({len(names)}): {', '.join(names)}")
        lines.append("")
    return lines


def _versions(manifest: Manifest) -> list[str]:
    """How to load this version later: every version is a git tag named as the version."""
    if not manifest.repo_id:
        return []
    return [
        f"Every version is a git tag of this repo named as the version, so this one stays loadable "
        f'after later releases: `load_dataset("{manifest.repo_id}", revision="{manifest.version}", '
        'split="train")`. The changelog below lists every version.',
        "",
    ]


def _quality(manifest: Manifest) -> list[str]:
    """The judge that scored the tasks, its measured agreement, the score distribution, the report."""
    lines: list[str] = []
    judge = manifest.judge
    if judge:
        who = f"`{judge.get('judge')}`" + (f" (`{judge['model']}`)" if judge.get("model") else "")
        lines.append(
            f"Every task was scored 1-5 by the {who} judge on {judge.get('records_per_task')} of its records "
            f"(does the output follow from the instruction and the input?): {judge.get('tasks_scored')} "
            f"tasks, mean score {judge.get('mean_score')}."
        )
        lines += ["", "| score | 1 | 2 | 3 | 4 | 5 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
        spread = judge.get("score_distribution") or {}
        lines.append("| tasks | " + " | ".join(str(spread.get(str(k), 0)) for k in range(1, 6)) + " |")
        lines.append("")
        agreement = judge.get("agreement")
        if agreement:
            lines.append(
                f"Measured agreement of this judge with labels on {agreement.get('tasks')} tasks over real "
                f"dataset schemas ({agreement.get('good')} good mappings, {agreement.get('bad')} planted "
                f"corruptions), a task counted as flawed below score {agreement.get('threshold')}: "
                f"precision {agreement.get('precision'):.2f}, recall {agreement.get('recall'):.2f}, "
                f"Cohen's kappa {agreement.get('kappa'):.2f}."
            )
        else:
            lines.append("This judge's agreement with labelled tasks has not been measured.")
        lines.append("")
    if manifest.report:
        lines += [
            f"[{manifest.report}]({manifest.report}) shows the records per source, license and task type, "
            "the instructions' verbs and nouns, lengths, every rejection reason, the judge scores and "
            "sampled records (download it and open it in a browser; it needs no network).",
            "",
        ]
    return ["## Quality", "", *lines] if lines else []


def render_card(manifest: Manifest, pretty_name: str | None = None) -> str:
    """The full README.md of a release."""
    name = pretty_name or (
        f"Dynosaur instructions ({manifest.repo_id})" if manifest.repo_id else "Dynosaur instructions"
    )
    load = (
        f'load_dataset("{manifest.repo_id}", split="train")'
        if manifest.repo_id
        else 'load_dataset("parquet", data_files="data/train-*.parquet", split="train")'
    )
    body = [
        front_matter(manifest, name).rstrip("\n"),
        "",
        f"# {name}",
        "",
        ABOUT,
        "",
        f"Version **{manifest.version}** ({manifest.date}): {manifest.records} records from {manifest.tasks} "
        f"tasks over {len(manifest.sources)} source dataset-configs.",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f"records = {load}",
        "```",
        "",
        *_versions(manifest),
        "## Records",
        "",
        "Each record is `{instruction, input, output, license, website, taskname}` (Dynosaur's shape), "
        "then `split` and `row_idx`: `taskname` is the source dataset (`<repo id>` or `<repo id>-<config>`), "
        "`license` is the source's and `website` its public page on the Hub, `split` and `row_idx` the "
        "split (train, else validation) and row of the source the record was made from. Several fields of a row are rendered as one `<field> is '<value>'.` line each; answer "
        "options as `A. '...', B. '...'`. Classification instructions end with their label space.",
        "",
        "## Licenses",
        "",
        "This collection has no single license: every record carries the license of the dataset it came "
        f"from ({', '.join(manifest.licenses) or 'none'}). Use each record under its source's terms.",
        *_license_policy(manifest),
        "",
        "## Decontamination",
        "",
        *_decontamination(manifest),
        "",
        "## Sources",
        "",
        *_sources_table(manifest),
        "",
        *_quality(manifest),
        "## Generation settings",
        "",
        *_generation(manifest),
        "",
        "## Changelog",
        "",
        *_changelog(manifest),
        "## Citation",
        "",
        "Cite Dynosaur, and the source datasets whose records you use (see their pages above).",
        "",
        "```bibtex",
        CITATION,
        "```",
        "",
    ]
    return "\n".join(body)
