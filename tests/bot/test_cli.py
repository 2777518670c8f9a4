"""The `livehost` command line: the offline demo and the stored-session report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main


def _png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big")


def test_demo_stores_a_stream_and_writes_summary_and_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", url)
    assert main(["demo", "--out", str(tmp_path / "out"), "--database", url]) == 0
    out = capsys.readouterr().out
    assert "Session #1" in out and "half-life" in out and "What to try next" in out
    charts = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    # a funnel needs three stages of people; the simulated files give views and buyers only
    assert {"buying_power.png", "online.png", "retention.png"} <= set(charts)
    assert all(_png_width(p) >= 800 for p in (tmp_path / "out").glob("*.png"))

    assert main(["report", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for section, key in [
        ("kpis", "gmv"),
        ("kpis", "peak_online"),
        ("kpis", "viewers"),
        ("kpis", "buyers"),
        ("kpis", "gpm"),
        ("kpis", "uv_value"),
        ("attention", "lambda_per_s"),
        ("attention", "half_life_s"),
    ]:
        assert isinstance(report[section][key], int | float), (section, key)
    # the simulated stream's watch times are exponential with λ ≈ 1/300 per second
    assert report["attention"]["lambda_per_s"] == pytest.approx(1 / 300, rel=0.25)
    assert len(report["suggestions"]) == 3


def test_demo_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--out", str(tmp_path / "out"), "--database", url, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "半衰期" in out and "下一场可以试试" in out


def test_database_may_be_given_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "here" / "demo.db"
    path.parent.mkdir()
    assert main(["demo", "--out", str(tmp_path / "out"), "--database", str(path)]) == 0
    assert "Session #1" in capsys.readouterr().out
    assert path.stat().st_size > 0


def test_report_of_an_unknown_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["report", "42"]) == 1
    assert "No session #42" in capsys.readouterr().err


def test_without_a_token_the_bare_command_runs_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIVEHOST_BOT_TOKEN", raising=False)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "offline demo" in out and "Session #1" in out
    assert (tmp_path / "demo-out" / "online.png").exists()
    assert (tmp_path / "data" / "demo.db").exists()


def test_import_from_the_command_line_uses_the_bots_code_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Path(__file__).resolve().parents[1] / "data"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["import", str(data / "tiktok_live_performance.xlsx"), "--chat", "42"]) == 0
    out = capsys.readouterr().out
    assert "24 session rows" in out and "currency is now US dollars ($)" in out
    assert main(["import", str(data / "tiktok_live_performance.xlsx"), "--chat", "42"]) == 1
    assert "already imported" in capsys.readouterr().out
    # another chat is another workspace: the same file is new there
    assert main(["import", str(data / "tiktok_live_performance.xlsx"), "--chat", "-43"]) == 0
    capsys.readouterr()
    # chat 42 counts in the file's dollars now: an export in yuan is refused there
    assert main(["import", str(data / "douyin_minutes_gbk.csv"), "--chat", "42"]) == 1
    out = capsys.readouterr().out
    assert "in Chinese yuan (¥), and this chat counts in US dollars ($)" in out
    assert main(["import", str(data / "douyin_minutes_gbk.csv"), "--chat", "44"]) == 1
    assert "no session" in capsys.readouterr().out
    assert main(["import", str(data / "broken" / "utf16.csv"), "--chat", "42"]) == 1
    assert "UTF-16" in capsys.readouterr().out


def test_report_scores_buying_power_with_the_active_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.trained_models import promote_if_better, train
    from storage.engine import make_engine

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", url)
    monkeypatch.setenv("LIVEHOST_MODELS_DIR", str(tmp_path / "models"))
    assert main(["demo", "--out", str(tmp_path / "out"), "--database", url]) == 0
    capsys.readouterr()
    assert main(["report", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["buying_power"]["source"] == "baseline"

    engine = make_engine(url)
    result = train("buying_power", engine, models_dir=tmp_path / "models")
    assert promote_if_better(result, engine, models_dir=tmp_path / "models", force=True).promoted
    assert main(["report", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["buying_power"]["source"] == "model"


def _stored_streams(url: str) -> float:
    """A workspace with two closed streams of pushes (the second is replayed); returns the
    second's final GMV."""
    from core.simulate import simulate_stream
    from storage import repositories as repo
    from storage.engine import make_engine, session_scope, upgrade
    from tests.utils.factories import make_session, make_workspace

    engine = make_engine(url)
    upgrade(engine)
    final = 0.0
    with session_scope(engine) as s:
        ws = make_workspace(s, currency="CNY")
        for k in range(2):
            stream = simulate_stream(
                seed=40 + k,
                minutes=90,
                viewers_scale=1.5,
                start=datetime(2026, 5, 1 + k, 12, tzinfo=UTC),
            )
            live = make_session(
                s, workspace=ws, closed=True, started_at=stream.started_at, ended_at=stream.ended_at
            )
            assert live.id is not None
            for i, row in stream.snapshots.iterrows():
                repo.add_snapshot(
                    s,
                    session_id=live.id,
                    ts=row["ts"].to_pydatetime(),
                    values={c: row[c] for c in ("online", "entries", "orders", "gmv")},
                    dedupe_key=f"cli:{live.id}:{i}",
                )
            final = float(stream.snapshots["gmv"].iloc[-1])
    engine.dispose()
    return final


