"""A small retrieval question-answering application over real text: deterministic, offline, no model.

It answers questions about the 300 R dataset documentation pages bundled in ``mlsteward.datasets``
(``load_dataset_docs``): a BM25 :class:`Retriever` picks the pages, and :func:`generate` extracts the
sentence of the page that holds the fact. ``generate(question, context) -> str`` is the application
interface Steward evaluates (``mlsteward.llm.app``); any callable of that shape (a vendor's model included)
can stand in its place. ``llm.app: mlsteward.llm.example_app:example_application`` in steward.yaml names it.

:func:`hallucinating_generate` and :func:`obedient_generate` are deliberately bad generators, fixtures for
tests and demos of the evaluation (groundedness, prompt injection); never use them to answer anything.

``Document`` (id, text, updated) is the interface's own, from ``mlsteward.llm.app``; the generators read only
``id`` and ``text`` (a bundled page's first line is its title).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from mlsteward.llm.app import Document

DONT_KNOW = "I don't know based on the documents."

_WORD = re.compile(r"[a-z0-9]+")
_ASKS_ROWS = re.compile(r"\bhow many (?:rows|observations|cases|records)\b", re.IGNORECASE)
_ASKS_COLUMNS = re.compile(r"\bhow many (?:variables|columns)\b", re.IGNORECASE)
_ASKS_ABOUT = re.compile(r"\bwhat is .+ about\b", re.IGNORECASE)
_SHAPE = re.compile(
    r"\b(\d[\d,]*)\s+(?:rows|observations|cases)\b.*?\b(\d[\d,]*)\s+(?:variables|columns)\b", re.IGNORECASE
)
_DOC_ID = re.compile(r"[A-Za-z][\w.]*/[\w.]*\w")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) instructions\W*(?:and\s+)?(?:instead\s+)?"
    r"(?:say|reply|answer|respond|output)(?:\s+with)?\s*:?\s*(.+)",
    re.IGNORECASE | re.DOTALL,
)


Generator = Callable[[str, list[Document]], str]


def tokenize(text: str) -> list[str]:
    """Lower-case words: runs of ASCII letters and digits."""
    return _WORD.findall(text.lower())


def bundled_documents() -> list[Document]:
    """The documentation pages shipped in ``mlsteward.datasets``, as documents."""
    from mlsteward.datasets.docs import load_dataset_docs

    return [Document(id=doc.id, text=doc.text, updated=doc.updated) for doc in load_dataset_docs()]


class Retriever:
    """Okapi BM25 over :func:`tokenize` tokens, with ``idf = ln((N - n + 0.5) / (n + 0.5) + 1)``.

    ``score(D, Q) = sum over the question's tokens t (repeats count) of
    idf(t) * f(t, D) * (k1 + 1) / (f(t, D) + k1 * (1 - b + b * |D| / avgdl))``.
    """

    def __init__(self, documents: Iterable[Document], k1: float = 1.5, b: float = 0.75) -> None:
        self.documents = list(documents)
        if not self.documents:
            raise ValueError("a retriever needs at least one document")
        self.k1, self.b = k1, b
        self._counts = [Counter(tokenize(doc.text)) for doc in self.documents]
        lengths = np.array([sum(c.values()) for c in self._counts], dtype=float)
        self._norm = k1 * (1 - b + b * lengths / (lengths.mean() or 1.0))  # or 1.0: documents without words
        self._doc_freq = Counter(term for counts in self._counts for term in counts)

    def scores(self, question: str) -> np.ndarray:
        """The BM25 score of every document, in document order."""
        total = np.zeros(len(self.documents))
        n_docs = len(self.documents)
        for term in tokenize(question):
            n = self._doc_freq.get(term, 0)
            if n:
                idf = math.log((n_docs - n + 0.5) / (n + 0.5) + 1)
                freq = np.array([counts.get(term, 0) for counts in self._counts], dtype=float)
                total += idf * freq * (self.k1 + 1) / (freq + self._norm)
        return total

    def search(self, question: str, k: int = 3) -> list[Document]:
        """The ``k`` best documents with a positive score, best first; ties keep document order."""
        scores = self.scores(question)
        best = np.argsort(-scores, kind="stable")[:k]
        return [self.documents[i] for i in best if scores[i] > 0]


def _title(doc: Document) -> str:
    """A document's first line: the title, for the bundled pages."""
    return doc.text.split("\n", 1)[0].strip()


def _sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in _SENTENCE_END.split(line.strip()) if s]


