"""The ``transformers`` engine: a local causal language model, on CPU or GPU.

It loads a model by local path or by id from the local Hugging Face cache (``local_files_only``
keeps it from downloading), never runs remote code, and serves two kinds of request:

- ``complete(ChatRequest)`` ("chat"): the messages through the tokenizer's chat template (or
  joined as plain text when it has none), so other stages can use a local model;
- ``continue_prompts(ContinuationRequest, steer)`` ("next_token_scores"): raw prompts continued
  by a decoding loop of its own, with a steering processor applied to every step's scores.

The decoding loop is written here rather than delegated to ``generate()`` because steered rows
come in groups (a main prompt and its companion prompts) that must all receive the token sampled
from the main row's distribution; ``generate()`` samples each row independently. The loop keeps
the key/value cache, left-pads prompts with explicit position ids, applies temperature, top-k and
top-p with transformers' own warpers, and samples with one seeded ``torch.Generator`` per call,
so the same request and seed give the same text.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, cast

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from dynosaur.core.engines import EngineOptions, register_engine
from dynosaur.core.engines.base import (
    ChatRequest,
    Completion,
    Continuation,
    ContinuationRequest,
    EngineError,
    ScoresProcessor,
)
from dynosaur.core.errors import ConfigError


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; a missing GPU is a clear error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EngineError(f"device {device!r} was asked for, but torch sees no CUDA GPU here")
    return device


@dataclass
class _Decoding:
    """Settings of one decoding loop."""

    max_new_tokens: int
    temperature: float
    top_k: int
    top_p: float
    seed: int | None
    stop: tuple[str, ...]
    group_size: int = 1
    min_new_tokens: int = 0


@register_engine("transformers")
class TransformersEngine:
    """A local causal LM with the "chat" and "next_token_scores" capabilities."""

    name = "transformers"
    capabilities = frozenset({"chat", "next_token_scores"})
    concurrency = 1  # one local model, one generation at a time
    usage = None
    stats = None

    @classmethod
    def from_options(cls, options: EngineOptions) -> TransformersEngine:
        """The local model ``options.model`` names (there is no default model)."""
        if not options.model:
            raise ConfigError(
                "the transformers engine needs model (a local path or an id in the HF cache)",
                mentions=("model",),
            )
        return cls(options.model, device=options.device, local_files_only=not options.allow_download)

    def __init__(
        self, model: str, device: str = "auto", dtype: str = "auto", local_files_only: bool = True
    ) -> None:
        self.model = model
        self.device = resolve_device(device)
        torch_dtype: Any = torch.float32 if self.device == "cpu" else dtype
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                model, local_files_only=local_files_only, trust_remote_code=False
            )
            self._model = AutoModelForCausalLM.from_pretrained(
                model, local_files_only=local_files_only, trust_remote_code=False, dtype=torch_dtype
            )
        except OSError as exc:
            hint = (
                (
                    f" (it is not a local folder nor in the local Hugging Face cache; download it first, "
                    f"e.g. `hf download {model}`)"
                )
                if local_files_only
                else ""
            )
            raise EngineError(f"cannot load model {model!r}{hint}: {exc}") from exc
        # transformers' annotation of PreTrainedModel.to drops the bound model from its signature
        self._model.to(self.device).eval()  # type: ignore[arg-type]
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:  # GPT-2 and many others: pad with the end token
            fallback = self.tokenizer.eos_token or self.tokenizer.unk_token
            if fallback is None:
                raise EngineError(f"the tokenizer of {model!r} has no pad, end or unknown token to pad with")
            self.tokenizer.pad_token = fallback
        self._eos_id = self.tokenizer.eos_token_id
        self._pad_id = self.tokenizer.pad_token_id
        self._lock = threading.Lock()
        self._stop_masks: dict[tuple[str, ...], torch.Tensor] = {}

    async def complete(self, request: ChatRequest) -> Completion:
        """Answer chat messages with the local model (greedy at temperature 0)."""
        prompt = self._chat_prompt(request.messages)
        params = request.params
        settings = _Decoding(
            max_new_tokens=params.max_tokens,
            temperature=params.temperature,
            top_k=0,
            top_p=params.top_p,
            seed=params.seed,
            stop=params.stop,
        )
        (result,), prompt_tokens = await asyncio.to_thread(self._decode_locked, [prompt], settings, None)
        reason = "length" if result.finish_reason == "length" else "stop"
        return Completion(
            text=result.text,
            finish_reason=reason,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=result.completion_tokens,
        )

    async def continue_prompts(
        self, request: ContinuationRequest, steer: ScoresProcessor | None = None
    ) -> list[Continuation]:
        """Continue grouped raw prompts; ``steer`` rewrites each step's scores for all rows."""
        params = request.params
        settings = _Decoding(
            max_new_tokens=params.max_tokens,
            temperature=params.temperature,
            top_k=request.top_k,
            top_p=params.top_p,
            seed=params.seed,
            stop=params.stop,
            group_size=request.group_size,
            min_new_tokens=request.min_new_tokens,
        )
        results, _ = await asyncio.to_thread(self._decode_locked, list(request.prompts), settings, steer)
        return results

    async def aclose(self) -> None:
        self._model = None  # type: ignore[assignment]
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    # -- internals -------------------------------------------------------------------------

    def _chat_prompt(self, messages: tuple[dict[str, str], ...]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            prompt = self.tokenizer.apply_chat_template(
                [dict(m) for m in messages], tokenize=False, add_generation_prompt=True
            )
            return cast(str, prompt)  # tokenize=False renders one text
        return "\n\n".join(m.get("content", "") for m in messages)

    def _decode_locked(
        self, prompts: list[str], settings: _Decoding, steer: ScoresProcessor | None
    ) -> tuple[list[Continuation], int]:
        with self._lock, torch.inference_mode():
            return self._decode(prompts, settings, steer)

    def _warpers(self, settings: _Decoding) -> LogitsProcessorList:
        warpers = LogitsProcessorList()
        if settings.temperature <= 0:
            return warpers  # greedy: no warping
        if settings.temperature != 1.0:
            warpers.append(TemperatureLogitsWarper(settings.temperature))
        if settings.top_k > 0:
            warpers.append(TopKLogitsWarper(settings.top_k))
        if settings.top_p < 1.0:
            warpers.append(TopPLogitsWarper(settings.top_p))
        return warpers

    def _stop_mask(self, stop: tuple[str, ...]) -> torch.Tensor:
        """Tokens that would end a continuation: those whose text holds a stop text, and the end token."""
        if stop not in self._stop_masks:
            vocab = self._model.get_output_embeddings().weight.shape[0]
            # the embedding matrix may be padded past the tokenizer's last id
            texts = self.tokenizer.batch_decode([[i] for i in range(min(vocab, len(self.tokenizer)))])
            mask = torch.zeros(vocab, dtype=torch.bool)
            mask[: len(texts)] = torch.tensor([any(s in t for s in stop) for t in texts], dtype=torch.bool)
            if self._eos_id is not None and self._eos_id < vocab:
                mask[self._eos_id] = True
            self._stop_masks[stop] = mask.to(self.device)
        return self._stop_masks[stop]

    def _decode(
        self, prompts: list[str], settings: _Decoding, steer: ScoresProcessor | None
    ) -> tuple[list[Continuation], int]:
        group = settings.group_size
        encoded = self.tokenizer(prompts, return_tensors="pt", padding=True)
        sequences = encoded["input_ids"].to(self.device)
        attention = encoded["attention_mask"].to(self.device)
        prompt_tokens = int(attention[::group].sum())
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        generator = None
        if settings.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(settings.seed)
        warpers = self._warpers(settings)
        groups = sequences.shape[0] // group
        main_rows = torch.arange(0, sequences.shape[0], group, device=self.device)
        new_tokens = torch.empty((groups, 0), dtype=torch.long, device=self.device)
        results: list[Continuation | None] = [None] * groups
        step_ids, step_positions, cache = sequences, positions, None
        for step in range(settings.max_new_tokens):
            output = self._model(
                input_ids=step_ids,
                attention_mask=attention,
                position_ids=step_positions,
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            )
            cache = output.past_key_values
            scores = output.logits[:, -1, :].float()
            if steer is not None:
                scores = steer(sequences, scores)
            main_scores = scores[main_rows]
            if step < settings.min_new_tokens:
                main_scores = main_scores.masked_fill(self._stop_mask(settings.stop), float("-inf"))
            chosen = self._sample(sequences[main_rows], main_scores, settings, warpers, generator)
            done = torch.tensor([r is not None for r in results], device=self.device)
            chosen = chosen.masked_fill(done, self._pad_id)
            new_tokens = torch.cat([new_tokens, chosen[:, None]], dim=1)
            step_ids = chosen.repeat_interleave(group)[:, None]
            sequences = torch.cat([sequences, step_ids], dim=1)
            attention = torch.cat([attention, torch.ones_like(step_ids)], dim=1)
            step_positions = step_positions[:, -1:] + 1
            self._finish_groups(results, new_tokens, settings.stop, step)
            if all(r is not None for r in results):
                break
        for index, result in enumerate(results):
            if result is None:
                text = cast(str, self.tokenizer.decode(new_tokens[index], skip_special_tokens=True))
                results[index] = Continuation(
                    text=text, finish_reason="length", completion_tokens=new_tokens.shape[1]
                )
        return [r for r in results if r is not None], prompt_tokens

    @staticmethod
    def _sample(
        history: torch.Tensor,
        scores: torch.Tensor,
        settings: _Decoding,
        warpers: LogitsProcessorList,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        if settings.temperature <= 0:
            return scores.argmax(dim=-1)
        # transformers names the dtype-specific tensor classes; at run time both are plain tensors
        warped = warpers(cast(torch.LongTensor, history), cast(torch.FloatTensor, scores))
        probs = torch.softmax(warped, dim=-1)
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)

    def _finish_groups(
        self, results: list[Continuation | None], new_tokens: torch.Tensor, stop: tuple[str, ...], step: int
    ) -> None:
        """Mark groups whose latest token is the end token or whose text now holds a stop text."""
        open_groups = [i for i, r in enumerate(results) if r is None]
        if not open_groups:
            return
        last = new_tokens[:, -1].tolist()
        texts = self.tokenizer.batch_decode(new_tokens[open_groups], skip_special_tokens=True)
        for index, text in zip(open_groups, texts, strict=True):
            cut = min((text.find(s) for s in stop if s in text), default=-1)
            if cut >= 0:
                results[index] = Continuation(
                    text=text[:cut], finish_reason="stop", completion_tokens=step + 1
                )
            elif self._eos_id is not None and last[index] == self._eos_id:
                results[index] = Continuation(text=text, finish_reason="eos", completion_tokens=step + 1)
