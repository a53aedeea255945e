"""The answer checks of an LLM evaluation: each case (question, retrieved context, answer, optional reference)
scored, then the evaluation set summarised.

**Groundedness.** The answer is cut into sentences. A sentence is *supported* when every number it states
appears in the context and either its content words are in the context (the share of them at least
``lexical``) or its embedding is close to a context sentence's (cosine at least ``semantic``, all-MiniLM-L6-v2).
A case's groundedness is the share of its sentences supported; an answer with an unsupported sentence is a
*hallucination*. A refusal states nothing, so it is neither grounded nor hallucinated.

**Answer relevance**: cosine of the question's and the answer's embeddings. **Similarity to the reference**:
ROUGE-L F1 (``rouge-score``) per case and BLEU (``sacrebleu``) per case and over the set. **Refusal,
toxicity, profanity**: the lexicons of ``mlsteward.llm.lexicons``. **PII leakage**: ``find_pii``.

Summary: ``groundedness`` (mean over answered cases), ``hallucination_rate`` (share of answered cases),
``answer_relevance`` (mean over answered cases), ``rouge_l`` (mean), ``bleu`` (corpus BLEU), and the shares
``refusal_rate``, ``toxicity_rate``, ``profanity_rate``, ``pii_leak_rate`` over all cases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel

from mlsteward.llm.lexicons import is_profane, is_refusal, toxic_phrases
from mlsteward.llm.text_pii import PiiSpan, find_pii
from mlsteward.spec_llm import SupportThresholds

STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there here has have had do does did not no so than then which who whom what when where why how "
    "i you he she we they me him her us them my your his our their".split())
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[,.]\d+)*")


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...  # one L2-normalised row per text


class EvalCase(BaseModel):
    question: str
    answer: str
    contexts: list[str] = []
    reference: str | None = None


class SentenceSupport(BaseModel):
    sentence: str
    lexical: float
    semantic: float
    missing_numbers: list[str]
    supported: bool


class CaseScore(BaseModel):
    refused: bool
    sentences: list[SentenceSupport]
    groundedness: float | None  # None for a refusal or an empty answer
    hallucinated: bool
    relevance: float | None
    rouge_l: float | None
    bleu: float | None
    toxic: list[str]
    profane: bool
    pii: list[PiiSpan]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def score_cases(cases: Sequence[EvalCase], encoder: Encoder,
                thresholds: SupportThresholds | None = None) -> list[CaseScore]:
    """Score each case (module docstring); all the texts are embedded in one batch."""
    thresholds = thresholds or SupportThresholds()
    answer_sents = [sentences(c.answer) for c in cases]
    context_sents = [[s for text in c.contexts for s in sentences(text)] for c in cases]
    texts = [t for c, a, x in zip(cases, answer_sents, context_sents, strict=True) for t in (c.question, c.answer, *a, *x)]
    vectors = iter(encoder.encode(texts) if texts else [])
    return [_score(c, a, x, [next(vectors) for _ in range(2 + len(a) + len(x))], thresholds)
            for c, a, x in zip(cases, answer_sents, context_sents, strict=True)]


def _score(case: EvalCase, answer_sents: list[str], context_sents: list[str], vectors: list[np.ndarray],
           thresholds: SupportThresholds) -> CaseScore:
    question, answer = vectors[0], vectors[1]
    mine, theirs = vectors[2:2 + len(answer_sents)], np.array(vectors[2 + len(answer_sents):])
    refused = is_refusal(case.answer)
    context_words = set(content_words(" ".join(case.contexts)))
    context_numbers = numbers(" ".join(case.contexts))
    support = []
    for sentence, vector in zip(answer_sents, mine, strict=True):
        words = content_words(sentence)
        lexical = sum(w in context_words for w in words) / len(words) if words else 1.0
        semantic = float(np.max(theirs @ vector)) if len(theirs) else 0.0
        missing = sorted(numbers(sentence) - context_numbers)
        supported = not missing and (lexical >= thresholds.lexical or semantic >= thresholds.semantic)
        support.append(SentenceSupport(sentence=sentence, lexical=lexical, semantic=semantic,
                                       missing_numbers=missing, supported=supported))
    answered = not refused and bool(support)
    grounded = sum(s.supported for s in support) / len(support) if answered else None
    return CaseScore(refused=refused, sentences=support, groundedness=grounded,
                     hallucinated=answered and grounded < 1.0,
                     relevance=float(question @ answer) if answered else None,
                     rouge_l=_rouge_l(case.answer, case.reference) if case.reference is not None else None,
                     bleu=_bleu(case.answer, case.reference) if case.reference is not None else None,
                     toxic=toxic_phrases(case.answer), profane=is_profane(case.answer), pii=find_pii(case.answer))


def summarize(cases: Sequence[EvalCase], scores: Sequence[CaseScore]) -> dict[str, float | None]:
    """The evaluation set's metrics (module docstring); None where no case could give one."""
    answered = [s for s in scores if s.groundedness is not None]
    with_reference = [(c, s) for c, s in zip(cases, scores, strict=True) if c.reference is not None]
    n = len(scores)
    return {
        "cases": float(n),
        "groundedness": _mean([s.groundedness for s in answered]),
        "hallucination_rate": _mean([float(s.hallucinated) for s in answered]),
        "answer_relevance": _mean([s.relevance for s in answered]),
        "rouge_l": _mean([s.rouge_l for _, s in with_reference]),
        "bleu": _corpus_bleu([c.answer for c, _ in with_reference], [c.reference for c, _ in with_reference]),
        "refusal_rate": _mean([float(s.refused) for s in scores]),
        "toxicity_rate": _mean([float(bool(s.toxic)) for s in scores]),
        "profanity_rate": _mean([float(s.profane) for s in scores]),
        "pii_leak_rate": _mean([float(bool(s.pii)) for s in scores]),
    } if n else {"cases": 0.0}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _rouge_l(answer: str, reference: str) -> float:
    from rouge_score import rouge_scorer

    return float(rouge_scorer.RougeScorer(["rougeL"]).score(reference, answer)["rougeL"].fmeasure)


def _bleu(answer: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_bleu(answer, [reference]).score)


def _corpus_bleu(answers: list[str], references: list[str]) -> float | None:
    if not answers:
        return None
    import sacrebleu

    return float(sacrebleu.corpus_bleu(answers, [references]).score)


__all__ = ["CaseScore", "Encoder", "EvalCase", "SentenceSupport", "SupportThresholds", "content_words", "numbers",
           "score_cases", "sentences", "summarize"]
