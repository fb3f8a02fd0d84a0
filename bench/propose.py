"""What task proposal costs: calls, prompt characters, tokens and dollars per dataset-config.

Generates metadata lines of six kinds (classification, NLI, extractive QA, summarization,
multiple choice, translation) with card sections and cells of realistic, varied lengths, then runs
`propose` through the real openai engine against a loopback scripted server (answers are the rules
engine's, so every answer parses) and once more to show the cache. Prompt characters are those of
the rendered messages; tokens are estimated at 4 characters each (the server reports the same).
Reference ratios: the compact rendering against a plain JSON dump of the metadata line, and the
rerun's calls against the first run's.

    python bench/propose.py [--configs 120] [--scale 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dynosaur.contracts.artifacts import RESPONSE_CACHE_FILE  # noqa: E402
from dynosaur.core.engines import ChatRequest, create_engine  # noqa: E402
from dynosaur.core.engines.accounting import price_for  # noqa: E402
from dynosaur.core.engines.batch import BatchEngine, BatchSettings  # noqa: E402
from dynosaur.core.engines.opening import cached  # noqa: E402
from dynosaur.hub.propose.prompt import MODES, build_request  # noqa: E402
from dynosaur.hub.propose.run import ProposeOptions, ProposeSummary, propose  # noqa: E402
from tests.support.openai_server import Reply, ScriptedOpenAIServer  # noqa: E402

S = {"dtype": "string", "_type": "Value"}
I32 = {"dtype": "int32", "_type": "Value"}
WORDS = [
    "the",
    "harbour",
    "council",
    "market",
    "river",
    "station",
    "museum",
    "bridge",
    "review",
    "film",
    "story",
    "season",
    "player",
    "court",
    "ruling",
    "patient",
    "study",
    "result",
    "price",
    "vote",
    "league",
    "album",
    "engine",
    "garden",
    "recipe",
]
MODEL = "gpt-4o-mini"


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _card(rng: random.Random, kind: str) -> dict:
    return {
        "summary": _text(rng, rng.choice([0, 40, 120, 400])) if rng.random() > 0.2 else "",
        "supported_task": _text(rng, 30) if rng.random() > 0.5 else "",
        "data_fields": _text(rng, rng.choice([20, 80, 200])) if rng.random() > 0.4 else "",
        "task_category": [kind],
        "task_ids": [],
    }


def _features_and_rows(kind: str, rng: random.Random) -> tuple[dict, list]:
    if kind == "classification":
        labels = (
            ["negative", "positive"] if rng.random() > 0.5 else ["world", "sports", "business", "science"]
        )
        feats = {"text": S, "label": {"names": labels, "_type": "ClassLabel"}, "idx": I32}
        rows = [
            {"text": _text(rng, rng.randint(10, 200)), "label": rng.choice(labels), "idx": i}
            for i in range(2)
        ]
    elif kind == "nli":
        labels = ["entailment", "neutral", "contradiction"]
        feats = {"premise": S, "hypothesis": S, "label": {"names": labels, "_type": "ClassLabel"}}
        rows = [
            {"premise": _text(rng, 25), "hypothesis": _text(rng, 8), "label": rng.choice(labels)}
            for _ in range(2)
        ]
    elif kind == "qa":
        feats = {
            "id": S,
            "title": S,
            "context": S,
            "question": S,
            "answers": {"feature": {"text": S, "answer_start": I32}, "_type": "Sequence"},
        }
        rows = [
            {
                "id": f"{rng.getrandbits(64):x}",
                "title": _text(rng, 3),
                "context": _text(rng, 150),
                "question": _text(rng, 9) + "?",
                "answers": {"text": [_text(rng, 3)], "answer_start": [10]},
            }
            for _ in range(2)
        ]
    elif kind == "summarization":
        feats = {"article": S, "highlights": S, "id": S}
        rows = [
            {"article": _text(rng, 700), "highlights": _text(rng, 40), "id": f"{rng.getrandbits(64):x}"}
            for _ in range(2)
        ]
    elif kind == "multiple_choice":
        feats = {
            "question": S,
            "choices": {"feature": S, "_type": "List"},
            "answerKey": {"names": ["A", "B", "C", "D"], "_type": "ClassLabel"},
        }
        rows = [
            {"question": _text(rng, 15) + "?", "choices": [_text(rng, 4) for _ in range(4)], "answerKey": "B"}
            for _ in range(2)
        ]
    else:
        feats = {"translation": {"languages": ["de", "en"], "_type": "Translation"}}
        rows = [{"translation": {"de": _text(rng, 20), "en": _text(rng, 20)}} for _ in range(2)]
    return feats, rows


KINDS = ("classification", "nli", "qa", "summarization", "multiple_choice", "translation")


def generate(count: int, seed: int = 0) -> list[dict]:
    """``count`` metadata lines, kinds in turn, deterministic."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        features, rows = _features_and_rows(kind, rng)
        name = f"bench-org/{kind}-{i:04d}"
        lines.append(
            {
                "task_name": name,
                "dataset": name,
                "config": "default",
                "split": "train",
                "revision": "r",
                "license": "mit",
                "website": "",
                "languages": ["en"],
                "multilinguality": "english",
                **_card(rng, kind),
                "features": features,
                "selected_data": rows,
                "_kind": kind,
            }
        )
    return lines


