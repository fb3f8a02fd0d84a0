"""Self-debiasing: steer next-token scores away from what counter instructions make likely.

For one step, let p be the next-token distribution under the label's instruction and q_1..q_n
the distributions under its counter labels' instructions. With Δ = p − max_i q_i (per token),
every token with Δ < 0 — one that some counter instruction makes more likely than the label's
own — is scaled by exp(λ·Δ), and the result is renormalized. λ (the decay constant, 100 in DINO)
sets how hard such tokens are pushed down; tokens with Δ ≥ 0 keep their relative odds.

The work is done in log space (log p + λ·min(Δ, 0), then log-softmax), so a large λ never
underflows to an all-zero distribution.

Batch layout: rows come in groups of ``group_size`` = 1 + number of counter labels — for each
main prompt, its counter prompts right after it. The processor writes the debiased
log-probabilities into the main row and copies them into its counter rows. Sampling one token per
group and feeding it to all the group's rows is the decoding loop's job
(``TransformersEngine.continue_prompts``): transformers' own ``generate()`` would sample every row
independently, and the counter rows would drift away from the text they are meant to judge.
"""

from __future__ import annotations

from typing import cast

import torch
from transformers import LogitsProcessor


def debias_log_probs(main: torch.Tensor, counters: torch.Tensor, decay_constant: float) -> torch.Tensor:
    """Debiased log-probabilities.

    ``main``: scores ``(..., vocab)`` under the label's instruction; ``counters``: scores
    ``(..., n, vocab)`` under its ``n`` counter instructions (any logits; they are normalized here).
    """
    main_log_p = torch.log_softmax(main.float(), dim=-1)
    counter_p = torch.softmax(counters.float(), dim=-1).amax(dim=-2)
    delta = main_log_p.exp() - counter_p
    return torch.log_softmax(main_log_p + decay_constant * delta.clamp(max=0.0), dim=-1)


def debias_probs(main_p: torch.Tensor, counter_ps: torch.Tensor, decay_constant: float) -> torch.Tensor:
    """The same rule on probabilities: ``main_p`` ``(vocab,)``, ``counter_ps`` ``(n, vocab)``."""
    return debias_log_probs(main_p.log(), counter_ps.log(), decay_constant).exp()


class SelfDebiasingLogitsProcessor(LogitsProcessor):
    """A ``transformers`` LogitsProcessor applying ``debias_log_probs`` to grouped rows."""

    def __init__(self, group_size: int, decay_constant: float = 100.0) -> None:
        if group_size < 1:
            raise ValueError("group_size must be at least 1")
        if decay_constant < 0:
            raise ValueError("decay_constant must not be negative")
        self.group_size = group_size
        self.decay_constant = decay_constant

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.group_size == 1:
            return scores
        rows, vocab = scores.shape
        if rows % self.group_size:
            raise ValueError(f"{rows} rows do not split into groups of {self.group_size}")
        grouped = scores.view(rows // self.group_size, self.group_size, vocab)
        debiased = debias_log_probs(grouped[:, 0], grouped[:, 1:], self.decay_constant)
        expanded = debiased.unsqueeze(1).expand(-1, self.group_size, -1)
        return cast(torch.FloatTensor, expanded.reshape(rows, vocab).to(scores.dtype))
