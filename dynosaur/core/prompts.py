"""Prompt templates as data: Jinja2 files in the repository's ``prompts/`` folder.

A regular install reads the copy the wheel carries inside the package; a source checkout or an
editable install reads the checkout's ``prompts/`` (see ``dynosaur.core.resources``).

Templates render with ``StrictUndefined`` (a missing variable is an error, not an empty string)
and without HTML escaping. Data files beside them (demonstrations, ``.yaml``/``.json``) load with
``load_data``; ``prompts/VERSION`` names the prompt set, recorded in every artifact's provenance,
so a prompt change is visible downstream without a code change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from dynosaur.core import resources
from dynosaur.core.errors import DynosaurError


class PromptError(DynosaurError, ValueError):
    """A template or data file is missing or does not render."""


def default_prompts_dir() -> Path:
    """The prompt templates in use when no folder is given: the packaged copy, else the checkout's."""
    try:
        return resources.data_dir("prompts")
    except resources.ResourceNotFound as exc:
        raise PromptError(str(exc)) from exc


def __getattr__(name: str) -> Any:
    # PROMPTS_DIR is looked up when used, so a missing folder is a PromptError, not an import error.
    if name == "PROMPTS_DIR":
        return default_prompts_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=8)
def _environment(directory: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_compact"] = to_compact_json
    return env


def to_compact_json(value: Any) -> str:
    """JSON on one line, readable UTF-8, keys in their given order (a Jinja filter too)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _dir(directory: str | Path | None) -> Path:
    return Path(directory) if directory is not None else default_prompts_dir()


def render(template: str, directory: str | Path | None = None, /, **variables: Any) -> str:
    """Render ``template`` (e.g. ``"propose_aware.jinja"``) with ``variables``; stripped.

    ``template`` and ``directory`` are positional, so any variable name is free for templates.
    """
    env = _environment(str(_dir(directory)))
    try:
        return env.get_template(template).render(**variables).strip()
    except jinja2.TemplateNotFound as exc:
        raise PromptError(f"prompt template {template!r} not found in {_dir(directory)}") from exc
    except jinja2.UndefinedError as exc:
        raise PromptError(f"prompt template {template!r}: {exc.message}") from exc


def defuse_tags(text: str, tags: Iterable[str]) -> str:
    """``text`` with every opening or closing tag named in ``tags`` (any case, with spaces or
    attributes: ``</Output >``, ``< output x>``) made inert: its ``<`` becomes ``&lt;``, so data
    cannot end or start the block a template wraps it in."""
    names = "|".join(re.escape(tag) for tag in tags)
    return re.sub(rf"<(?=\s*/?\s*(?:{names})\b)", "&lt;", text, flags=re.IGNORECASE) if names else text


def load_data(name: str, directory: str | Path | None = None) -> Any:
    """Load a ``.yaml``/``.yml``/``.json`` data file (e.g. demonstrations) from the prompts folder."""
    path = _dir(directory) / name
    if not path.is_file():
        raise PromptError(f"prompt data file {name!r} not found in {path.parent}")
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise PromptError(f"prompt data file {name!r} does not parse: {exc}") from exc


def prompts_version(directory: str | Path | None = None) -> str:
    """The prompt set's version (first line of ``prompts/VERSION``)."""
    path = _dir(directory) / "VERSION"
    if not path.is_file():
        raise PromptError(f"{path} is missing")
    return path.read_text(encoding="utf-8").strip().splitlines()[0].strip()


def chat(system: str, shots: list[tuple[str, str]], user: str) -> list[dict[str, str]]:
    """Chat messages: the system prompt, few-shot (user, assistant) turns, then the query.

    The fixed part comes first so servers with prefix caching can reuse it across requests.
    """
    messages = [{"role": "system", "content": system}]
    for shot_user, shot_assistant in shots:
        messages.append({"role": "user", "content": shot_user})
        messages.append({"role": "assistant", "content": shot_assistant})
    messages.append({"role": "user", "content": user})
    return messages