def _rules_answer(body: dict, lines_by_name: dict[str, dict], prefix_cache: bool = False) -> Reply:
    last = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
    name = json.loads(last.split("\n")[1].removeprefix("name: "))
    mode = "aware" if "description:" in last or "task categories:" in last else "unaware"
    engine = create_engine("rules")
    request = ChatRequest.of(
        [], context={"kind": "propose", "mode": mode, "metadata": lines_by_name[name], "max_tasks": 3}
    )
    text = asyncio.run(engine.complete(request)).text
    if not prefix_cache:
        return Reply(content=text)
    # what a prefix-caching server (OpenAI caches prompts of 1,024 tokens and more) reports: the
    # fixed system prompt and demonstrations, everything before the dataset's own message
    prefix = "".join(m.get("content") or "" for m in body["messages"][:-1])
    return Reply(content=text, cached_tokens=max(1, len(prefix) // 4))


def _priced_run(lines: list[dict], by_name: dict[str, dict], how: str) -> ProposeSummary:
    """One propose run on fresh files, answered normally, by a prefix-caching server, or in a batch."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedOpenAIServer(
            lambda b: _rules_answer(b, by_name, prefix_cache=how == "prefix-cached")
        ) as server,
    ):
        data = Path(tmp)
        with open(data / "huggingface_metadata.jsonl", "w") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")
        engine = create_engine(
            "openai", model=MODEL, base_url=server.base_url, api_key="bench", concurrency=8
        )
        if how == "batch":
            settings = BatchSettings(
                poll_initial=0.05, gather_window=0.1, progress=False, log=lambda text: None
            )
            engine = BatchEngine(engine, settings)
        with cached(engine, data / RESPONSE_CACHE_FILE) as engine:
            summary = propose(data, engine, ProposeOptions(progress=False))
        if how == "batch":
            assert server.calls == 0 and server.batches.created == 1, "the batch run made normal calls"
        return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--configs", type=int, default=120)
    parser.add_argument("--scale", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()

    lines = generate(args.configs)
    by_name = {line["task_name"]: line for line in lines}

    # prompt characters per dataset-config, by kind and mode, straight from the rendered messages
    chars: dict[tuple[str, str], list[int]] = defaultdict(list)
    prefix_chars: dict[str, int] = {}
    compact_vs_dump: list[float] = []
    for line in lines:
        for mode in MODES:
            messages = build_request(line, mode).messages
            chars[(line["_kind"], mode)].append(sum(len(m["content"]) for m in messages))
            prefix_chars[mode] = sum(len(m["content"]) for m in messages[:-1])
            if mode == "aware":
                dump = {k: v for k, v in line.items() if k != "_kind"}
                compact_vs_dump.append(
                    len(messages[-1]["content"]) / len(json.dumps(dump, ensure_ascii=False))
                )

    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedOpenAIServer(lambda b: _rules_answer(b, by_name)) as server,
    ):
        data = Path(tmp)
        with open(data / "huggingface_metadata.jsonl", "w") as handle:
            for line in lines:
                handle.write(json.dumps(line) + "\n")
        runs = []
        for _ in range(2):
            engine = create_engine(
                "openai", model=MODEL, base_url=server.base_url, api_key="bench", concurrency=8
            )
            with cached(engine, data / RESPONSE_CACHE_FILE) as engine:
                start = time.perf_counter()
                summary = propose(data, engine, ProposeOptions(progress=False))
                runs.append((summary, time.perf_counter() - start, server.calls))

    first, first_s, first_calls = runs[0]
    second, second_s, total_calls = runs[1]
    configs = first.configs
    print(
        f"propose bench: {configs} generated dataset-configs x {len(MODES)} modes, engine openai ({MODEL}) "
        "against a loopback scripted server"
    )
    print()
    print("| kind | mode | calls per config | prompt chars per config (mean) | max |")
    print("| --- | --- | ---: | ---: | ---: |")
    for kind in KINDS:
        for mode in MODES:
            values = chars[(kind, mode)]
            print(f"| {kind} | {mode} | 1 | {statistics.mean(values):,.0f} | {max(values):,} |")
    all_chars = [v for values in chars.values() for v in values]
    per_config_chars = sum(all_chars) / configs
    print()
    print(
        f"fixed prefix (system + demonstrations): aware {prefix_chars['aware']:,} chars, "
        f"unaware {prefix_chars['unaware']:,} chars = {sum(prefix_chars.values()) / per_config_chars:.0%} "
        "of each config's prompt characters"
    )
    print(
        f"compact rendering vs a JSON dump of the metadata line: {statistics.mean(compact_vs_dump):.2f}x "
        f"(median {statistics.median(compact_vs_dump):.2f}x)"
    )

    price = price_for(MODEL)  # the genai-prices table's OpenAI price
    calls_per_config = first.engine_calls / configs
    in_tokens = first.prompt_tokens / configs
    out_tokens = first.completion_tokens / configs
    prefix_tokens = sum(prefix_chars.values()) / 4
    cost = price.cost(in_tokens, out_tokens)
    cost_cached = price.cost(in_tokens, out_tokens, cached_tokens=prefix_tokens)
    print(
        f"first run: {first.engine_calls} calls ({calls_per_config:.2f} per config), "
        f"{first.prompt_chars:,} prompt chars, {first.prompt_tokens:,} in / {first.completion_tokens:,} out tokens, "
        f"${first.cost_usd:.4f}, {first_s:.2f} s ({first_s / max(first.engine_calls, 1) * 1000:.1f} ms per call)"
    )
    print(
        f"rerun: {second.engine_calls} calls, {second.cache_hits} cache hits, {second_s:.2f} s; "
        f"rerun/first calls = {second.engine_calls / max(first.engine_calls, 1):.2f}x "
        f"(server saw {total_calls - first_calls} new requests)"
    )
    rejected = ", ".join(f"{n} {kind}" for kind, n in first.rejected.most_common()) or "none"
    print(
        f"valid tasks: {sum(first.valid.values())} of {sum(first.proposed.values())} proposed (rejected: {rejected})"
    )
    print()
    print(
        f"what a run costs with {MODEL} (${price.input}/1M in, ${price.output}/1M out; "
        f"prefix-cached input ${price.rates()[1]}/1M):"
    )
    print(
        "| dataset-configs | calls | prompt chars | est. input tokens | est. output tokens | cost | with prefix cache |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.scale:
        print(
            f"| {n:,} | {calls_per_config * n:,.0f} | {per_config_chars * n:,.0f} | {in_tokens * n:,.0f} | "
            f"{out_tokens * n:,.0f} | ${cost * n:,.2f} | ${cost_cached * n:,.2f} |"
        )

    # measured: the same configs priced by the engine from what the server reported
    print()
    print(f"cost per 1,000 dataset-configs, measured through the engine ({MODEL}):")
    print("| calls | cost per 1,000 configs | vs normal |")
    print("| --- | ---: | ---: |")
    normal = None
    for how in ("normal", "prefix-cached", "batch"):
        run = _priced_run(lines, by_name, how)
        per_1000 = (run.cost_usd or 0.0) / run.configs * 1000
        normal = normal or per_1000
        print(f"| {how} | ${per_1000:.3f} | {per_1000 / normal:.2f}x |")


if __name__ == "__main__":
    main()
