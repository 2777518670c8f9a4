"""Property: no value the value parser accepts is non-finite or outside its field's bounds.

Whatever text (or number, as pandas reads a CSV) a cell holds, what comes out of
`convert_chunk` for a numeric column is missing (NaN) or a finite number inside
`values.FIELD_BOUNDS` for that field, and every time lies from 2015 to tomorrow.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.importers.kinds import KINDS, ColumnSpec, HeaderMatch
from storage.importers.validate import ConvertContext, convert_chunk
from storage.importers.values import (
    EARLIEST_DATE,
    FIELD_BOUNDS,
    ValueParseError,
    bounds_of,
    check_bounds,
    latest_time,
    parse_duration,
    parse_value,
)

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
NUMERIC = [
    (kind, spec)
    for kind in KINDS.values()
    for spec in kind.columns
    if spec.type in ("count", "amount", "duration")
]

# Numbers as exports and hosts write them, and as attackers do: huge exponents and digit
# runs, signs, units, currencies, percents, full-width digits.
digits = st.text("0123456789", min_size=1, max_size=420)
number_text = st.builds(
    lambda sign, cur, body, frac, exp, unit: f"{sign}{cur}{body}{frac}{exp}{unit}",
    st.sampled_from(["", "-", "+", "−"]),
    st.sampled_from(["", "¥", "￥", "$", "US$", "RMB "]),
    digits,
    st.one_of(st.just(""), digits.map(lambda d: "." + d[:20])),
    st.one_of(st.just(""), st.integers(-999, 999).map(lambda e: f"e{e}")),
    st.sampled_from(["", "k", "w", "万", "亿", "M", "%", "元", " s", "分", "h"]),
)
cell_text = st.one_of(
    number_text,
    st.text(max_size=30),
    st.sampled_from(["inf", "-inf", "nan", "NaN", "1e309", "-1e309", "Infinity", "--", ""]),
    st.from_regex(r"[0-9]{1,4}:[0-9]{1,2}(:[0-9]{1,2})?", fullmatch=True),
)
cell_number = st.floats(allow_nan=True, allow_infinity=True)


@given(cell_text)
def test_parse_value_and_parse_duration_give_only_finite_numbers(text: str) -> None:
    for read in (lambda t: parse_value(t), parse_duration):
        try:
            out = read(text)
        except ValueParseError:
            continue
        if out is None:
            continue
        value = out if isinstance(out, float) else out.value
        assert math.isfinite(value), (text, value)


@given(st.sampled_from(sorted(FIELD_BOUNDS)), cell_number)
def test_check_bounds_accepts_only_values_inside_the_bounds(field: str, x: float) -> None:
    try:
        out = check_bounds(field, x)
    except ValueParseError:
        return
    b = FIELD_BOUNDS[field]
    assert math.isfinite(out) and b.low <= out <= b.high
    assert not b.whole or out == int(out)


def _match(kind_name: str, spec: ColumnSpec) -> HeaderMatch:
    kind = KINDS[kind_name]
    columns = {spec.name: (0, spec.name, 1.0)}
    for other in kind.columns:  # required columns present so rows are not "missing"
        if other.required and other.name != spec.name:
            columns[other.name] = (len(columns), other.name, 1.0)
    return HeaderMatch(kind, columns)


def _filler(spec: ColumnSpec, n: int) -> list[str]:
    return {"datetime": ["2026-11-20 20:00"], "text": ["u1"], "duration": ["30"]}.get(
        spec.type, ["1"]
    ) * n


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(NUMERIC),
    st.lists(st.one_of(cell_text, cell_number), min_size=1, max_size=12),
)
def test_converted_numbers_are_finite_and_inside_their_field_bounds(
    column: tuple, cells: list
) -> None:
    kind, spec = column
    match = _match(kind.name, spec)
    raw = {spec.name: pd.Series(cells, dtype=object)}
    numeric_only = all(isinstance(c, float) for c in cells)
    if numeric_only:  # as pandas' C parser hands over a numeric CSV column
        raw[spec.name] = pd.Series(cells, dtype="float64")
    for name in match.columns:
        if name != spec.name:
            other = KINDS[kind.name].column(name)
            raw[name] = pd.Series(_filler(other, len(cells)), dtype=object)
    result = convert_chunk(pd.DataFrame(raw), match, 1, ConvertContext(now=NOW))
    values = result.frame[spec.name].to_numpy(dtype="float64")
    present = values[~np.isnan(values)]
    bounds = bounds_of(spec.name, spec.type)
    assert bounds is not None
    assert np.isfinite(present).all()
    assert ((present >= bounds.low) & (present <= bounds.high)).all(), present
    if spec.type == "count":
        assert (present == np.floor(present)).all()


date_text = st.builds(
    lambda y, mo, d, h: f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:00",
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
)


@settings(max_examples=100)
@given(st.lists(st.one_of(date_text, st.text(max_size=20)), min_size=1, max_size=8))
def test_converted_times_lie_from_2015_to_tomorrow(cells: list[str]) -> None:
    kind = KINDS["sessions"]
    match = HeaderMatch(kind, {"started_at": (0, "Start Time", 1.0)})
    raw = pd.DataFrame({"started_at": pd.Series(cells, dtype=object)})
    result = convert_chunk(raw, match, 1, ConvertContext(now=NOW))
    stamps = result.frame["started_at"].dropna()
    earliest = datetime.combine(EARLIEST_DATE, datetime.min.time(), tzinfo=UTC)
    for stamp in stamps:
        assert earliest - timedelta(days=1) <= stamp.to_pydatetime() < latest_time(NOW)
