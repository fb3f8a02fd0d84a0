"""Building the engine a command's options name — one place for every command.

The API key is read here (through ``dynosaur.config``) and handed to the engine; it never travels
through argparse, so it cannot show up in a ``--help`` default or an options dump.
"""

from __future__ import annotations

from pathlib import Path

from dynosaur import config
from dynosaur.engines import Engine, create_engine


def build_engine(
    name: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    concurrency: int = 8,
    timeout: float = 60.0,
    max_retries: int = 5,
    budget_usd: float | None = None,
    prices: str | Path | None = None,
) -> Engine:
    """The engine registered as ``name``; a clear ``ValueError`` when it cannot be started here."""
    if name == "openai":
        return create_engine(
            "openai",
            model=model or config.openai_model(),
            base_url=base_url,
            api_key=config.openai_api_key(),
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            budget_usd=budget_usd,
            prices=prices,
        )
    if name == "rules":
        return create_engine("rules")
    if name == "transformers" and not model:
        raise ValueError("--engine transformers needs --model (a local path or a model id in the HF cache)")
    try:
        return create_engine(name, model=model or config.openai_model())
    except (ImportError, TypeError) as exc:
        raise ValueError(f"engine {name!r} cannot be started here: {exc}") from exc
