"""A tiny causal language model built on the spot, for tests that need a real local model.

It is a 2-layer GPT-2 (hidden size 32) with random weights and a word-level vocabulary made with
the ``tokenizers`` library, saved with ``save_pretrained`` so that tests load it by path exactly
as a user loads a downloaded model. Nothing is downloaded.

One knob makes its behaviour testable: ``quote_bias`` adds a fixed amount to the logit of the
``"`` token at every step (through a constant dimension of the final hidden state), so a test
can make generations close their quotation mark often, sometimes or never. Special tokens get a
large negative bias so that they are practically never generated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[EOS]"]
PUNCTUATION = ['"', ".", ",", ":", "!", "?", "'", "-", "(", ")"]
_WORDS_TEXT = (
    "task write a an the review for bad good movie movies film films two sentences sentence that "
    "mean same thing are somewhat similar on completely different topics 1 2 it is was were this "
    "great terrible boring wonderful awful plot story actors acting loved hated music scene ending "
    "dog cat man woman city night day runs sits walks eats park house car red blue big small old "
    "new happy sad very not and but or of in with at to from"
)
WORDS = _WORDS_TEXT.split()


def vocabulary() -> list[str]:
    """The tokens of the tiny model, ids in list order (capitalised words map to [UNK])."""
    return SPECIAL_TOKENS + PUNCTUATION + [w for w in dict.fromkeys(WORDS)]


def build_tiny_lm(
    directory: str | Path,
    *,
    quote_bias: float = 0.0,
    seed: int = 0,
    logit_scale: float = 0.1,
    with_pad_token: bool = True,
) -> Path:
    """Build, save and return the directory of a tiny GPT-2 with a word-level tokenizer.

    ``logit_scale`` is the standard deviation of the output weights: larger values make the
    next-token distributions peakier and more dependent on the context. ``with_pad_token=False``
    saves a tokenizer without a pad token, as GPT-2's is. Without the ``local`` extra (torch,
    transformers, tokenizers) the test asking for the model is skipped.
    """
    for library in ("torch", "tokenizers", "transformers"):
        pytest.importorskip(library, reason="a local model needs the local extra: pip install '.[local]'")
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    directory = Path(directory)
    vocab = {token: index for index, token in enumerate(vocabulary())}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(behavior="isolated")]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]" if with_pad_token else None,
        unk_token="[UNK]",
        eos_token="[EOS]",
        padding_side="left",
    )

    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=256,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=vocab["[EOS]"],
        eos_token_id=vocab["[EOS]"],
        pad_token_id=vocab["[PAD]"],
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(config)
        with torch.no_grad():
            head = model.lm_head.weight
            head.normal_(0.0, logit_scale)
            # Dimension 0 of the final hidden state is the constant 1 (LayerNorm weight 0, bias 1),
            # so column 0 of the output layer is a per-token bias independent of the context.
            model.transformer.ln_f.weight[0] = 0.0
            model.transformer.ln_f.bias[0] = 1.0
            head[:, 0] = 0.0
            head[vocab['"'], 0] = quote_bias
            for token in SPECIAL_TOKENS:
                head[vocab[token], 0] = -30.0
    model.eval()
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def force_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the Hugging Face libraries refuse the network for the rest of a test."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
