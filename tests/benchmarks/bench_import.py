"""Import speed and memory: our `import_file` against plain pandas + sqlite3 pipelines.

Run: `python -m tests.benchmarks.bench_import [--rows N]` (default 1,000,000 viewer rows).

Timed in one run, each into a fresh SQLite database with the project's schema (migrations,
indexes and foreign keys included, the app's connection PRAGMAs):

(a) `storage.importers.import_file` — detection, hashing, validation of every cell, chunked
    writes through the bulk-insert repository functions, one transaction;
(b) `pandas.read_csv` + raw `sqlite3` `executemany` of the same rows (no checks at all);
(c) `pandas.read_csv` + `DataFrame.to_sql`.

Each is printed with its ratio to (b); the target is (a) ≤ 1.5 × (b) and (a) < (c).
Peak memory (VmHWM of a fresh subprocess per case) is measured for (a) at two chunk
sizes and two file sizes, and for (b) at the two file sizes, to show that the import's
memory follows the chunk size, not the file size.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["main"]

_COLUMNS = {  # file header → viewer_row column
    "user_id": "user_id",
    "watch_time": "watch_time_s",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "purchase_frequency": "purchase_count",
    "purchase_amount": "purchase_amount",
    "buy_power": "spend",
}


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A viewers CSV in the article's format with `rows` rows."""
    rng = np.random.default_rng(seed)
    history = rng.poisson(0.7, rows)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i:09d}" for i in range(rows)],
            "watch_time": rng.exponential(220.0, rows).round(1),
            "likes": rng.poisson(8, rows),
            "comments": rng.poisson(2, rows),
            "shares": rng.poisson(0.2, rows),
            "purchase_frequency": history,
            "purchase_amount": (history * rng.gamma(2.0, 60.0, rows)).round(2),
            "buy_power": ((rng.random(rows) < 0.05) * rng.gamma(2.0, 50.0, rows)).round(2),
        }
    )
    frame.to_csv(path, index=False)


def _fresh_db(path: Path) -> tuple[int, int, int]:
    """A migrated database with one workspace, session and import record: their ids."""
    from sqlmodel import Session

    from storage import repositories as repo
    from storage.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as s:
        ws = repo.get_or_create_workspace(
            s, chat_id=1, chat_type="private", title=None, language="en", timezone="UTC"
        )
        assert ws.id is not None
        live = repo.open_session(
            s, workspace_id=ws.id, title="bench", started_at=datetime(2026, 11, 20, tzinfo=UTC)
        )
        assert live.id is not None
        record = repo.create_import(
            s, workspace_id=ws.id, kind="viewers", content_hash="baseline", rows=0
        )
        assert record.id is not None
        s.commit()
        ids = (ws.id, live.id, record.id)
    engine.dispose()
    return ids


def _count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT count(*) FROM viewer_row").fetchone()[0])


def run_ours(csv_path: Path, db: Path, chunk_rows: int, ids: tuple[int, int, int]) -> float:
    """(a) on a database made by `_fresh_db` (whose ids are `ids`): seconds."""
    from storage.engine import make_engine, session_scope
    from storage.importers.importer import import_file

    workspace_id, session_id, _ = ids
    engine = make_engine(f"sqlite:///{db}")
    start = time.perf_counter()
    with session_scope(engine) as s:
        result = import_file(
            s,
            workspace_id=workspace_id,
            data=csv_path,
            filename=csv_path.name,
            session_id=session_id,
            chunk_rows=chunk_rows,
            max_bytes=None,
        )
    elapsed = time.perf_counter() - start
    engine.dispose()
    assert result.rows == _count(db)
    return elapsed


def _app_connection(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db)
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=5000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


def run_raw(csv_path: Path, db: Path, ids: tuple[int, int, int]) -> float:
    """(b) on a database made by `_fresh_db`: seconds."""
    _, session_id, import_id = ids
    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype={"user_id": str})
    names = ["session_id", "import_id", *(_COLUMNS[c] for c in frame.columns)]
    rows = [(session_id, import_id, *row) for row in frame.itertuples(index=False, name=None)]
    con = _app_connection(db)
    con.executemany(
        f"INSERT INTO viewer_row ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        rows,
    )
    con.commit()
    con.close()
    elapsed = time.perf_counter() - start
    assert _count(db) == len(frame)
    return elapsed