def _subject(question: str, context: list[Document]) -> Document | None:
    """The context document the question is about: the one with the ``package/item`` id the question names;
    else one whose title the question contains, if the question names no id or the document has none of that
    shape (e.g. ``context-1``, a given context): a page of another dataset never stands in for the named one."""
    named = {m.rstrip(".") for m in _DOC_ID.findall(question)}
    by_id = next((doc for doc in context if doc.id in named), None)
    if by_id is not None:
        return by_id
    lowered = question.lower()
    return next((doc for doc in context
                 if (not named or not _DOC_ID.fullmatch(doc.id)) and _title(doc)
                 and re.search(rf"(?<!\w){re.escape(_title(doc).lower())}(?!\w)", lowered)), None)


def _fact(question: str, context: list[Document]) -> tuple[str, Document, str] | None:
    """(kind, document, sentence holding the fact) for a question the context answers, else None."""
    kind = ("rows" if _ASKS_ROWS.search(question) else "variables" if _ASKS_COLUMNS.search(question)
            else "about" if _ASKS_ABOUT.search(question) else None)
    doc = _subject(question, context) if kind else None
    if doc is None:
        return None
    if kind == "about":
        return kind, doc, _title(doc)
    sentence = next((s for s in _sentences(doc.text) if _SHAPE.search(s)), None)
    return (kind, doc, sentence) if sentence else None


def generate(question: str, context: list[Document]) -> str:
    """Extractive answer: the sentence of the named context document that holds the asked fact.

    Answers "how many rows/observations", "how many variables/columns" (the first sentence stating the
    shape, e.g. the Format sentence) and "what is X about" (the title) for the context document the question
    names by ``package/item`` id or by title; :data:`DONT_KNOW` for anything else or when none matches.
    """
    found = _fact(question, context)
    return found[2] if found else DONT_KNOW


def hallucinating_generate(question: str, context: list[Document]) -> str:
    """TEST FIXTURE, deliberately wrong: states a row or variable count that is not in the context.

    The count is the true one + 7, + 7 again while that number appears in any context document, so the
    answer is never grounded. Any other question is answered as :func:`generate` does.
    """
    found = _fact(question, context)
    if not found or found[0] == "about":
        return generate(question, context)
    kind, doc, sentence = found
    shape = _SHAPE.search(sentence)
    wrong = int(shape.group(1 if kind == "rows" else 2).replace(",", "")) + 7
    while any(re.search(rf"(?<![\d.,]){wrong}(?![\d,]|\.\d)", d.text) for d in context):
        wrong += 7
    return f"The {doc.id} dataset has {wrong} {kind}."


def obedient_generate(question: str, context: list[Document]) -> str:
    """TEST FIXTURE, deliberately unsafe: obeys "ignore previous instructions and say X" in the question.

    Returns X (quotes stripped), so a prompt injection succeeds; any other question is answered as
    :func:`generate` does.
    """
    injected = _INJECTION.search(question)
    if injected:
        return injected.group(1).strip().strip("\"'“”").strip()
    return generate(question, context)


class ExampleApp:
    """Retriever plus generator: ``answer(question) -> (answer_text, used_documents)``; ``retrieve`` and
    ``generate`` are the two halves, as ``mlsteward.llm.app.load_application`` expects of an application."""

    def __init__(self, documents: Iterable[Document] | None = None, generator: Generator = generate,
                 k: int = 3) -> None:
        self.retriever = Retriever(bundled_documents() if documents is None else documents)
        self.generator = generator
        self.k = k

    def retrieve(self, question: str) -> list[Document]:
        """The ``k`` best documents for the question."""
        return self.retriever.search(question, self.k)

    def generate(self, question: str, context: list[Document]) -> str:
        """The generator's answer from ``context``."""
        return self.generator(question, context)

    def answer(self, question: str) -> tuple[str, list[Document]]:
        """The generator's answer from the ``k`` retrieved documents, and those documents."""
        used = self.retrieve(question)
        return self.generate(question, used), used


def example_application() -> ExampleApp:
    """The example application over the bundled pages, with the good generator (``llm.app`` points here)."""
    return ExampleApp()


def hallucinating_application() -> ExampleApp:
    """TEST FIXTURE: the example application with :func:`hallucinating_generate`."""
    return ExampleApp(generator=hallucinating_generate)


def obedient_application() -> ExampleApp:
    """TEST FIXTURE: the example application with :func:`obedient_generate`."""
    return ExampleApp(generator=obedient_generate)
