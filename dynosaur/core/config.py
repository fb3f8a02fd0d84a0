"""The one place that reads the environment: defaults for CLI options.

Deeper code receives explicit values (endpoints, tokens, base URLs) and never reads the
environment itself.
"""

from __future__ import annotations

import os
from typing import overload

DEFAULT_HUB_ENDPOINT = "https://huggingface.co"
DEFAULT_VIEWER_ENDPOINT = "https://datasets-server.huggingface.co"
DEFAULT_DATA_DIR = "instruction_data"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: str | None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with empty strings treated as unset."""
    value = os.environ.get(name)
    return value if value else default


def hub_endpoint() -> str:
    return env("HF_ENDPOINT", DEFAULT_HUB_ENDPOINT).rstrip("/")


def viewer_endpoint() -> str:
    return env("DYNOSAUR_VIEWER_ENDPOINT", DEFAULT_VIEWER_ENDPOINT).rstrip("/")


def hf_token() -> str | None:
    return env("HF_TOKEN")


def openai_base_url() -> str | None:
    return env("OPENAI_BASE_URL")


def openai_api_key() -> str | None:
    return env("OPENAI_API_KEY")


def openai_model() -> str:
    """The model asked for by default (``OPENAI_MODEL``, else gpt-4o-mini)."""
    return env("OPENAI_MODEL", DEFAULT_OPENAI_MODEL)
