"""Benchmark of the push parser: ``python -m tests.benchmarks.bench_parse``.

Over the push corpus (tests/data/push_corpus.yaml), printed side by side:

* how many messages each reader gets exactly right (the values stored), and
* the time to read one message (mean and p95 over repeated passes),

for `bot.statparse.parse_stats` and a naive reader: `label[=:]number[万k w]` pairs found by
one regular expression over the same labels (label before the number only, no units, no
currencies, no bounds) — what a first attempt at the job looks like.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.statparse import ALIASES, parse_stats

CORPUS = Path(__file__).resolve().parents[1] / "data" / "push_corpus.yaml"
_ALIASES = sorted(
    ((a.lower(), k) for k, aliases in ALIASES.items() for a in aliases), key=lambda p: -len(p[0])
)
_NAIVE = re.compile(
    "(" + "|".join(re.escape(a) for a, _ in _ALIASES) + r")\s*[=:：]?\s*([0-9][0-9.,]*)([万kw]?)"
)
_KEY = dict(_ALIASES)
_SCALE = {"": 1.0, "万": 1e4, "w": 1e4, "k": 1e3}


def naive(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for label, number, mult in _NAIVE.findall(text.lower()):
        try:
            out[_KEY[label]] = float(number.replace(",", "")) * _SCALE[mult]
        except ValueError:
            continue
    return out


def _right(values: dict[str, float], expected: dict[str, Any]) -> bool:
    return set(values) == set(expected) and all(
        math.isclose(values[k], float(v), rel_tol=1e-9, abs_tol=1e-9) for k, v in expected.items()
    )


def _timing(fn: Any, texts: list[str], passes: int) -> tuple[float, float]:
    per_message = []
    for _ in range(passes):
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            per_message.append(time.perf_counter() - t0)
    arr = np.array(per_message) * 1e6
    return float(arr.mean()), float(np.percentile(arr, 95))


def main() -> None:
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    texts = [c["text"] for c in corpus]
    ours_right = sum(_right(parse_stats(c["text"]).values, c["values"]) for c in corpus)
    naive_right = sum(_right(naive(c["text"]), c["values"]) for c in corpus)
    ours_mean, ours_p95 = _timing(lambda s: parse_stats(s), texts, passes=20)
    naive_mean, naive_p95 = _timing(naive, texts, passes=20)
    print(f"corpus: {len(corpus)} messages")
    print(f"{'reader':<12}{'right':>10}{'mean µs':>10}{'p95 µs':>10}")
    print(f"{'statparse':<12}{ours_right:>10}{ours_mean:>10.1f}{ours_p95:>10.1f}")
    print(f"{'naive regex':<12}{naive_right:>10}{naive_mean:>10.1f}{naive_p95:>10.1f}")


if __name__ == "__main__":
    main()
