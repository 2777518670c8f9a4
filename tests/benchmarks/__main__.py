"""Run every benchmark in turn: ``python -m tests.benchmarks`` (or name some: ``… report stats``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = frozenset({"analytics_attention", "analytics_forecast"})
"""Halves of ``analytics``: run by name, not again in the whole run."""


def main() -> int:
    names = sys.argv[1:] or sorted(
        name
        for p in HERE.glob("bench_*.py")
        if (name := p.stem.removeprefix("bench_")) not in PARTS
    )
    failed = 0
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        failed += subprocess.call([sys.executable, "-m", f"tests.benchmarks.bench_{name}"]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
