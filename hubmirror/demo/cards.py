"""Dataset cards for the demo Hub: YAML front matter in the Hub's format and a markdown body."""

from __future__ import annotations

from typing import Any

_LICENSE_NAMES = {
    "apache-2.0": "Apache License 2.0",
    "mit": "MIT License",
    "cc-by-4.0": "Creative Commons Attribution 4.0",
    "cc-by-sa-4.0": "Creative Commons Attribution-ShareAlike 4.0",
    "cc-by-nc-nd-4.0": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
    "cc0-1.0": "Creative Commons Zero 1.0 (public domain dedication)",
}
_LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}


def yaml_dtype(feature: Any) -> Any:
    """A Features.to_dict() feature as the card's ``dataset_info.features`` writes its type."""
    if isinstance(feature, dict) and "_type" in feature:
        kind = feature["_type"]
        if kind == "Value":
            return feature["dtype"]
        if kind == "ClassLabel":
            return {"class_label": {"names": {str(i): name for i, name in enumerate(feature["names"])}}}
        if kind == "Translation":
            return {"translation": {"languages": list(feature["languages"])}}
        if kind in ("Image", "Audio"):
            return kind.lower()
    return None


def yaml_feature(name: str, feature: Any) -> dict[str, Any]:
    """One entry of ``dataset_info.features`` (lists and structs nest the way ``datasets`` writes them)."""
    if isinstance(feature, dict) and feature.get("_type") in ("List", "Sequence"):
        inner = feature["feature"]
        return {"name": name, "list": yaml_dtype(inner) if "_type" in inner else _struct(inner)}
    if isinstance(feature, dict) and "_type" not in feature:
        return {"name": name, "struct": _struct(feature)}
    return {"name": name, "dtype": yaml_dtype(feature)}


def _struct(fields: dict[str, Any]) -> list[dict[str, Any]]:
    return [yaml_feature(n, f) for n, f in fields.items()]


def dataset_info_yaml(configs: dict[str, dict[str, dict[str, Any]]]) -> Any:
    """``dataset_info`` for the card: one mapping, or a list of them with several configs."""
    infos = []
    for config, splits in configs.items():
        first = next(iter(splits.values()))
        info: dict[str, Any] = {"features": [yaml_feature(n, f) for n, f in first["features"].items()]}
        if len(configs) > 1:
            info = {"config_name": config, **info}
        info["splits"] = [{"name": s, "num_examples": len(spec["rows"])} for s, spec in splits.items()]
        infos.append(info)
    return infos[0] if len(infos) == 1 else infos


def configs_yaml(configs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The card's ``configs`` section: where each split's data files live."""
    return [
        {
            "config_name": config,
            "data_files": [
                {"split": s, "path": f"{config}/{s}-*" if len(configs) > 1 else f"data/{s}-*"} for s in splits
            ],
        }
        for config, splits in configs.items()
    ]


def size_category(rows: int) -> str:
    return "n<1K" if rows < 1000 else "1K<n<10K"


def card_body(
    *,
    title: str,
    summary: str,
    tasks: str,
    fields: dict[str, str],
    license_: str | None,
    languages: list[str] | None,
    configs: dict[str, dict[str, dict[str, Any]]],
    html: bool = False,
) -> str:
    """The markdown of a card, with the sections the crawler reads."""
    split_rows = [
        f"| {c} | {s} | {len(spec['rows'])} |" for c, splits in configs.items() for s, spec in splits.items()
    ]
    if languages:
        language_text = ", ".join(_LANGUAGE_NAMES.get(code, code) for code in languages) + "."
    else:
        language_text = "Not documented."
    license_text = _LICENSE_NAMES.get(license_ or "", "No license has been declared for this dataset.")
    intro = f'<p align="center"><img src="banner.png" alt="{title}" width="400"/></p>\n\n' if html else ""
    summary_text = f"<p>{summary}</p>" if html else summary
    field_lines = "\n".join(f"- `{name}`: {text}" for name, text in fields.items())
    return (
        f"# Dataset Card for {title}\n\n{intro}"
        f"## Dataset Summary\n\n{summary_text}\n\n"
        f"### Supported Tasks and Leaderboards\n\n{tasks}\n\n"
        f"### Languages\n\n{language_text}\n\n"
        f"## Dataset Structure\n\n### Data Fields\n\n{field_lines}\n\n"
        "### Data Splits\n\n| config | split | rows |\n| --- | --- | --- |\n" + "\n".join(split_rows) + "\n\n"
        f"## Additional Information\n\n### Licensing Information\n\n{license_text}\n"
    )
