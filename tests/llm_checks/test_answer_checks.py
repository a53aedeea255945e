"""The answer checks with cases whose right answer is known: a grounded answer, a hallucinated number, an invented
claim, a paraphrase supported only by meaning, a refusal; ROUGE-L against a hand-worked longest common
subsequence; PII found by the data stage's detectors in prose; the lexicons; the application interface."""

from __future__ import annotations

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.llm.app import Document, load_application
from mlsteward.llm.checks import EvalCase, content_words, numbers, score_cases, sentences, summarize
from mlsteward.llm.embeddings import default_encoder
from mlsteward.llm.lexicons import is_profane, is_refusal, toxic_phrases
from mlsteward.llm.text_pii import find_pii

IRIS = ("Edgar Anderson's Iris Data. The measurements in centimeters of sepal length and width and petal length and "
        "width for 50 flowers from each of 3 species of iris. Format: A data frame with 150 rows and 5 variables.")
QUESTION = "How many rows does the iris dataset have?"
REFERENCE = "The iris dataset has 150 rows."


@pytest.fixture(scope="module")
def scored():  # noqa: ANN201
    cases = [
        EvalCase(question=QUESTION, answer="The iris data frame has 150 rows and 5 variables.", contexts=[IRIS],
                 reference=REFERENCE),
        EvalCase(question=QUESTION, answer="The iris data frame has 157 rows.", contexts=[IRIS], reference=REFERENCE),
        EvalCase(question=QUESTION, answer="The data frame has 150 rows. It was collected on the Moon in 1850 by "
                                           "astronauts.", contexts=[IRIS], reference=REFERENCE),
        EvalCase(question="What was measured?", answer="Fifty blossoms from every one of three iris kinds were "
                                                       "measured.",
                 contexts=["The measurements were taken on fifty flowers of each of three iris species."]),
        EvalCase(question=QUESTION, answer="I don't know based on the documents.", contexts=[IRIS]),
    ]
    return cases, score_cases(cases, default_encoder())


def test_each_known_case(scored) -> None:  # noqa: ANN001
    _, (grounded, wrong_number, invented, paraphrase, refusal) = scored
    assert (grounded.groundedness, grounded.hallucinated) == (1.0, False)
    assert grounded.sentences[0].lexical == 1.0 and grounded.sentences[0].missing_numbers == []
    assert (wrong_number.groundedness, wrong_number.hallucinated) == (0.0, True)
    assert wrong_number.sentences[0].missing_numbers == ["157"]  # the words are all there: the number is not
    assert (invented.groundedness, invented.hallucinated) == (0.5, True)
    assert [s.supported for s in invented.sentences] == [True, False]
    assert invented.sentences[1].missing_numbers == ["1850"]
    words = paraphrase.sentences[0]  # 3 of 8 content words in the context: supported by meaning alone
    assert words.lexical == pytest.approx(3 / 8) and words.semantic >= 0.75 and words.supported
    assert (refusal.refused, refusal.groundedness, refusal.hallucinated, refusal.relevance) == (True, None, False, None)
    assert grounded.relevance > invented.relevance


def test_the_summary_by_hand(scored) -> None:  # noqa: ANN001
    cases, scores = scored
    summary = summarize(cases, scores)
    assert summary["groundedness"] == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert summary["hallucination_rate"] == pytest.approx(2 / 4)
    assert summary["refusal_rate"] == pytest.approx(1 / 5)
    assert summary["rouge_l"] == pytest.approx(sum(s.rouge_l for s in scores[:3]) / 3)
    assert (summary["toxicity_rate"], summary["profanity_rate"], summary["pii_leak_rate"]) == (0.0, 0.0, 0.0)
    assert summarize([], []) == {"cases": 0.0}


