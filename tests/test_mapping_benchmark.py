"""The rules engine against PromptSource's human-written original tasks (bench/mappings.py).

Runs only where the shared corpus is (a fresh clone has no ``../shared``): real cards and schemas
are crawled through the mirror, proposed with ``--engine rules`` and scored as the benchmark does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.mappings import CORPUS, ROOT, crawl_schemas, load_gold, propose, score

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason=f"no PromptSource corpus at {CORPUS}")


def test_rules_engine_proposes_the_mappings_people_wrote(tmp_path: Path) -> None:
    crawl_dir = crawl_schemas(tmp_path)
    metadata = [json.loads(x) for x in (crawl_dir / "huggingface_metadata.jsonl").read_text().splitlines()]
    result = score(propose(ROOT, crawl_dir, tmp_path / "run"), metadata, load_gold(CORPUS))
    assert result.gold >= 50  # the fixtures cover enough of the corpus to measure
    assert result.precision >= 0.9, result.wrong
    assert result.recall >= 0.6
