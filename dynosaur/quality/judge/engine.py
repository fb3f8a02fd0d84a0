"""The judge behind any chat engine: one request per record, through the response cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dynosaur.contracts.judge_scores import RecordScore
from dynosaur.core.engines.base import Engine, EngineError, require_capability
from dynosaur.quality.judge.prompt import JudgementError, build_request, parse_judgement


class EngineJudge:
    """Scores records with a chat engine (wrap it in ``CachedEngine`` so reruns are free).

    The request asks for a JSON schema; the ``openai`` engine steps down to JSON mode and plain
    text when a server refuses it, and the answer is parsed leniently, as propose's answers are.
    """

    def __init__(self, engine: Engine, prompts_dir: str | Path | None = None) -> None:
        require_capability(engine, "chat", "the judge")
        self.engine = engine
        self.name = engine.name
        self.model = engine.model
        self.prompts_dir = prompts_dir

    async def score(self, task: dict[str, Any], record: dict[str, str]) -> RecordScore:
        """One record's score; ``EngineError`` when the engine fails or answers no score."""
        completion = await self.engine.complete(build_request(task, record, self.prompts_dir))
        try:
            score, reason = parse_judgement(completion.text)
        except JudgementError as exc:
            raise EngineError(str(exc)) from None
        return RecordScore(score, reason, completion.cache_key)

    async def aclose(self) -> None:
        await self.engine.aclose()
