"""Self-debiasing math on hand-built distributions, and the processor's batch layout."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="self-debiasing needs the local extra: pip install '.[local]'")
pytest.importorskip("transformers", reason="self-debiasing needs the local extra: pip install '.[local]'")

from dynosaur.core.engines.debias import (  # noqa: E402  (needs torch)
    SelfDebiasingLogitsProcessor,
    debias_log_probs,
    debias_probs,
)


def _expected(p: list[float], counters: list[list[float]], decay: float) -> list[float]:
    """The rule written out by hand: scale tokens with Δ < 0 by exp(λΔ), renormalize."""
    scaled = []
    for index, value in enumerate(p):
        delta = value - max(c[index] for c in counters)
        scaled.append(value * math.exp(decay * delta) if delta < 0 else value)
    total = sum(scaled)
    return [v / total for v in scaled]


def test_tokens_a_counter_label_prefers_are_scaled_down_by_exp_lambda_delta():
    p = torch.tensor([0.5, 0.3, 0.2])
    counter = torch.tensor([[0.2, 0.5, 0.3]])
    result = debias_probs(p, counter, decay_constant=10.0)
    # Δ = (0.3, -0.2, -0.1): token 0 keeps its mass, tokens 1 and 2 shrink by e^-2 and e^-1
    assert result.tolist() == pytest.approx(_expected([0.5, 0.3, 0.2], [[0.2, 0.5, 0.3]], 10.0), abs=1e-6)
    assert result.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert result[0] > p[0] and result[1] < p[1] and result[2] < p[2]


def test_the_most_likely_counter_label_per_token_sets_delta():
    p = [0.4, 0.4, 0.2]
    counters = [[0.6, 0.2, 0.2], [0.1, 0.3, 0.6]]
    result = debias_probs(torch.tensor(p), torch.tensor(counters), decay_constant=5.0)
    assert result.tolist() == pytest.approx(_expected(p, counters, 5.0), abs=1e-6)
    # token 0 is pushed down by counter 1 only, token 2 by counter 2 only
    assert result[1] > 0.4


def test_no_change_when_counters_agree_or_decay_is_zero():
    p = torch.tensor([0.7, 0.2, 0.1])
    assert debias_probs(p, p[None, :], 100.0).tolist() == pytest.approx(p.tolist(), abs=1e-6)
    other = torch.tensor([[0.1, 0.1, 0.8]])
    assert debias_probs(p, other, 0.0).tolist() == pytest.approx(p.tolist(), abs=1e-6)


def test_huge_decay_never_underflows_to_an_empty_distribution():
    # every token has Δ < 0 here (two counters), and λ = 1e4 would underflow in probability space
    p = torch.tensor([0.5, 0.5])
    counters = torch.tensor([[0.9, 0.1], [0.1, 0.9]])
    result = debias_log_probs(p.log(), counters.log(), 1e4).exp()
    assert torch.isfinite(result).all()
    assert result.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert result.tolist() == pytest.approx([0.5, 0.5], abs=1e-6)


def test_processor_debiases_main_rows_and_copies_them_to_their_counter_rows():
    logits = torch.log(
        torch.tensor(
            [
                [0.5, 0.3, 0.2],  # group 0: main
                [0.2, 0.5, 0.3],  # group 0: counter
                [0.1, 0.1, 0.8],  # group 1: main
                [0.1, 0.8, 0.1],  # group 1: counter
            ]
        )
    )
    processor = SelfDebiasingLogitsProcessor(group_size=2, decay_constant=10.0)
    out = processor(torch.zeros((4, 1), dtype=torch.long), logits.clone()).softmax(-1)
    assert out[0].tolist() == pytest.approx(_expected([0.5, 0.3, 0.2], [[0.2, 0.5, 0.3]], 10.0), abs=1e-6)
    assert out[2].tolist() == pytest.approx(_expected([0.1, 0.1, 0.8], [[0.1, 0.8, 0.1]], 10.0), abs=1e-6)
    assert torch.equal(out[1], out[0]) and torch.equal(out[3], out[2])


def test_processor_with_no_counter_labels_leaves_scores_alone():
    logits = torch.randn(3, 7)
    assert torch.equal(SelfDebiasingLogitsProcessor(1)(torch.zeros((3, 1), dtype=torch.long), logits), logits)


def test_processor_rejects_a_batch_that_does_not_split_into_groups():
    with pytest.raises(ValueError, match="groups of 3"):
        SelfDebiasingLogitsProcessor(3)(torch.zeros((4, 1), dtype=torch.long), torch.randn(4, 5))
    with pytest.raises(ValueError):
        SelfDebiasingLogitsProcessor(0)
