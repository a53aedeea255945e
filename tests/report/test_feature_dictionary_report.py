"""The data dictionary renderers: Markdown escaping, HTML escaping, no scripts."""

from __future__ import annotations

import datetime as dt

from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.dictionary import data_dictionary
from mlsteward.features.validation import ColumnReference
from mlsteward.report import render_dictionary_html, render_dictionary_markdown


def _dictionary():  # noqa: ANN202
    definitions = [
        FeatureDefinition(name="ratio_ab", transform="ratio", inputs=["a", "b"], description="a | b <script>x</script>",
                          units="USD", owner="ana", tags=["explainability-critical"]),
        FeatureDefinition(name="colour", transform="one_hot", description="paint"),
        FeatureDefinition(name="helper", transform="impute", inputs=["a"], output=False),
    ]
    outputs = [ColumnReference(column="ratio_ab", kind="numeric", missing_rate=0.1, distinct=9, min=0.5, max=12.0),
               ColumnReference(column="colour=red", kind="numeric", missing_rate=0, distinct=2, min=0, max=1),
               ColumnReference(column="colour=blue", kind="numeric", missing_rate=0, distinct=2, min=0, max=1)]
    return data_dictionary("paint@2", "train@1", "y", definitions, outputs, {"ratio_ab": "target_proxy"})


def test_entries_follow_the_definitions_and_their_training_outputs() -> None:
    entries = _dictionary().entries
    assert [e.feature for e in entries] == ["ratio_ab", "colour"]  # helper features are not outputs
    ratio, colour = entries
    assert (ratio.allowed_range, ratio.source_columns, ratio.leakage) == ("[0.5, 12]", ["a", "b"], "target_proxy")
    assert colour.outputs == ["colour=red", "colour=blue"]
    assert colour.allowed_range == "2 indicator columns, each 0 or 1" and colour.leakage == "not screened"


def test_markdown_escapes_pipes_and_html_escapes_markup() -> None:
    markdown = render_dictionary_markdown(_dictionary())
    row = next(line for line in markdown.splitlines() if line.startswith("| `ratio_ab`"))
    assert "a \\| b" in row and row.count(" | ") == 8  # nine cells, the pipe in the text escaped
    html = render_dictionary_html(_dictionary(), generated_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script" not in html
    assert "2026-01-02 00:00:00 UTC" in html and 'id="feature-colour"' in html