def run_to_sql(csv_path: Path, db: Path, ids: tuple[int, int, int]) -> float:
    """(c) on a database made by `_fresh_db`: seconds."""
    from sqlalchemy import create_engine, event

    _, session_id, import_id = ids
    engine = create_engine(f"sqlite:///{db}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype={"user_id": str}).rename(columns=_COLUMNS)
    frame.insert(0, "import_id", import_id)
    frame.insert(0, "session_id", session_id)
    frame.to_sql("viewer_row", engine, if_exists="append", index=False)
    elapsed = time.perf_counter() - start
    engine.dispose()
    assert _count(db) == len(frame)
    return elapsed


# --------------------------------------------------------------------------------- memory


def _peak_kib() -> int:
    """This process's peak resident memory in KiB (VmHWM: reset by exec, unlike ru_maxrss,
    which a child inherits from the parent it was forked from)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child(args: argparse.Namespace) -> None:
    """Run one variant in this (fresh) process and print its peak memory as JSON."""
    import storage.importers.importer  # noqa: F401 - imports count in the baseline
    from storage.engine import make_engine  # noqa: F401

    db = Path(args.db)
    ids = (args.ids[0], args.ids[1], args.ids[2])
    before = _peak_kib()
    if args.child == "ours":
        seconds = run_ours(Path(args.csv), db, args.chunk, ids)
    else:
        seconds = run_raw(Path(args.csv), db, ids)
    after = _peak_kib()
    print(json.dumps({"before_kib": before, "peak_kib": after, "seconds": seconds}))


def _measure(variant: str, csv_path: Path, db: Path, chunk: int) -> dict[str, float]:
    ids = _fresh_db(db)
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_import", "--child", variant,
         "--csv", str(csv_path), "--db", str(db), "--chunk", str(chunk),
         "--ids", *map(str, ids)],
        capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{variant} on {csv_path.name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="chunk rows for (a)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory table")
    parser.add_argument("--child", choices=("ours", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--ids", type=int, nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    with tempfile.TemporaryDirectory(prefix="livehost-bench-") as tmp:
        folder = Path(tmp)
        big = folder / f"viewers_{args.rows}.csv"
        start = time.perf_counter()
        generate(big, args.rows)
        size_mb = big.stat().st_size / 1e6
        print(f"generated {args.rows:,} viewer rows ({size_mb:.1f} MB) "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip

        dbs = {name: folder / f"{name}.db" for name in "abc"}
        ids = {name: _fresh_db(path) for name, path in dbs.items()}
        times = {
            "(a) import_file": run_ours(big, dbs["a"], args.chunk, ids["a"]),
            "(b) read_csv + sqlite3 executemany": run_raw(big, dbs["b"], ids["b"]),
            "(c) read_csv + DataFrame.to_sql": run_to_sql(big, dbs["c"], ids["c"]),
        }
        base = times["(b) read_csv + sqlite3 executemany"]
        print(f"\n{'variant':<40}{'seconds':>10}{'× (b)':>9}{'rows/s':>12}")
        for name, seconds in times.items():
            print(f"{name:<40}{seconds:>10.2f}{seconds / base:>9.2f}{args.rows / seconds:>12,.0f}")
        ours, to_sql = times["(a) import_file"], times["(c) read_csv + DataFrame.to_sql"]
        print(f"\ntarget (a) <= 1.5 x (b): {'met' if ours <= 1.5 * base else 'NOT met'}"
              f" ({ours / base:.2f}); (a) < (c): {'met' if ours < to_sql else 'NOT met'}")  # fmt: skip

        if args.no_memory:
            return 0
        small_rows = max(args.rows // 4, 1)
        small = folder / f"viewers_{small_rows}.csv"
        generate(small, small_rows)
        print("\npeak memory (VmHWM of a fresh process; growth = peak - before the run)")
        print(f"{'variant':<34}{'file rows':>10}{'file MB':>9}{'chunk':>9}"
              f"{'peak MB':>9}{'growth MB':>11}")  # fmt: skip
        cases = [("ours", path, chunk) for chunk in (10_000, 100_000) for path in (small, big)] + [
            ("raw", path, 0) for path in (small, big)
        ]
        for i, (variant, path, chunk) in enumerate(cases):
            m = _measure(variant, path, folder / f"mem{i}.db", chunk)
            rows = small_rows if path == small else args.rows
            label = "(a) import_file" if variant == "ours" else "(b) read_csv + executemany"
            print(f"{label:<34}{rows:>10,}{path.stat().st_size / 1e6:>9.1f}"
                  f"{chunk or '-':>9}{m['peak_kib'] / 1024:>9.0f}"
                  f"{(m['peak_kib'] - m['before_kib']) / 1024:>11.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
