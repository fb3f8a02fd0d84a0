"""Asking many: one request (or one small job) per item, a bounded number in flight at once.

``ask_many`` is the loop every stage that talks to an engine runs:

- items start in their own order, at most ``limit`` at a time; the outcomes come back in item
  order, whatever order they finished in;
- a failure of one item (``EngineError`` by default) is caught and kept on its outcome with a
  reason; the other items go on, and nothing already finished is lost;
- a budget stop: once an item raises ``BudgetExceeded`` (the engine's accounting refused the next
  call), or ``stop_if`` reads a stop reason off a result, no further item starts; items already
  in flight finish, and every item that never started is marked skipped with the reason;
- ``on_outcome`` is called once per item as it settles (progress bars, results kept as they
  arrive, so an interrupted run still has them).

It knows no stage and no engine beyond the two exception types: what to ask and what an answer
means stay with the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from dynosaur.core.engines.base import BudgetExceeded, EngineError

T = TypeVar("T")
R = TypeVar("R")

State = Literal["done", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What became of one item: its answer, or why it has none."""

    index: int
    item: T
    state: State
    value: R | None = None
    reason: str = ""  # why it failed or was skipped ("" when done)
    error: BaseException | None = None  # the exception a failed or refused item raised

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def skipped(self) -> bool:
        return self.state == "skipped"


@dataclass(frozen=True)
class Asked(Generic[T, R]):
    """Every item's outcome, in item order, and why submitting stopped early (None if it did not)."""

    outcomes: list[Outcome[T, R]]
    stopped: str | None = None

    def values(self) -> list[R]:
        """The answers of the items that are done, in item order."""
        return [o.value for o in self.outcomes if o.done]  # type: ignore[misc]

    def failures(self) -> list[Outcome[T, R]]:
        return [o for o in self.outcomes if o.failed]

    def skipped(self) -> list[Outcome[T, R]]:
        return [o for o in self.outcomes if o.skipped]


async def ask_many(
    items: Sequence[T],
    ask: Callable[[T], Awaitable[R]],
    *,
    limit: int,
    on_outcome: Callable[[Outcome[T, R]], object] | None = None,
    failures: tuple[type[BaseException], ...] = (EngineError,),
    stop_if: Callable[[R], str | None] | None = None,
    stopped: str | None = None,
) -> Asked[T, R]:
    """Run ``ask`` on every item, at most ``limit`` at once; see the module docstring.

    ``failures`` are the exception types kept as an item's failure (any other exception is a bug:
    it propagates, and the items still in flight are cancelled). ``stopped`` starts the run
    already stopped (every item is skipped with that reason).
    """
    settled: dict[int, Outcome[T, R]] = {}
    stop: list[str] = [stopped] if stopped else []
    pending = iter(range(len(items)))

    def settle(outcome: Outcome[T, R]) -> None:
        settled[outcome.index] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    async def worker() -> None:
        for index in pending:
            if stop:
                return
            item = items[index]
            try:
                value = await ask(item)
            except BudgetExceeded as exc:
                stop.append(str(exc))
                settle(Outcome(index, item, "skipped", reason=str(exc), error=exc))
                return
            except failures as exc:
                settle(Outcome(index, item, "failed", reason=str(exc), error=exc))
                continue
            settle(Outcome(index, item, "done", value=value))
            why = stop_if(value) if stop_if is not None else None
            if why:
                stop.append(why)
                return

    workers = max(1, min(limit, len(items)))
    if items and not stop:
        tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)
        finally:  # a bug in one item (or a cancelled run) stops the others too
            for task in tasks:
                task.cancel()
    reason = stop[0] if stop else None
    for index, item in enumerate(items):
        if index not in settled:
            settle(Outcome(index, item, "skipped", reason=reason or "not asked"))
    return Asked([settled[index] for index in range(len(items))], reason)
