"""Every analytics target against truth, beside the naive method of the same run:
``python -m tests.benchmarks analytics``.

Attention and buying power (:mod:`tests.benchmarks.bench_analytics_attention`), then the
live forecast and the nudges (:mod:`tests.benchmarks.bench_analytics_forecast`); each
section ends with its targets marked "met" or "NOT met". Either half runs alone by its
own name.
"""

from __future__ import annotations

from tests.benchmarks import bench_analytics_attention, bench_analytics_forecast


def main() -> None:
    print("== attention and buying power")
    bench_analytics_attention.main()
    print("\n== live forecast and nudges")
    bench_analytics_forecast.main()


if __name__ == "__main__":
    main()
