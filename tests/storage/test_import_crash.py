# mypy: disable-error-code="arg-type, call-overload"
"""The importer killed with SIGKILL at random points, many times, on SQLite and PostgreSQL.

A child process imports a 200,000-row viewers CSV with `import_file` and is killed after a
seeded random delay, often while rows are written but not yet committed. After every kill
the file is in whole or not at all, and its import record (content hash) exists only with
all its rows; a finished import is taken out again so that the next run starts over. At
the end a re-upload imports the file exactly once, and one more is recognised as a duplicate.

The child prints `ready` once connected, waits for `go`, then prints the rows done after
each chunk; the next child starts while the current one runs, so start-up costs little.
Run as a script (`python -m tests.storage.test_import_crash URL FILE WORKSPACE SESSION`)
it is that child.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.engine import session_scope, upgrade
from storage.models import ImportRecord, ViewerRow
from tests.utils.factories import make_session

ROWS = 200_000
CHUNK_ROWS = 10_000
KILLS = 15
BUDGET_S = 60.0
SEED = 20240611
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)


# --------------------------------------------------------------------------- the child


def _child(url: str, schema: str, path: str, workspace_id: int, session_id: int) -> None:
    from storage.engine import make_engine
    from storage.importers import errors as import_errors
    from storage.importers.importer import import_file

    kwargs = {"connect_args": {"options": f"-c search_path={schema}"}} if schema else {}
    engine = make_engine(url, **kwargs)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    try:
        with session_scope(engine) as session:
            import_file(
                session,
                workspace_id=workspace_id,
                data=Path(path),
                filename="viewers.csv",
                session_id=session_id,
                chunk_rows=CHUNK_ROWS,
                max_bytes=None,
                progress=lambda done: print(f"rows {done}", flush=True),
            )
    except import_errors.ImportRejected as exc:
        print(f"rejected {exc.code}", flush=True)
        return
    print("committed", flush=True)


# --------------------------------------------------------------------------- the test side


@pytest.fixture(scope="module")
def viewers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(7)
    path = tmp_path_factory.mktemp("crash") / "viewers.csv"
    watch = rng.exponential(300.0, ROWS).round(1)
    likes = rng.poisson(2.0, ROWS)
    comments = rng.poisson(0.5, ROWS)
    freq = rng.poisson(0.3, ROWS)
    amount = (freq * rng.gamma(2.0, 60.0, ROWS)).round(2)
    lines = ["user_id,watch_time,likes,comments,shares,purchase_frequency,purchase_amount"]
    lines += [
        f"u{i:08d},{watch[i]},{likes[i]},{comments[i]},0,{freq[i]},{amount[i]}" for i in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _schema_of(engine: Engine) -> str:
    if engine.dialect.name != "postgresql":
        return ""
    with engine.connect() as connection:
        return str(connection.execute(sa.text("SELECT current_schema()")).scalar_one())


def _url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class Child:
    """One importer process, started ahead and waiting for `go`."""

    def __init__(self, args: list[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.storage.test_import_crash", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )

    def go(self) -> None:
        assert self.proc.stdout is not None and self.proc.stdin is not None
        line = self.proc.stdout.readline().strip()
        assert line == "ready", f"child did not start: {line!r}"
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill_after(self, delay: float) -> tuple[bool, list[str]]:
        """SIGKILL after `delay` s unless it ended; (was it killed, its output)."""
        try:
            self.proc.wait(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            killed = True
        out, _ = self.proc.communicate(timeout=30)
        return killed, out.split()

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=30)


def _state(engine: Engine) -> tuple[list[tuple[int, int]], int, dict[int | None, int]]:
    """(import records as (id, rows), viewer rows in all, viewer rows per import id)."""
    with session_scope(engine) as session:
        records = [
            (int(r.id), int(r.rows))
            for r in session.execute(sa.select(ImportRecord).order_by(ImportRecord.id)).scalars()
        ]
        per_import: dict[int | None, int] = dict(
            session.execute(
                sa.select(ViewerRow.import_id, sa.func.count()).group_by(ViewerRow.import_id)
            ).all()
        )
    total = sum(per_import.values())
    return records, total, per_import


def _check_all_or_nothing(engine: Engine) -> bool:
    """Assert the invariant; True when the file is in."""
    records, total, per_import = _state(engine)
    assert len(records) <= 1, records
    if not records:
        assert total == 0, f"{total} viewer rows without their import record"
        return False
    import_id, rows = records[0]
    assert rows == ROWS
    assert per_import == {import_id: ROWS}, per_import
    return True


def _take_out(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(sa.delete(ViewerRow))
        session.execute(sa.delete(ImportRecord))


def test_sigkilled_import_is_all_or_nothing(
    make_test_engine, backend: str, viewers_csv: Path
) -> None:
    engine = make_test_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        live = make_session(session)
        workspace_id, session_id = int(live.workspace_id), int(live.id)  # type: ignore[arg-type]
    args = [
        _url_of(engine),
        _schema_of(engine),
        str(viewers_csv),
        str(workspace_id),
        str(session_id),
    ]
    rng = random.Random(f"{SEED}-{backend}")
    started = time.monotonic()

    # one import to the end, to know how long a whole one takes here
    child = Child(args)
    child.go()
    t0 = time.monotonic()
    killed, out = child.kill_after(BUDGET_S / 2)
    full_s = time.monotonic() - t0
    assert not killed and "committed" in out, out
    assert _check_all_or_nothing(engine)
    _take_out(engine)

    runs = kills = mid_write = committed = 0
    upcoming = Child(args)
    try:
        for _ in range(KILLS):
            if time.monotonic() - started > BUDGET_S:
                break
            runs += 1
            child, upcoming = upcoming, Child(args)
            child.go()
            killed, out = child.kill_after(rng.uniform(0.0, full_s * 1.15))
            in_ = _check_all_or_nothing(engine)
            kills += killed
            if killed and not in_ and any(word == "rows" for word in out):
                mid_write += 1  # chunks were written, the kill undid them
            if in_:
                committed += 1
                _take_out(engine)
    finally:
        upcoming.cancel()

    print(
        f"{backend}: whole import {full_s:.1f} s; {runs} runs, {kills} killed "
        f"({mid_write} after writing rows, before commit), {committed} committed"
    )
    assert runs >= 6 and kills >= runs // 2, (runs, kills, committed)
    assert mid_write >= 3, f"only {mid_write} kills landed between the first chunk and commit"

    # a re-upload imports it once, and then it is a duplicate
    for expected in ("committed", "rejected"):
        child = Child(args)
        child.go()
        killed, out = child.kill_after(BUDGET_S)
        assert not killed and expected in out, out
        assert _check_all_or_nothing(engine)
    assert "duplicate" in out


if __name__ == "__main__":
    url_arg, schema_arg, path_arg, ws_arg, session_arg = sys.argv[1:6]
    _child(url_arg, schema_arg, path_arg, int(ws_arg), int(session_arg))
