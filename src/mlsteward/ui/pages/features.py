"""Features: the catalog (every feature of steward.yaml with its fitted state), the fitted feature sets, and the
data dictionary of the newest one."""

from __future__ import annotations

from mlsteward.lifecycle.features import catalog, dictionary_of
from mlsteward.ui.view import Page, View


def features(view: View) -> Page:
    if view.spec is None:
        entries, sets = [], view.store.feature_sets.list()
    else:
        entries, sets = catalog(view.workspace, view.spec)
    dictionaries = [(record, dictionary_of(record)) for record in sets]
    reports = {record.ref: f"{record.ref}-data-dictionary.html" for record in sets}
    return Page("features.html", "Features", {"entries": entries, "sets": sets, "dictionaries": dictionaries,
                                              "reports": reports})
