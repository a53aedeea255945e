"""Labeling in a real browser (Playwright driving the system Chromium): two annotators sign in and label the same
reviews with the keyboard, one skips and flags an item; the recorded answers, their agreement and gold accuracy
equal scikit-learn's and statsmodels' numbers on what was typed; someone without the annotator role is refused
and, as an adjudicator, settles a tie on the project page; finishing writes the label version with lineage.

Screenshots go to ``$STEWARD_SCREENSHOTS`` when it is set (the README's come from here)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from test_dashboard_browser import SCREENSHOTS, browser  # noqa: F401 - the Chromium fixture, shared
from test_serving_app import LiveServer

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.label_quality import label_quality
from mlsteward.lifecycle.label_versions import write_label_version
from mlsteward.lifecycle.labeling import create_label_project, parse_schema
from mlsteward.serving.app import create_app

ITEMS = 10
KEYS = {"great": "1", "other": "2"}


def _annotator(browser, base: str, token: str):  # noqa: ANN001, ANN202, F811 - a signed-in Playwright page
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/ui/labeling/sentiment/label")  # signing in comes first, then back here
    page.wait_for_url(re.compile(r".*/ui/sign-in\?next=.*"))
    page.fill("#token", token)
    page.click("form.panel button[type=submit]")
    page.wait_for_url(re.compile(r".*/ui/labeling/sentiment/label$"))
    return context, page, errors


def _label(page, answers: list[tuple[str, str]]) -> None:  # noqa: ANN001
    """Answer each (item, label | skip | unclear) with the keyboard, checking the page shows that item."""
    for item, answer in answers:
        assert page.locator("#item").get_attribute("data-item") == item
        if answer == "unclear":
            page.fill("input[name=note]", "is a gift box a product?")
            page.locator("input[name=note]").blur()
        key = {"skip": "s", "unclear": "u"}.get(answer) or KEYS[answer]
        with page.expect_navigation():
            page.keyboard.press(key)
        assert page.locator("#outcome").inner_text().startswith(f"recorded item {item}")


def test_two_annotators_label_in_the_browser(label_workspace, browser) -> None:  # noqa: ANN001, F811
    workspace, spec, ref = label_workspace
    create_label_project(workspace, spec, name="sentiment", dataset=ref, schema=parse_schema(["great", "other"]),
                         guideline=Path("guideline.md").read_text(), id_column="review_id", text_column="review",
                         gold_share=0.3, gold_column="score", seed=1)
    reviews = load_dataset(workspace, ref).head(ITEMS)
    keys, truth = reviews["review_id"].astype(str).tolist(), reviews["score"].tolist()
    flip = {"great": "other", "other": "great"}
    ana = [(k, t if n not in (2, 7) else flip[t]) for n, (k, t) in enumerate(zip(keys, truth, strict=True))]
    ben = [(k, t if n not in (4,) else flip[t]) for n, (k, t) in enumerate(zip(keys, truth, strict=True))]
    ben[5] = (keys[5], "skip")
    ben[8] = (keys[8], "unclear")
    tokens = {who: workspace.store.tokens.create(who)[0] for who in ("ana", "ben", "dana")}

    app = create_app(workspace, require_token=True, dashboard_open=False)
    with LiveServer(app) as base:
        seen = []
        for who, answers in (("ana", ana), ("ben", ben)):
            context, page, errors = _annotator(browser, base, tokens[who])
            assert reviews["review"].iloc[0][:40] in page.locator(".item-text").inner_text()
            assert "Edge cases" in page.locator(".guideline").inner_text()
            assert page.locator("form[data-label-form] input[name=item]").count() == 1
            if SCREENSHOTS and who == "ana":
                Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SCREENSHOTS) / "labeling.jpg"), type="jpeg", quality=80)
            _label(page, answers)
            seen.append(page.locator("#my-progress").inner_text())
            assert errors == []
            context.close()
        assert seen[1].startswith("You: 8 labeled, 1 skipped, 1 unclear")

        context = browser.new_context(base_url=base)
        page = context.new_page()
        page.goto("/ui/sign-in?next=/ui/labeling/sentiment/label")
        page.fill("#token", tokens["dana"])
        page.click("form.panel button[type=submit]")
        assert "does not hold the 'annotator' role" in page.locator("main").inner_text()
        response = page.goto("/ui/labeling/sentiment")
        assert response.status == 200 and "You do not hold the 'annotator' role" in page.locator("main").inner_text()
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / "labeling-project.jpg"), type="jpeg", quality=80,
                            full_page=False)
        shown_kappa = page.locator("#fleiss").inner_text()
        tie = page.locator("form.adjudicate").first  # dana holds data_scientist, an adjudicator role
        decided = tie.locator("input[name=item]").get_attribute("value")
        tie.locator("select").select_option("other")
        with page.expect_navigation():
            tie.locator("button").click()
        assert page.locator("#outcome").inner_text() == f"item {decided} is other (decided by dana)"
        context.close()

    records = workspace.store.labeling.annotations("sentiment")
    typed = {(r.item, r.annotator): (r.label if r.outcome == "label" else r.outcome) for r in records}
    assert typed == {**{(k, "ana"): a for k, a in ana}, **{(k, "ben"): a for k, a in ben}}
    assert all(r.origin == "ui" and r.seconds is not None and 0 <= r.seconds < 600 for r in records)
    unclear = next(r for r in records if r.outcome == "unclear")
    assert unclear.note == "is a gift box a product?"

    quality = label_quality(workspace, spec, "sentiment")
    both = [k for k, b in ben if b in KEYS]
    a_labels, b_labels = dict(ana), dict(ben)
    pair = quality.agreement.pairs[0]
    assert (pair.annotator_a, pair.annotator_b, pair.items) == ("ana", "ben", len(both))
    assert pair.kappa == pytest.approx(cohen_kappa_score([a_labels[k] for k in both], [b_labels[k] for k in both]))
    assert shown_kappa == f"{quality.agreement.fleiss.kappa:.3f}"
    gold = {i.key: i.gold_label for i in workspace.store.labeling.items("sentiment") if i.gold_label}
    assert sum(k in gold for k in keys) >= 2 and len(quality.gold) == 2
    for row in quality.gold:
        mine = dict(ana if row.annotator == "ana" else ben)
        answered = [k for k in keys if k in gold and mine[k] in KEYS]
        assert row.accuracy == pytest.approx(accuracy_score([gold[k] for k in answered], [mine[k] for k in answered]))
    progress = {a.annotator: a for a in quality.annotators}
    assert (progress["ben"].labeled, progress["ben"].skipped, progress["ben"].unclear) == (8, 1, 1)

    assert [(d.item, d.label, d.decided_by) for d in workspace.store.labeling.adjudications("sentiment")] == [
        (decided, "other", "dana")]
    result = write_label_version(workspace, spec, "sentiment")
    assert [e.parent for e in workspace.store.datasets.lineage(result.version.ref).ancestors] == [ref]
    ties = sum(1 for k in keys if a_labels[k] != b_labels.get(k) and b_labels[k] in KEYS)
    assert result.rows == ITEMS - ties + 1  # the adjudicated tie is in
