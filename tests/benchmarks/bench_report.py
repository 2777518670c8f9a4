"""Benchmark of the session report: ``python -m tests.benchmarks.bench_report``.

Prints the time of the full report (figures, segments, buying-power scores from the
linear baseline fitted on the spot, the four charts) for 100,000 viewers and 720 minute
rows, the time of each chart, how the report grows from 10k to 1M viewers, and the
article's approach (a linear regression refitted for every row) beside one fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from core import charts
from core.buying_power import LinearBuyingPower, feature_frame
from core.report import build_report
from core.simulate import simulate_stream, simulate_viewers

REPORT_TARGET_S = 1.5
CHART_TARGET_MS = 80.0


def _best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _article_per_row(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The article's loop: a fresh fit on the whole table for every row, O(n²)."""
    pred = np.empty(len(y))
    for i in range(len(y)):
        pred[i] = LinearRegression().fit(X, y).predict(X[i : i + 1])[0]
    return pred


def main() -> None:
    stream = simulate_stream(seed=7, minutes=720, viewers_scale=1.0)
    minutes = stream.minutes
    snapshots = stream.snapshots
    viewers = simulate_viewers(100_000, seed=7, duration_s=720 * 60)

    # warm up imports, font lookup and caches
    warm = build_report(minutes=minutes.head(30), viewers=viewers.head(2_000))
    charts.summary_charts(warm, "en")

    def full() -> dict[str, bytes]:
        report = build_report(
            minutes=minutes,
            viewers=viewers,
            snapshots=snapshots,
            started_at=stream.started_at,
            ended_at=stream.ended_at,
        )
        return charts.summary_charts(report, "en")

    t_full, pngs = _best(full)
    assert len(pngs) == 4
    print(
        f"report 100k viewers + 720 minute rows, with 4 charts: {t_full:.2f} s "
        f"(target {REPORT_TARGET_S} s)"
    )
    t_figs, report = _best(
        lambda: build_report(
            minutes=minutes,
            viewers=viewers,
            snapshots=snapshots,
            started_at=stream.started_at,
            ended_at=stream.ended_at,
        )
    )
    print(f"  of which figures, segments, buying power: {t_figs:.2f} s")

    c = report.charts
    for name, fn in (
        ("online", lambda: charts.online_chart(c.online, "en")),
        ("retention", lambda: charts.retention_chart(c.retention, "en")),
        ("funnel", lambda: charts.funnel_chart(c.funnel, "en")),
        ("buying_power", lambda: charts.buying_power_chart(c.buying_power, "en")),
        (
            "digest",
            lambda: charts.digest_chart(
                pd.DataFrame(
                    {
                        "date": pd.date_range("2026-11-01", periods=14),
                        "gmv": np.linspace(1e4, 5e4, 14),
                        "half_life_s": np.linspace(180, 320, 14),
                    }
                ),
                "en",
            ),
        ),
    ):
        t, png = _best(fn, repeat=5)
        print(
            f"chart {name}: {t * 1000:.0f} ms (target {CHART_TARGET_MS:.0f} ms), "
            f"{len(png) / 1024:.0f} KiB"
        )

    print("scaling (report without charts; minutes fixed at 720 rows):")
    prev: float | None = None
    big = simulate_viewers(1_000_000, seed=11, duration_s=720 * 60)
    for n in (10_000, 100_000, 1_000_000):
        v = big.iloc[:n].reset_index(drop=True)

        def run(v: pd.DataFrame = v) -> Any:
            return build_report(minutes=minutes, viewers=v)

        t, _ = _best(run, repeat=2)
        ratio = f", ×{t / prev:.1f} for ×10 rows" if prev else ""
        print(f"report {n // 1000}k viewers: {t:.2f} s ({t / n * 1e6:.2f} µs/row{ratio})")
        prev = t

    print("article's approach (refit per row) vs one fit:")
    per_row_times = {}
    for n in (1_000, 2_000):
        v = simulate_viewers(n, seed=5)
        X = feature_frame(v).to_numpy(float)
        y = v["spend"].to_numpy(float)

        def loop(X: np.ndarray = X, y: np.ndarray = y) -> np.ndarray:
            return _article_per_row(X, y)

        def once(X: np.ndarray = X, y: np.ndarray = y) -> np.ndarray:
            return LinearBuyingPower().fit(X, y).predict(X)

        t_loop, pred_loop = _best(loop, repeat=1)
        t_once, model = _best(once, repeat=5)
        assert np.allclose(pred_loop, model, atol=1e-6)  # same answer, n fits instead of one
        per_row_times[n] = t_loop
        print(
            f"  {n:,} rows: per-row refit {t_loop:.2f} s ({t_loop / n * 1e6:.0f} µs/row), "
            f"one fit {t_once * 1000:.1f} ms ({t_once / n * 1e6:.2f} µs/row) "
            f"→ {t_loop / t_once:.0f}× slower"
        )
    growth = per_row_times[2_000] / per_row_times[1_000]
    est_100k = per_row_times[2_000] * (100_000 / 2_000) ** 2
    print(f"  refit loop ×{growth:.1f} for ×2 rows (O(n²)); at 100k rows ≈ {est_100k / 3600:.1f} h")


if __name__ == "__main__":
    main()