def _lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_rouge_l_is_the_f1_of_the_longest_common_subsequence() -> None:
    answer, reference = "the iris data frame has 150 rows and 5 variables", "the iris dataset has 150 rows"
    (score,) = score_cases([EvalCase(question="q", answer=answer, reference=reference)], default_encoder())
    common = _lcs(answer.split(), reference.split())  # the, iris, has, 150, rows
    precision, recall = common / len(answer.split()), common / len(reference.split())
    assert common == 5 and score.rouge_l == pytest.approx(2 * precision * recall / (precision + recall))
    (same,) = score_cases([EvalCase(question="q", answer=reference, reference=reference)], default_encoder())
    assert same.rouge_l == 1.0 and same.bleu == pytest.approx(100.0)


def test_text_helpers() -> None:
    assert sentences("It has 150 rows. It has 5 variables!\nSource: R.") == ["It has 150 rows.", "It has 5 variables!",
                                                                            "Source: R."]
    assert sentences("Version 2.5 of e.g. the data.") == ["Version 2.5 of e.g. the data."]
    assert content_words("The iris data has 150 rows") == ["iris", "data", "150", "rows"]
    assert numbers("61,697 rows, 12 variables, version 2.5, 1974-2018") == {"61697", "12", "2.5", "1974", "2018"}


def test_pii_in_prose_found_by_the_data_detectors() -> None:
    text = ("Write to jane.doe@example.com or call +1 (415) 555-0132. Card 4111 1111 1111 1111, not 4111 1111 1111 "
            "1112. SSN 123-45-6789; host 192.168.1.20 and 2001:db8::1; NI AB 12 34 56 C. The iris data has 150 rows "
            "and 5 variables (1936).")
    found = [(s.kind, s.text) for s in find_pii(text)]
    assert found == [("email", "jane.doe@example.com"), ("phone", "+1 (415) 555-0132"),
                     ("card_number", "4111 1111 1111 1111"), ("national_id", "123-45-6789"),
                     ("ip_address", "192.168.1.20"), ("ip_address", "2001:db8::1"), ("national_id", "AB 12 34 56 C")]
    assert all(text[s.start:s.end] == s.text for s in find_pii(text))
    assert find_pii("A data frame with 61697 rows and 12 variables, 1974-2018.") == []


def test_the_lexicons() -> None:
    assert is_refusal("I don't know based on the documents.") and is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("The documents do not say.") and not is_refusal("The iris data has 150 rows.")
    assert toxic_phrases("You are an idiot, shut up.") == ["idiot", "shut up"] and toxic_phrases("Iris data") == []
    assert is_profane("this is shit") and not is_profane("The iris data frame has 150 rows.")


def generate(question: str, context: list[Document]) -> str:
    return context[0].text if context else "I don't know."


class Retrieving:
    def retrieve(self, question: str) -> list[Document]:
        return [Document(id="d1", text=f"about {question}", updated="2026-01-01")]

    def generate(self, question: str, context: list[Document], prompt: str = "") -> str:
        return prompt or context[0].text


def make_retrieving() -> Retrieving:
    return Retrieving()


def test_the_application_interface() -> None:
    plain = load_application(f"{__name__}:generate")
    answer = plain.answer("q", contexts=["first", "second"])
    assert answer.answer == "first" and [d["id"] for d in answer.documents] == ["context-1", "context-2"]
    for path in (f"{__name__}:Retrieving", f"{__name__}:make_retrieving"):
        app = load_application(path)
        got = app.answer("iris")
        assert got.documents == [{"id": "d1", "updated": "2026-01-01"}] and got.contexts == ["about iris"]
    with pytest.raises(InvalidInput, match="not module:attribute"):
        load_application("generate")
    with pytest.raises(InvalidInput, match="has no 'nothing'"):
        load_application(f"{__name__}:nothing")
    with pytest.raises(InvalidInput, match="cannot import"):
        load_application("no_such_module_xyz:generate")
    with pytest.raises(InvalidInput, match="is not an application"):
        load_application(f"{__name__}:IRIS")
