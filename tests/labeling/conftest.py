"""A project folder with a steward.yaml naming two annotators and an adjudicator, its workspace, and the bundled
fine-food reviews registered as a dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.datasets import load_fine_food_reviews
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

STEWARD_YAML = """\
project: reviews
charter:
  problem: Reviews are triaged by hand; the five-star ones should be quoted on product pages.
  decision: which reviews to quote
  prediction_target: the review gave five stars (great) or not (other)
  constraints:
    labeling_budget_usd: 2000
  stakeholders:
    - {name: Ana Ruiz, role: annotator, user: ana}
    - {name: Ben Okafor, role: annotator, user: ben}
    - {name: Dana Whitfield, role: data_scientist, user: dana}
labeling:
  hourly_rate_usd: 30
  adjudicator_roles: [data_scientist]
"""

GUIDELINE = """\
# Review sentiment

## great
The reviewer is delighted: five stars, would buy again, recommends it.

## other
Anything short of delighted: complaints, mixed feelings, a neutral description.

## Edge cases
A glowing review of the seller but not the product is other. Sarcasm ("great, it broke in a day") is other;
praise with one small complaint is still great.
"""


@pytest.fixture
def label_folder(tmp_path: Path) -> Path:
    (tmp_path / "steward.yaml").write_text(STEWARD_YAML)
    (tmp_path / "guideline.md").write_text(GUIDELINE)
    return tmp_path


@pytest.fixture
def label_workspace(label_folder: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - (Workspace, Spec, ref)
    monkeypatch.chdir(label_folder)
    workspace = Workspace(resolve_settings(start=label_folder))
    version, _ = add_dataset(workspace, load_fine_food_reviews().head(300), name="reviews")
    yield workspace, load_spec(label_folder / "steward.yaml"), version.ref
    workspace.store.close()
