"""What the side-by-side benchmarks share: timing, logging, optional profiling, `--only`, the table."""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from contextlib import contextmanager
from pathlib import Path


def clock() -> float:
    return time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


@contextmanager
def timed_region(profile_to: Path | None):
    """Collect garbage first (so a pending collection is not charged to the next tool); optionally
    profile the region with cProfile and dump it to ``profile_to`` (.pstats) plus a text summary."""
    gc.collect()
    prof = cProfile.Profile() if profile_to else None
    if prof:
        prof.enable()
    try:
        yield
    finally:
        if prof:
            prof.disable()
            prof.dump_stats(str(profile_to))
            with open(profile_to.with_suffix(".txt"), "w") as out:
                stats = pstats.Stats(prof, stream=out)
                stats.sort_stats("cumulative").print_stats(40)
                stats.sort_stats("tottime").print_stats(30)


def profile_path(args: argparse.Namespace, name: str) -> Path | None:
    return args.profile_dir / f"steward-{name}.pstats" if args.profile_dir else None


def chosen_scenarios(parser: argparse.ArgumentParser, args: argparse.Namespace, scenarios: dict) -> list[int]:
    """The scenario numbers `--only` names (repeatable or comma-separated); all of them by default."""
    only = {int(x) for item in args.only for x in item.split(",") if x.strip()}
    if only - set(scenarios):
        parser.error(f"--only takes scenario numbers {sorted(scenarios)}")
    return sorted(only or scenarios)


def text_table(head: tuple[str, ...], rows: list[tuple], results: list[dict]) -> str:
    """Aligned columns, then each result's notes."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]

    def line(cells: tuple) -> str:
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))

    out = [line(head), "-+-".join("-" * w for w in widths), *map(line, rows)]
    for r in results:
        out.extend(f"  [{r['id']}] {note}" for note in r["notes"])
    return "\n".join(out)
