"""Benchmark of attention and buying power against truth:
``python -m tests.benchmarks analytics_attention``.

Audiences come from tests/core/generators.py (written apart from core/simulate). Each
target of the attention and buying-power work is printed against the truth and beside the
naive method of the same run:

1. Two-phase audiences (60 %×45 s + 40 %×900 s, Kuaishou-like 78 %×5 s + 22 %×528 s,
   heavy bounce 85 %×20 s + 15 %×1200 s), 20 seeds each, from viewer rows and from
   minute rows: bounce share (goal ±3 points), engaged half-life (goal ±10 %), median
   stay — beside the naive single exponential without censoring, whose half-life is all
   it has.
2. Exponential audiences, 20 seeds, no censoring column: the single model chosen (goal
   ≥ 95 %), λ within ±2 % — beside the naive λ (everyone counted as having left).
3. Fit time for 10,000 viewers (goal < 50 ms) beside the single exponential's.
4. Buying power on shoppers of several workspaces: held-out R², MAE and
   the bias of Σ predicted on held-out sessions (goal ±3 %), folds grouped by workspace —
   beside shuffled-row folds (the previous method) and the clipped sum.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from core import attention as att
from core.buying_power import (
    BuyingPowerModel,
    LinearBuyingPower,
    cv_groups,
    feature_frame,
    workspace_scales,
)
from tests.core.generators import EXPONENTIAL, MIXTURES, TWO_PHASE, audience, shoppers

SEEDS = range(20)
VIEWERS = 10_000
MINUTE_ENTRIES = 200_000


def _naive(watch: np.ndarray) -> att.AttentionEstimate | None:
    return att.from_watch_times(watch, np.zeros(len(watch), dtype=bool), two_phase=False)


def bench_mixtures() -> None:
    print("== two-phase audiences (20 seeds each): mean |error| [worst], share within goal")
    header = (
        f"{'audience':38s} {'rows':8s} {'bounce ±3pt':>20s} {'engaged HL ±10%':>22s}"
        f" {'median stay':>14s} {'naive HL vs median':>20s} {'two-phase chosen':>17s}"
    )
    print(header)
    for shape in MIXTURES:
        for rows in ("viewers", "minutes"):
            b, e, m, nv, chosen = [], [], [], [], 0
            for seed in SEEDS:
                if rows == "viewers":
                    a = audience(shape, VIEWERS, seed)
                    est = att.from_watch_times(a.viewers["watch_time_s"], a.viewers["censored"])
                else:
                    a = audience(shape, MINUTE_ENTRIES, 1_000 + seed)
                    est = att.from_minutes(a.minutes)
                naive = _naive(a.viewers["watch_time_s"].to_numpy())
                assert est is not None and naive is not None
                chosen += est.model == "two_phase"
                b.append(abs((est.bounce_share or 0.0) - shape.bounce_share))
                e.append(abs((est.engaged_half_life_s or 0.0) / shape.engaged_half_life_s - 1))
                m.append(abs((est.median_stay_s or 0.0) / shape.median_s - 1))
                nv.append(abs(naive.half_life_s / shape.median_s - 1))
            print(
                f"{shape.name:38s} {rows:8s}"
                f" {np.mean(b) * 100:5.1f}pt [{max(b) * 100:4.1f}] {np.mean(np.array(b) <= 0.03):4.0%}"
                f" {np.mean(e):7.1%} [{max(e):5.1%}] {np.mean(np.array(e) <= 0.10):4.0%}"
                f" {np.mean(m):13.1%} {np.mean(nv):19.0%} {chosen / len(SEEDS):16.0%}"
            )


def bench_exponential() -> None:
    print("\n== exponential audiences, no censoring column (20 seeds, 40,000 viewers)")
    single, ours, naive, minutes = [], [], [], []
    for seed in SEEDS:
        a = audience(EXPONENTIAL, 40_000, seed)
        w = a.viewers["watch_time_s"]
        est = att.from_watch_times(
            w, None, last_online=float(a.minutes["online"].iloc[-1]), duration_s=a.duration_s
        )
        n = _naive(w.to_numpy())
        m = att.from_minutes(audience(EXPONENTIAL, MINUTE_ENTRIES, 1_000 + seed).minutes)
        assert est is not None and n is not None and m is not None
        single += [est.model == "single", m.model == "single"]
        ours.append(est.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
        naive.append(n.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
        minutes.append(m.lambda_per_s / EXPONENTIAL.lambda_per_s - 1)
    print(f"  single model chosen (viewer + minute rows): {np.mean(single):.0%}  (goal ≥ 95 %)")
    for name, errs in (
        ("ours, censoring inferred", ours),
        ("minute rows", minutes),
        ("naive: everyone left", naive),
    ):
        errs_a = np.abs(errs)
        print(
            f"  λ {name:26s} mean error {np.mean(errs):+6.2%}  worst |{errs_a.max():.2%}|"
            f"  within ±2 %: {np.mean(errs_a <= 0.02):.0%}"
        )


def bench_speed() -> None:
    print("\n== fit time, 10,000 viewers (median of 20)")
    a = audience(TWO_PHASE, 10_000, 0)
    w, c = a.viewers["watch_time_s"].to_numpy(), a.viewers["censored"].to_numpy()
    att.fit_two_phase_viewers(w, c)
    for name, fn in (
        ("two-phase + BIC + KS", lambda: att.from_watch_times(w, c)),
        ("single exponential", lambda: att.from_watch_times(w, c, two_phase=False)),
    ):
        times = []
        for _ in range(20):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        print(f"  {name:22s} {np.median(times) * 1000:7.1f} ms  (goal < 50 ms)")
    m = audience(TWO_PHASE, MINUTE_ENTRIES, 0).minutes
    start = time.perf_counter()
    att.from_minutes(m)
    print(f"  minute rows (120 min)  {(time.perf_counter() - start) * 1000:7.1f} ms")


def bench_buying_power() -> None:
    print("\n== buying power: 6 workspaces × 5 sessions × 300 viewers")
    v, ws, ss = shoppers(workspaces=6, sessions=5, viewers=300, seed=21)
    X, y = feature_frame(v), v["spend"].to_numpy()
    grouped = BuyingPowerModel(cv=5).fit(X, y, groups=cv_groups(ws, ss, 5))
    shuffled = BuyingPowerModel(cv=5).fit(X, y)
    print(f"  {'folds':28s} {'model':9s} {'R²':>7s} {'MAE':>9s} {'Σ pred bias':>12s}")
    for label, m in (("grouped by workspace", grouped), ("shuffled rows (previous)", shuffled)):
        for name, s in m.cv_scores_.items():
            print(f"  {label:28s} {name:9s} {s['r2']:7.3f} {s['mae']:9.2f} {s['bias']:+11.2%}")
    print(f"  chosen on grouped folds: {grouped.chosen_}; on shuffled rows: {shuffled.chosen_}")
    # the clipped sum the report used to show, on each held-out workspace
    kf = KFold(n_splits=4, shuffle=True, random_state=0)
    work = np.unique(ws)
    raw, clipped, actual = 0.0, 0.0, 0.0
    for train_w, test_w in kf.split(work):
        train, test = np.isin(ws, work[train_w]), np.isin(ws, work[test_w])
        pred = LinearBuyingPower().fit(X[train], y[train]).predict(X[test])
        raw += pred.sum()
        clipped += np.clip(pred, 0, None).sum()
        actual += y[test].sum()
    print(
        f"  held-out workspaces, linear: Σ predicted {raw / actual - 1:+.2%} (ours, unclipped)"
        f" vs {clipped / actual - 1:+.2%} clipped at 0 first (previous)"
    )
    # workspaces in different currencies: each held out, predicted by the others
    factors = np.array([0.01, 0.1, 1.0, 10.0, 100.0, 1.0])[ws]
    priced = v.assign(purchase_amount=v["purchase_amount"] * factors, spend=v["spend"] * factors)
    Xc, yc = feature_frame(priced), priced["spend"].to_numpy(float)
    print("  currencies ×0.01…×100, held-out workspace Σ predicted / Σ actual − 1 (linear):")
    print(f"  {'workspace':>10s} {'×':>7s} {'naive':>12s} {'ours':>9s} {'ours, one currency':>19s}")
    worst_naive = worst_ours = 0.0
    for w in work:
        test = ws == w
        naive = LinearBuyingPower().fit(Xc[~test], yc[~test]).predict(Xc[test])
        scaled = BuyingPowerModel(candidate="linear").fit(
            Xc[~test], yc[~test], scale=workspace_scales(priced[~test], ws[~test])
        )
        ours = scaled.predict(Xc[test])
        one = BuyingPowerModel(candidate="linear").fit(
            X[~test], y[~test], scale=workspace_scales(v[~test], ws[~test])
        )
        b_naive = naive.sum() / yc[test].sum() - 1
        b_ours = ours.sum() / yc[test].sum() - 1
        b_one = one.predict(X[test]).sum() / y[test].sum() - 1
        worst_naive, worst_ours = max(worst_naive, abs(b_naive)), max(worst_ours, abs(b_ours))
        print(
            f"  {int(w):>10d} {factors[test][0]:>7g} {b_naive:>+12.1%} {b_ours:>+9.1%} "
            f"{b_one:>+19.1%}"
        )
    print(f"  largest |bias|: naive {worst_naive:.1%}, ours {worst_ours:.1%}")


def main() -> None:
    with threadpool_limits(limits=1):
        bench_mixtures()
        bench_exponential()
        bench_speed()
        bench_buying_power()


if __name__ == "__main__":
    main()