def test_forecast_replays_a_stored_stream_beside_its_final_gmv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.trained_models import promote_if_better, train
    from storage.engine import make_engine

    url = f"sqlite:///{tmp_path / 'fc.db'}"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", url)
    monkeypatch.setenv("LIVEHOST_MODELS_DIR", str(tmp_path / "models"))
    final = _stored_streams(url)

    # without a model: the run-rate, no range
    assert main(["forecast", "2", "--at", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["actual"]["gmv"] == pytest.approx(final)
    assert out["forecast"]["method"] == "run_rate" and out["forecast"]["high"] is None
    assert out["forecast"]["gmv"] == pytest.approx(out["forecast"]["run_rate"])
    assert 0 < out["forecast"]["gmv_so_far"] < final

    # five minutes in: too early to say anything
    assert main(["forecast", "2", "--at", "5", "--json"]) == 0
    early = json.loads(capsys.readouterr().out)
    assert early["forecast"] is None and early["actual"]["gmv"] == pytest.approx(final)

    engine = make_engine(url)
    result = train("forecast", engine, models_dir=tmp_path / "models", min_streams=24)
    assert promote_if_better(result, engine, models_dir=tmp_path / "models", force=True).promoted
    engine.dispose()
    assert main(["forecast", "2", "--at", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fc = out["forecast"]
    assert fc["method"] == "model"
    assert fc["gmv_so_far"] <= fc["low"] <= fc["gmv"] <= fc["high"]
    assert out["actual"]["gmv"] == pytest.approx(final)

    assert main(["forecast", "2", "--at", "30"]) == 0
    text = capsys.readouterr().out
    assert "Session #2" in text and "expected" in text and "Actual final GMV" in text
    assert "¥" in text  # the workspace's currency on every money figure
    assert main(["forecast", "2", "--at", "30", "--lang", "zh"]) == 0
    assert "预计本场成交额" in capsys.readouterr().out

    assert main(["forecast", "9", "--at", "30"]) == 1
    assert "No session #9" in capsys.readouterr().err
    assert main(["forecast", "2", "--at", "-3"]) == 2
    assert "--at" in capsys.readouterr().err

    # a forecaster stored before retraining checked it on the shop's own streams, active
    # by the old rule: the run-rate stands in until an admin chooses it by hand
    from sqlmodel import select

    from bot.services.trained_models import rollback
    from storage.engine import session_scope
    from storage.models import ModelVersion

    engine = make_engine(url)
    with session_scope(engine) as s:
        row = s.exec(select(ModelVersion).where(ModelVersion.kind == "forecast")).one()
        row.metrics = {"mape_30m": 0.05, "held_out": "workspaces", "baseline": {}}
        s.add(row)
    assert main(["forecast", "2", "--at", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forecast"]["method"] == "run_rate"
    assert rollback("forecast", result.version, engine, models_dir=tmp_path / "models") == (
        result.version
    )
    engine.dispose()
    assert main(["forecast", "2", "--at", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forecast"]["method"] == "model"


def test_import_creates_the_stream_of_a_files_dates_and_takes_column_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Path(__file__).resolve().parents[1] / "data"
    monkeypatch.setenv("LIVEHOST_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LIVEHOST_DEFAULT_TIMEZONE", "Asia/Shanghai")
    minutes = str(data / "douyin_minutes_gbk.csv")
    assert main(["import", minutes, "--chat", "42"]) == 1
    assert "no session" in capsys.readouterr().out
    assert main(["import", minutes, "--chat", "42", "--create"]) == 0
    assert "120 minute rows as past stream #1 (11-20 20:00–22:00)" in capsys.readouterr().out
    odd = tmp_path / "viewers.csv"
    odd.write_text("用户ID,停留秒数,点赞数\nu1,10,1\nu2,20,2\n", encoding="utf-8")
    assert main(["import", str(odd), "--chat", "42"]) == 1
    assert "required columns are missing: watch_time_s" in capsys.readouterr().out
    assert main(["import", str(odd), "--chat", "42", "--map", "watch_time_s"]) == 2
    assert "field=Header" in capsys.readouterr().err
    assert main(["import", str(odd), "--chat", "42", "--map", "watch_time_s=停留秒数"]) == 0
    assert "2 viewer rows into session #1 of 2026-11-20" in capsys.readouterr().out
    # remembered for the workspace: the same layout needs no --map next time
    odd.write_text("用户ID,停留秒数,点赞数\nu3,30,3\n", encoding="utf-8")
    assert main(["import", str(odd), "--chat", "42"]) == 0
    assert "1 viewer row " in capsys.readouterr().out
    # a layout the aliases barely know (one column) takes a remembered answer too
    bare = tmp_path / "bare.csv"
    bare.write_text("用户ID,停留\nu4,40\n", encoding="utf-8")
    assert main(["import", str(bare), "--chat", "42", "--map", "watch_time_s=停留"]) == 0
    bare.write_text("用户ID,停留\nu5,50\n", encoding="utf-8")
    assert main(["import", str(bare), "--chat", "42"]) == 0
