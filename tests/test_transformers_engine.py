"""The local transformers engine on a tiny model built in the test: no download anywhere."""

from __future__ import annotations

import asyncio

import pytest

torch = pytest.importorskip("torch", reason="the local engine needs the local extra: pip install '.[local]'")
pytest.importorskip("transformers", reason="the local engine needs the local extra: pip install '.[local]'")

from dynosaur.core.engines import ChatRequest, EngineError, GenerationParams, create_engine  # noqa: E402
from dynosaur.core.engines.base import ContinuationRequest, ScoringEngine  # noqa: E402
from dynosaur.core.engines.debias import SelfDebiasingLogitsProcessor  # noqa: E402
from tests.support.tiny_lm import build_tiny_lm, force_offline  # noqa: E402

BAD = 'task : write a review for a bad movie . movie : "'
GOOD = 'task : write a review for a good movie . movie : "'


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    force_offline(monkeypatch)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    path = build_tiny_lm(tmp_path_factory.mktemp("tiny-lm"), quote_bias=3.0)
    return create_engine("transformers", model=str(path), device="cpu")


def _params(seed: int = 7, max_tokens: int = 8) -> GenerationParams:
    return GenerationParams(temperature=1.0, top_p=1.0, max_tokens=max_tokens, seed=seed, stop=('"',))


def _continue(engine, prompts, seed=7, group_size=1, steer=None, top_k=0, max_tokens=8, min_new_tokens=0):
    request = ContinuationRequest(
        prompts=tuple(prompts),
        params=_params(seed, max_tokens),
        top_k=top_k,
        group_size=group_size,
        min_new_tokens=min_new_tokens,
    )
    return asyncio.run(engine.continue_prompts(request, steer))


def test_engine_offers_chat_and_next_token_scores(engine):
    assert {"chat", "next_token_scores"} <= engine.capabilities
    assert isinstance(engine, ScoringEngine)


def test_continuations_stop_at_the_stop_text_or_run_to_the_token_limit(engine):
    results = _continue(engine, [BAD] * 12, max_tokens=6)
    reasons = {r.finish_reason for r in results}
    assert reasons == {"stop", "length"}  # quote_bias=3 closes some quotes and not others
    for result in results:
        assert '"' not in result.text
        assert result.completion_tokens <= 6
        if result.finish_reason == "length":
            assert result.completion_tokens == 6 and len(result.text.split()) == 6


def test_same_seed_same_texts_and_another_seed_other_texts(engine):
    first = [r.text for r in _continue(engine, [BAD, GOOD] * 4, seed=11)]
    again = [r.text for r in _continue(engine, [BAD, GOOD] * 4, seed=11)]
    other = [r.text for r in _continue(engine, [BAD, GOOD] * 4, seed=12)]
    assert first == again
    assert first != other


def test_min_new_tokens_keeps_the_stop_text_away_for_that_many_tokens(engine):
    results = _continue(engine, [BAD] * 8, min_new_tokens=3, max_tokens=6)
    assert all(r.completion_tokens >= 3 for r in results)
    assert all(len(r.text.split()) >= 3 for r in results)


class RecordingDebiaser(SelfDebiasingLogitsProcessor):
    """Records, per step, the rows fed so far and Δ = p(main) − max p(counters) before debiasing."""

    def __init__(self, group_size: int, decay_constant: float) -> None:
        super().__init__(group_size, decay_constant)
        self.inputs: list[torch.Tensor] = []
        self.deltas: list[torch.Tensor] = []

    def __call__(self, input_ids, scores):
        grouped = scores.softmax(-1).view(-1, self.group_size, scores.shape[-1])
        self.inputs.append(input_ids.clone())
        self.deltas.append(grouped[:, 0] - grouped[:, 1:].amax(dim=1))
        return super().__call__(input_ids, scores)


def test_counter_rows_are_fed_the_token_sampled_for_their_main_row(engine):
    recorder = RecordingDebiaser(group_size=2, decay_constant=100.0)
    results = _continue(engine, [BAD, GOOD, GOOD, BAD, BAD, GOOD], group_size=2, steer=recorder, max_tokens=5)
    assert len(results) == 3  # one continuation per group
    prompt_length = recorder.inputs[0].shape[1]
    final = recorder.inputs[-1]
    assert final.shape[1] > prompt_length  # tokens were generated
    for group in range(3):
        assert torch.equal(final[2 * group, prompt_length:], final[2 * group + 1, prompt_length:])


@pytest.fixture(scope="module")
def open_ended_engine(tmp_path_factory):
    """A model that never closes its quote and whose next tokens depend more on the context."""
    path = build_tiny_lm(tmp_path_factory.mktemp("tiny-lm-open"), quote_bias=-30.0, logit_scale=0.3)
    return create_engine("transformers", model=str(path), device="cpu")


def test_debiased_sampling_never_picks_a_token_the_counter_instruction_prefers(open_ended_engine):
    engine = open_ended_engine
    recorder = RecordingDebiaser(group_size=2, decay_constant=1e4)
    _continue(engine, [BAD, GOOD] * 6, group_size=2, steer=recorder, top_k=5, max_tokens=6, seed=3)
    checked = 0
    for step in range(1, len(recorder.inputs)):
        chosen = recorder.inputs[step][0::2, -1]
        deltas = recorder.deltas[step - 1].gather(1, chosen[:, None]).squeeze(1)
        assert (deltas > -1e-3).all(), deltas
        checked += chosen.numel()
    assert checked == 6 * 5
    # without steering the same seed does pick such tokens: the check above is not vacuous
    plain = RecordingDebiaser(group_size=2, decay_constant=0.0)
    _continue(engine, [BAD, GOOD] * 6, group_size=2, steer=plain, top_k=5, max_tokens=6, seed=3)
    picked = [
        plain.deltas[s - 1].gather(1, plain.inputs[s][0::2, -1][:, None]) for s in range(1, len(plain.inputs))
    ]
    assert (torch.cat(picked) < -1e-3).any()


def test_chat_requests_are_answered_by_the_local_model(engine):
    request = ChatRequest.of(
        [{"role": "user", "content": "write a review of the movie"}],
        GenerationParams(temperature=0.0, max_tokens=4),
    )
    first = asyncio.run(engine.complete(request))
    second = asyncio.run(engine.complete(request))
    assert first.text == second.text  # greedy
    assert first.model == engine.model and first.completion_tokens <= 4 and first.prompt_tokens == 6
    assert first.finish_reason in {"stop", "length"}


def test_a_tokenizer_without_a_pad_token_still_batches_prompts(tmp_path):
    path = build_tiny_lm(tmp_path / "no-pad", quote_bias=3.0, with_pad_token=False)
    engine = create_engine("transformers", model=str(path), device="cpu")
    assert engine.tokenizer.pad_token == "[EOS]"
    results = _continue(engine, [BAD, 'movie : "'] * 2)
    assert len(results) == 4


def test_a_model_missing_from_the_local_cache_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(EngineError, match="nor in the local Hugging Face cache"):
        create_engine("transformers", model="no-such-org/no-such-model", device="cpu")


def test_asking_for_a_gpu_that_is_not_there_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(EngineError, match="no CUDA GPU"):
        create_engine("transformers", model=str(tmp_path), device="cuda")
