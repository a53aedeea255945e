"""Stored models: skops round trips are exact; a file holding a type outside the allowed packages is
refused before anything in it is built, and loads only with the explicit ``trusted=True``."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput, UnsafeArtifact
from mlsteward.models_io import ALLOWED_PACKAGES, dump_model, load_model, refused_types
from mlsteward.train import RuleBaseline

NUMERIC = ["year", "age", "prestg10", "childs"]
BUILT: list[str] = []


class Evil(BaseEstimator):
    """Records that it was rebuilt: a stand-in for code a foreign type would run on load."""

    def __init__(self, command: str = "echo pwned") -> None:
        self.command = command

    def __setstate__(self, state: dict) -> None:
        BUILT.append(state["command"])
        self.__dict__.update(state)


@pytest.fixture(scope="module")
def gss() -> tuple[pd.DataFrame, pd.Series]:
    data = gss_wages_with_target().iloc[:8_000]
    return data.drop(columns="high_income"), data["high_income"]


def _same_predictions(model, X) -> None:  # noqa: ANN001, N803
    loaded = load_model(dump_model(model))
    assert type(loaded) is type(model)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_logistic_regression_round_trip(gss) -> None:  # noqa: ANN001
    X, y = gss  # noqa: N806
    X = X[NUMERIC].fillna(0)  # noqa: N806
    _same_predictions(LogisticRegression(max_iter=500).fit(X, y), X)


def test_hist_gradient_boosting_round_trip(gss) -> None:  # noqa: ANN001
    X, y = gss  # noqa: N806
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X[NUMERIC], y)
    assert refused_types(dump_model(model)) == []  # its TreePredictor is untrusted by skops, allowed here
    _same_predictions(model, X[NUMERIC])


def test_pipeline_round_trip(gss) -> None:  # noqa: ANN001
    X, y = gss  # noqa: N806
    prep = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler(), FunctionTransformer(np.tanh)), NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), ["gender", "wrkstat", "educcat"]))
    _same_predictions(make_pipeline(prep, LogisticRegression(max_iter=500)).fit(X, y), X)


def test_rule_baseline_round_trip(gss) -> None:  # noqa: ANN001
    X, y = gss  # noqa: N806
    _same_predictions(RuleBaseline("prestg10 > 50").fit(X, y), X)


def test_a_class_from_a_foreign_module_is_refused_without_building_it() -> None:
    BUILT.clear()
    data = dump_model(Evil())
    name = f"{Evil.__module__}.Evil"
    with pytest.raises(UnsafeArtifact, match=f"holds types Steward does not load: \\['{name}'\\].*trusted=True"):
        load_model(data)
    assert refused_types(data) == [name]
    assert BUILT == []
    loaded = load_model(data, trusted=True)  # the explicit opt-in builds it, running its code
    assert isinstance(loaded, Evil) and BUILT == ["echo pwned"]


@pytest.mark.parametrize("module", ["steward_payload_module", "sklearnx"])
def test_a_foreign_module_is_never_imported(tmp_path, monkeypatch, module: str) -> None:  # noqa: ANN001
    marker = tmp_path / "marker.txt"
    (tmp_path / f"{module}.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('imported')\n"
        "class Payload:\n"
        "    def __setstate__(self, state):\n"
        f"        pathlib.Path({str(marker)!r}).write_text('built')\n"
        "        self.__dict__.update(state)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    payload = __import__(module).Payload()
    payload.answer = 42
    data = dump_model(payload)
    del sys.modules[module]
    marker.unlink()

    with pytest.raises(UnsafeArtifact, match=f"\\['{module}.Payload'\\]"):
        load_model(data)
    assert not marker.exists() and module not in sys.modules  # not imported, let alone built

    loaded = load_model(data, trusted=True)
    assert loaded.answer == 42 and marker.read_text() == "built"
    del sys.modules[module]


@pytest.mark.parametrize("func", [os.system, eval, np.testing.runstring], ids=["os.system", "eval", "runstring"])
def test_a_dangerous_function_is_refused(func) -> None:  # noqa: ANN001
    data = dump_model(FunctionTransformer(func))
    (name,) = refused_types(data)
    assert name.endswith(func.__name__)
    with pytest.raises(UnsafeArtifact, match=name):
        load_model(data)
    assert load_model(data, trusted=True).func is func


def _rewrite(data: bytes, edit) -> bytes:  # noqa: ANN001
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        files = {n: src.read(n) for n in src.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema)
    files["schema.json"] = json.dumps(schema).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for n, content in files.items():
            dst.writestr(n, content)
    return out.getvalue()


def test_a_function_re_exported_by_an_allowed_package_is_refused() -> None:
    from urllib.request import urlretrieve

    def point_at_urlretrieve(schema: dict) -> None:
        schema["content"]["content"]["func"].update({"__module__": "sklearn.datasets._base",
                                                     "__class__": "urlretrieve"})

    data = _rewrite(dump_model(FunctionTransformer(np.log1p)), point_at_urlretrieve)
    assert refused_types(data) == ["sklearn.datasets._base.urlretrieve"]
    with pytest.raises(UnsafeArtifact, match="sklearn.datasets._base.urlretrieve"):
        load_model(data)
    assert load_model(data, trusted=True).func is urlretrieve


@pytest.mark.skipif(importlib.util.find_spec("lightgbm") is not None, reason="lightgbm is installed")
def test_a_model_of_an_allowed_package_not_installed_says_what_to_install() -> None:
    def point_at_lightgbm(schema: dict) -> None:
        schema.update({"__module__": "lightgbm.sklearn", "__class__": "LGBMClassifier"})

    data = _rewrite(dump_model(LogisticRegression()), point_at_lightgbm)
    with pytest.raises(InvalidInput, match="needs lightgbm, which is not installed here: pip install lightgbm"):
        load_model(data)


def test_allowed_packages_and_bad_input() -> None:
    assert ALLOWED_PACKAGES == ("lightgbm", "mlsteward", "numpy", "scipy", "sklearn", "xgboost")
    with pytest.raises(InvalidInput, match="not a skops model file"):
        load_model(b"not a zip file")
    with pytest.raises(InvalidInput, match="a stored model is bytes"):
        load_model("model.skops")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="lambda"):
        dump_model(FunctionTransformer(lambda x: x))
