"""Tokens in and out of each answer, and what they cost.

An application may report its model's own counts by returning a ``Reply`` (text, tokens in and out, model) from
``generate``; when it returns plain text, Steward counts: tokens in are the text sent to the model (the rendered
prompt, else the question and the documents), tokens out the answer. It counts with the WordPiece tokenizer of
all-MiniLM-L6-v2 (shipped with the ``llm`` extra's model package, no special tokens, no truncation): an estimate
of a vendor's count, stated as such (``tokens_counted``). The cost is the price row of the answer's model
(``llm.prices``): tokens_in / 1000 × input price + tokens_out / 1000 × output price.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlsteward.errors import InvalidInput

if TYPE_CHECKING:
    from tokenizers import Tokenizer


@dataclass(frozen=True)
class Reply:
    """What ``generate`` may return instead of the text: the text with its model's token counts."""

    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    model: str | None = None


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    from mlsteward.llm.embeddings import _MISSING, _package_model_dir

    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise InvalidInput(f"counting tokens needs the package tokenizers {_MISSING}") from None
    tokenizer = Tokenizer.from_file(str(_package_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(texts: list[str]) -> list[int]:
    """The WordPiece token count of each text (module docstring)."""
    if not texts:
        return []
    return [len(e.ids) for e in _tokenizer().encode_batch(list(texts), add_special_tokens=False)]


def cost_per_1k_tokens(cost_usd: float, tokens: int) -> float | None:
    """USD per 1,000 tokens in and out together; None with no tokens."""
    return cost_usd / tokens * 1000 if tokens else None


__all__ = ["Reply", "cost_per_1k_tokens", "count_tokens"]
