"""core.fanout.ask_many: ordered outcomes, bounded in flight, failures kept, the budget stop."""

from __future__ import annotations

import asyncio

import pytest

from dynosaur.core.engines.base import BudgetExceeded, EngineError
from dynosaur.core.fanout import Outcome, ask_many


class Recorder:
    """An ``ask`` that answers after a few loop turns (later items sooner), counting what is in flight."""

    def __init__(self, fail: frozenset[int] = frozenset(), refuse_from: int | None = None) -> None:
        self.fail = fail
        self.refuse_from = refuse_from
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[int] = []

    async def __call__(self, item: int) -> str:
        if self.refuse_from is not None and item >= self.refuse_from:
            raise BudgetExceeded(f"budget reached at {item}")
        self.started.append(item)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(10 - item % 10):
                await asyncio.sleep(0)
            if item in self.fail:
                raise EngineError(f"no answer for {item}")
            return f"answer {item}"
        finally:
            self.in_flight -= 1


def test_outcomes_come_back_in_item_order_with_at_most_limit_in_flight() -> None:
    ask = Recorder()
    seen: list[int] = []
    asked = asyncio.run(ask_many(list(range(12)), ask, limit=3, on_outcome=lambda o: seen.append(o.index)))
    assert [o.value for o in asked.outcomes] == [f"answer {i}" for i in range(12)]
    assert asked.values() == [f"answer {i}" for i in range(12)] and asked.stopped is None
    assert ask.most_in_flight == 3 and ask.started == list(range(12))
    assert sorted(seen) == list(range(12)) and seen != list(range(12))  # progress as they finish


def test_a_failure_is_kept_with_its_reason_and_the_rest_go_on() -> None:
    asked = asyncio.run(ask_many(list(range(6)), Recorder(fail=frozenset({1, 4})), limit=2))
    assert [o.state for o in asked.outcomes] == ["done", "failed", "done", "done", "failed", "done"]
    assert [o.reason for o in asked.failures()] == ["no answer for 1", "no answer for 4"]
    assert isinstance(asked.outcomes[1].error, EngineError)


def test_the_budget_stop_skips_what_never_started_and_keeps_what_finished() -> None:
    ask = Recorder(refuse_from=4)
    settled: list[Outcome[int, str]] = []
    asked = asyncio.run(ask_many(list(range(10)), ask, limit=2, on_outcome=settled.append))
    assert asked.stopped == "budget reached at 4"
    assert [o.value for o in asked.outcomes[:4]] == ["answer 0", "answer 1", "answer 2", "answer 3"]
    assert all(o.skipped and o.reason.startswith("budget reached") for o in asked.outcomes[4:])
    assert isinstance(asked.outcomes[4].error, BudgetExceeded)
    assert ask.started == [0, 1, 2, 3] and len(settled) == 10  # nothing after the refusal started


def test_stop_if_reads_a_stop_off_a_result_and_stopped_skips_everything() -> None:
    asked = asyncio.run(
        ask_many([1, 2, 3, 4], Recorder(), limit=1, stop_if=lambda v: "enough" if v == "answer 2" else None)
    )
    assert [o.state for o in asked.outcomes] == ["done", "done", "skipped", "skipped"]
    assert asked.stopped == "enough" and asked.outcomes[3].reason == "enough"
    ask = Recorder()
    before = asyncio.run(ask_many([1, 2], ask, limit=4, stopped="spent already"))
    assert [o.reason for o in before.skipped()] == ["spent already"] * 2 and ask.started == []


def test_a_bug_propagates_and_an_empty_list_asks_nothing() -> None:
    async def buggy(item: int) -> int:
        raise KeyError(item)

    with pytest.raises(KeyError):
        asyncio.run(ask_many([1, 2, 3], buggy, limit=2))
    assert asyncio.run(ask_many([], buggy, limit=0)).outcomes == []
    # failures widens what counts as one item's failure
    caught = asyncio.run(ask_many([7], buggy, limit=1, failures=(KeyError,)))
    assert caught.outcomes[0].failed and caught.outcomes[0].reason == "7"
