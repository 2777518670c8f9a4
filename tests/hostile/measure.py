"""Import one file in a fresh process and say what it cost: `python -m tests.hostile.measure
FILE [--max-bytes N] [--no-ratio]` prints one JSON line.

The process first imports a small valid file (so modules, caches and the database are warm),
then reads its peak resident size (`_peak_mb`), imports FILE through `import_file` into a
fresh SQLite database in one transaction, and reads the peak again. `growth_mb` is what FILE
added to the peak; `seconds` is the wall time of its import alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from storage import repositories as repo
from storage.engine import make_engine, upgrade
from storage.importers import ImportRejected, import_file

STARTED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
_WARM = b"user_id,watch_time,likes\nw1,30,1\nw2,40,2\n"


def _peak_mb() -> float:
    """This process's peak resident size. Linux: `VmHWM`, the peak of this program's own
    memory (`ru_maxrss` keeps the peak of the process before exec, e.g. the test runner's,
    and would hide any growth below it); elsewhere `ru_maxrss`."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--max-bytes", type=int, default=None)
    parser.add_argument(
        "--no-ratio", action="store_true", help="lift the ZIP ratio limit (the next checks)"
    )
    args = parser.parse_args(argv)
    if args.no_ratio:
        from storage.importers import guard

        guard.MAX_RATIO = 10**9  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'measure.db'}")
        upgrade(engine)
        with Session(engine) as s:
            ws = repo.get_or_create_workspace(
                s, chat_id=1, chat_type="private", title=None, language="en", timezone="UTC"
            )
            assert ws.id is not None
            live = repo.open_session(s, workspace_id=ws.id, title="t", started_at=STARTED)
            assert live.id is not None
            import_file(
                s, workspace_id=ws.id, data=_WARM, filename="warm.csv", session_id=live.id, now=NOW
            )
            s.commit()
            ids = (ws.id, live.id)
        import openpyxl.reader.excel  # noqa: F401 - loaded before the baseline, as in the bot

        before = _peak_mb()
        start = time.perf_counter()
        out: dict[str, object] = {}
        with Session(engine) as s:
            try:
                result = import_file(
                    s,
                    workspace_id=ids[0],
                    data=args.file,
                    filename=args.file.name,
                    session_id=ids[1],
                    now=NOW,
                    max_bytes=args.max_bytes,
                )
                s.commit()
                out.update(
                    ok=True, rows=result.rows, duplicates=getattr(result, "duplicates", None)
                )
            except ImportRejected as exc:
                s.commit()  # a refusal leaves nothing even when the caller commits
                out.update(
                    ok=False, code=exc.code, params={k: str(v) for k, v in exc.params.items()}
                )
        out["seconds"] = round(time.perf_counter() - start, 3)
        out["growth_mb"] = round(_peak_mb() - before, 1)
        out["baseline_mb"] = round(before, 1)
        with engine.connect() as c:
            from sqlalchemy import text

            out["stored"] = {
                t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("import_record", "viewer_row")
            }
        engine.dispose()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
