"""The model registry: train, verify, promote, roll back, refuse anything that is not ours."""

from __future__ import annotations

import logging
import math
import pickle
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import skops.io as sio
from sqlalchemy.engine import Engine
from sqlmodel import select
from threadpoolctl import threadpool_limits

from bot.services import trained_models as svc
from core.buying_power import BuyingPowerModel, feature_frame
from core.forecast import StreamCase, forecast_live, make_training_set, simulated_cases
from core.forecast_model import GmvForecaster, cross_validate_forecaster
from core.model_io import ALLOWED_TYPES, ModelRefused, load_model, sha256_file
from core.simulate import simulate_stream, simulate_viewers
from storage import repositories as repo
from storage.engine import session_scope
from storage.errors import ModelVersionNotFound
from storage.models import ModelVersion, Workspace
from tests.core.stream_generators import forecast_workspaces
from tests.utils.factories import T0, make_session, make_workspace


class Payload:
    """Unpickling this runs code: it writes ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


class Stranger:
    """A type no model of ours is made of."""

    def __init__(self) -> None:
        self.note = "hello"


def _fill(engine: Engine, *, sessions: int = 3, viewers: int = 600, streams: int = 2) -> int:
    """Closed sessions with viewer rows, and some with live snapshots; returns viewer rows."""
    total = 0
    with session_scope(engine) as s:
        ws = make_workspace(s)
        for k in range(sessions):
            live = make_session(s, workspace=ws, closed=True, started_at=T0 + timedelta(days=k))
            assert live.id is not None
            frame = simulate_viewers(viewers, seed=100 + k)
            total += repo.bulk_insert_viewers(s, session_id=live.id, rows=frame)
        for k in range(streams):
            start = T0 + timedelta(days=10 + k)
            stream = simulate_stream(seed=200 + k, minutes=90, start=start)
            live = make_session(
                s, workspace=ws, closed=True, started_at=start, ended_at=stream.ended_at
            )
            assert live.id is not None
            for i, row in stream.snapshots.iterrows():
                values = {c: row[c] for c in stream.snapshots.columns if c != "ts"}
                repo.add_snapshot(
                    s,
                    session_id=live.id,
                    ts=row["ts"].to_pydatetime(),
                    values=values,
                    dedupe_key=f"t:{live.id}:{i}",
                )
    return total


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def filled(sqlite_engine: Engine) -> tuple[Engine, int]:
    return sqlite_engine, _fill(sqlite_engine)


def _row(engine: Engine, kind: str, version: int) -> ModelVersion:
    with session_scope(engine) as s:
        row = s.exec(
            select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version == version)
        ).one()
        return row


def _set(engine: Engine, kind: str, version: int, **values) -> None:
    with session_scope(engine) as s:
        row = s.exec(
            select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.version == version)
        ).one()
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


# ------------------------------------------------------------------------------ allow-list


def test_allow_list_is_exactly_what_our_models_need(tmp_path: Path) -> None:
    v = simulate_viewers(2000, seed=1)
    X, y = feature_frame(v), v["spend"]
    data = make_training_set(simulated_cases(15, seed=2))
    with threadpool_limits(limits=1, user_api="openmp"):
        objects = [
            BuyingPowerModel(candidate="linear").fit(X, y),
            BuyingPowerModel(candidate="boosting").fit(X, y),
            GmvForecaster(max_iter=20).fit(data.X, data.y),
        ]
    seen: set[str] = set()
    for i, obj in enumerate(objects):
        path = tmp_path / f"m{i}.skops"
        sio.dump(obj, path)
        untrusted = set(sio.get_untrusted_types(file=str(path)))
        assert untrusted <= set(ALLOWED_TYPES), untrusted - set(ALLOWED_TYPES)
        seen |= untrusted
    assert seen == set(ALLOWED_TYPES)  # no entry on the list that nothing uses


# --------------------------------------------------------------------------------- train


def test_train_buying_power_writes_a_verified_inactive_version(filled, models_dir) -> None:
    engine, rows = filled
    result = svc.train("buying_power", engine, models_dir=models_dir)
    assert result.version == 1 and result.rows_used == rows
    path = models_dir / "buying_power-v1.skops"
    assert result.path == path.name and sha256_file(path) == result.sha256
    row = _row(engine, "buying_power", 1)
    assert row.sha256 == result.sha256 and row.rows_used == rows and row.active is False
    assert row.metrics is not None
    for key in ("r2", "mae"):
        assert key in row.metrics and key in row.metrics["baseline"]
    assert row.metrics["r2"] >= row.metrics["baseline"]["r2"]
    assert result.beats_baseline
    assert svc.load_active("buying_power", engine, models_dir=models_dir) is None  # not yet


def test_train_refuses_without_data(sqlite_engine, models_dir) -> None:
    with pytest.raises(svc.NotEnoughData):
        svc.train("buying_power", sqlite_engine, models_dir=models_dir)
    with pytest.raises(ValueError):
        svc.train("nonsense", sqlite_engine, models_dir=models_dir)


def test_train_forecast_uses_real_sessions_and_fills_up_with_simulated(filled, models_dir) -> None:
    engine, _ = filled
    cases = svc.gather_forecast_cases(engine)
    assert len(cases) == 2
    assert cases[0].history is None and cases[1].history is not None  # the second knows the first
    result = svc.train("forecast", engine, models_dir=models_dir, min_streams=40)
    m = result.metrics
    assert m["real_streams"] == 2 and m["simulated_streams"] == 38
    # the figures are the two real streams', each forecast by a model that did not see it
    assert m["held_out"] == "real_streams" and m["real_folds"] == {"by": "streams", "folds": 2}
    for key in ("r2", "mae", "mape_15m", "mape_30m", "mape_60m"):
        assert key in m and key in m["baseline"]
    # the interval's folds hold whole workspaces out: the real one and each simulated one
    assert cases[0].group == cases[1].group is not None
    sim_groups = {c.group for c in simulated_cases(38, seed=svc.SIMULATION_SEED)}
    folds = m["interval_folds"]
    assert folds["by"] == "groups" and folds["groups"] == 1 + len(sim_groups)
    # two real streams cannot show it beats the run-rate on the shop's own streams
    kept = svc.promote_if_better(result, engine, models_dir=models_dir)
    assert not kept.promoted and kept.reason == "few_real" and not result.beats_baseline
    promoted = svc.promote_if_better(result, engine, models_dir=models_dir, force=True)
    assert promoted.promoted and promoted.reason == "forced"
    loaded = svc.load_active("forecast", engine, models_dir=models_dir)
    assert loaded is not None and isinstance(loaded.model, GmvForecaster)
    s = simulate_stream(seed=999, minutes=120)
    f = forecast_live(
        s.snapshots, s.started_at, s.started_at + timedelta(minutes=30), 7200, model=loaded.model
    )
    assert f is not None and f.method == "model" and math.isfinite(f.value)


def _store_streams(engine: Engine, cases: list[StreamCase]) -> None:
    """Finished streams as closed sessions with their pushes, a workspace per group."""
    spaces: dict[object, Workspace] = {}
    with session_scope(engine) as s:
        for case in cases:
            ws = spaces.get(case.group)
            if ws is None:
                ws = spaces[case.group] = make_workspace(s, chat_id=-1000 - len(spaces))
            end = case.started_at + timedelta(seconds=case.planned_s)
            live = make_session(
                s, workspace=ws, closed=True, started_at=case.started_at, ended_at=end
            )
            assert live.id is not None
            for i, row in case.frame.iterrows():
                values = {
                    c: row[c] for c in ("online", "entries", "orders", "gmv") if row[c] == row[c]
                }
                ts = row["ts"]
                repo.add_snapshot(
                    s, session_id=live.id, ts=ts, values=values, dedupe_key=f"t:{live.id}:{i}"
                )
            # the final GMV where the stream ended, as a last push would say it
            repo.add_snapshot(
                s,
                session_id=live.id,
                ts=end,
                values={"gmv": case.final_gmv},
                dedupe_key=f"e:{live.id}",
            )


def test_a_forecaster_that_only_simulated_streams_vouch_for_is_not_promoted(
    sqlite_engine, models_dir
) -> None:
    """Shops whose sales come in flash spikes, unlike any simulated stream: folds over all
    streams, mostly simulated, say the model beats the run-rate; on the shops' own streams,
    held out, it is worse — and that decides."""
    real = forecast_workspaces(2, seed=5, shapes=("spiky",))
    _store_streams(sqlite_engine, real)
    result = svc.train("forecast", sqlite_engine, models_dir=models_dir, min_streams=120)
    m = result.metrics
    assert m["real_streams"] == len(real) == 12 and m["simulated_streams"] == 108
    assert m["mape_30m"] > m["baseline"]["mape_30m"] and not result.beats_baseline
    kept = svc.promote_if_better(result, sqlite_engine, models_dir=models_dir)
    assert not kept.promoted and kept.reason == "baseline"
    with session_scope(sqlite_engine) as s:
        assert repo.active_model_version(s, kind="forecast") is None
    # what the folds over every stream said
    cases = svc.gather_forecast_cases(sqlite_engine)
    mixed = make_training_set(
        [*cases, *simulated_cases(108, seed=svc.SIMULATION_SEED)], svc.TRAIN_HORIZONS
    )
    with threadpool_limits(limits=1):
        everything = cross_validate_forecaster(mixed, GmvForecaster(n_splits=1))
    assert everything["mape_30m"] < everything["baseline"]["mape_30m"]


def test_a_forecaster_better_on_the_shops_own_streams_is_promoted_with_their_interval(
    sqlite_engine, models_dir
) -> None:
    real = forecast_workspaces(2, seed=5, shapes=("flat", "late_promo"))
    _store_streams(sqlite_engine, real)
    result = svc.train("forecast", sqlite_engine, models_dir=models_dir, min_streams=120)
    m = result.metrics
    assert m["real_streams"] == 12 and result.beats_baseline
    for h in ("15m", "30m", "60m"):
        assert m[f"mape_{h}"] < m["baseline"][f"mape_{h}"]
    assert m["interval_by"] == "held_out_rows"
    # an active forecaster whose figures came from folds of mostly simulated streams
    # gives way to it, whatever those figures claim
    older = svc.promote_if_better(result, sqlite_engine, models_dir=models_dir, force=True)
    assert older.promoted
    _set(sqlite_engine, "forecast", 1, metrics={"mape_30m": 0.01, "baseline": {}})
    again = svc.train("forecast", sqlite_engine, models_dir=models_dir, min_streams=120)
    promoted = svc.promote_if_better(again, sqlite_engine, models_dir=models_dir)
    assert promoted.promoted and promoted.reason == "unchecked"
    loaded = svc.load_active("forecast", sqlite_engine, models_dir=models_dir)
    assert loaded is not None and loaded.model.interval_by_ == "held_out_rows"
    # once measured on real streams, the figures are compared as before
    better = svc.promote_if_better(result, sqlite_engine, models_dir=models_dir)
    assert better.reason in ("better", "not_better")


def test_forecast_interval_folds_never_split_a_workspace(filled, models_dir) -> None:
    engine, _ = filled
    cases = svc.gather_forecast_cases(engine)
    data = make_training_set(cases + simulated_cases(12, seed=3))
    with threadpool_limits(limits=1):
        grouped = GmvForecaster(max_iter=20).fit(data.X, data.y, groups=data.groups)
        blocks = GmvForecaster(max_iter=20).fit(data.X, data.y)
    assert grouped.interval_folds_["by"] == "groups"
    assert grouped.interval_folds_["groups"] == len(set(data.groups.tolist()))
    assert blocks.interval_folds_["by"] in ("blocks", "none")


def test_train_runs_in_a_separate_process(sqlite_url, models_dir) -> None:
    from storage.engine import make_engine, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    rows = _fill(engine, sessions=2, viewers=400, streams=0)
    with svc.training_executor() as pool:
        result = pool.submit(
            svc.train, "buying_power", sqlite_url, models_dir=str(models_dir)
        ).result(timeout=240)
    assert isinstance(result, svc.TrainResult)
    assert result.rows_used == rows
    assert _row(engine, "buying_power", result.version).sha256 == result.sha256
    assert pickle.loads(pickle.dumps(result)) == result
    engine.dispose()


# ------------------------------------------------------------------------ promote, rollback


def test_promote_when_better_not_when_worse_unless_forced(filled, models_dir) -> None:
    engine, _ = filled
    first = svc.train("buying_power", engine, models_dir=models_dir)
    assert svc.promote_if_better(first, engine, models_dir=models_dir).reason == "first"
    # the active version claims a cross-validated R² the next one cannot reach
    _set(engine, "buying_power", 1, metrics={**first.metrics, "r2": 0.999})
    second = svc.train("buying_power", engine, models_dir=models_dir)
    kept = svc.promote_if_better(second, engine, models_dir=models_dir)
    assert not kept.promoted and kept.reason == "not_better" and kept.active_version == 1
    with session_scope(engine) as s:
        active = repo.active_model_version(s, kind="buying_power")
        assert active is not None and active.version == 1
    forced = svc.promote_if_better(second, engine, models_dir=models_dir, force=True)
    assert forced.promoted and forced.reason == "forced"
    # now the active one is worse than a new candidate
    _set(engine, "buying_power", 2, metrics={**second.metrics, "r2": -5.0})
    third = svc.train("buying_power", engine, models_dir=models_dir)
    better = svc.promote_if_better(third, engine, models_dir=models_dir)
    assert better.promoted and better.reason == "better" and better.active_version == 2
    assert svc.load_active("buying_power", engine, models_dir=models_dir).version == 3
    again = svc.promote_if_better(third, engine, models_dir=models_dir)
    assert not again.promoted and again.reason == "active"


def test_rollback(filled, models_dir) -> None:
    engine, _ = filled
    first = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(first, engine, models_dir=models_dir)
    second = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(second, engine, models_dir=models_dir, force=True)
    assert svc.load_active("buying_power", engine, models_dir=models_dir).version == 2
    assert svc.rollback("buying_power", 1, engine, models_dir=models_dir) == 2
    assert svc.load_active("buying_power", engine, models_dir=models_dir).version == 1
    with pytest.raises(ModelVersionNotFound):
        svc.rollback("buying_power", 7, engine, models_dir=models_dir)
    # a version whose file was tampered with cannot be rolled back to
    (models_dir / second.path).write_bytes(b"not a model")
    with pytest.raises(ModelRefused):
        svc.rollback("buying_power", 2, engine, models_dir=models_dir)
    assert svc.load_active("buying_power", engine, models_dir=models_dir).version == 1


# ------------------------------------------------------------------------------- refusals


def test_the_pickle_payload_is_live_when_unpickled(tmp_path: Path) -> None:
    """Control: the payload used below really runs code when something unpickles it."""
    marker = tmp_path / "control-marker"
    blob = tmp_path / "payload.pkl"
    blob.write_bytes(pickle.dumps(Payload(marker)))
    code = f"import pickle; pickle.loads(open({str(blob)!r}, 'rb').read())"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert marker.read_text() == "ran"


@pytest.mark.parametrize("update_hash", [False, True], ids=["file-only", "file-and-registry"])
def test_a_pickle_in_place_of_the_model_is_refused_and_never_run(
    filled, models_dir, tmp_path, caplog, update_hash
) -> None:
    engine, _ = filled
    first = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(first, engine, models_dir=models_dir)
    good = svc.load_active("buying_power", engine, models_dir=models_dir)
    assert good is not None and good.version == 1 and not good.fallback
    second = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(second, engine, models_dir=models_dir, force=True)

    marker = tmp_path / "marker"
    path = models_dir / second.path
    path.write_bytes(pickle.dumps(Payload(marker)))
    if update_hash:  # the attacker also rewrote the registry's hash
        _set(engine, "buying_power", 2, sha256=sha256_file(path))
    refused: list[tuple[int, str]] = []
    with caplog.at_level(logging.ERROR, logger="bot.services.trained_models"):
        loaded = svc.load_active(
            "buying_power",
            engine,
            models_dir=models_dir,
            on_refused=lambda v, exc: refused.append((v, exc.reason)),
        )
    assert not marker.exists()
    assert refused == [(2, "format" if update_hash else "hash")]
    assert any("refused" in r.getMessage() for r in caplog.records)
    # the last good version stays in use
    assert loaded is not None and loaded.version == 1 and loaded.fallback and loaded.refused == 2
    assert loaded.model is good.model
    # a process that never loaded a good one gets nothing
    with pytest.raises(ModelRefused):
        load_model(path, sha256=sha256_file(path))
    assert not marker.exists()


def test_a_wrong_hash_is_refused(filled, models_dir) -> None:
    engine, _ = filled
    result = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(result, engine, models_dir=models_dir)
    _set(engine, "buying_power", 1, sha256="0" * 64)
    assert svc.load_active("buying_power", engine, models_dir=models_dir) is None
    with pytest.raises(ModelRefused) as info:
        load_model(models_dir / result.path, sha256="0" * 64)
    assert info.value.reason == "hash"
    # a file changed after it was loaded and cached is refused too
    _set(engine, "buying_power", 1, sha256=result.sha256)
    assert svc.load_active("buying_power", engine, models_dir=models_dir) is not None
    with open(models_dir / result.path, "ab") as fh:
        fh.write(b"\0")
    again = svc.load_active("buying_power", engine, models_dir=models_dir)
    assert again is not None and again.fallback  # the object loaded before, not the file


def test_a_skops_file_with_a_foreign_type_is_refused(filled, models_dir) -> None:
    engine, _ = filled
    result = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(result, engine, models_dir=models_dir)
    path = models_dir / result.path
    sio.dump({"model": Stranger()}, path)
    _set(engine, "buying_power", 1, sha256=sha256_file(path))
    assert svc.load_active("buying_power", engine, models_dir=models_dir) is None
    with pytest.raises(ModelRefused) as info:
        load_model(path, sha256=sha256_file(path))
    assert info.value.reason == "untrusted" and "Stranger" in info.value.detail
    # a well-formed skops file of the wrong kind of model is refused as well
    data = make_training_set(simulated_cases(12, seed=4))
    sio.dump(GmvForecaster(max_iter=10).fit(data.X, data.y), path)
    _set(engine, "buying_power", 1, sha256=sha256_file(path))
    with pytest.raises(ModelRefused) as info:
        load_model(path, sha256=sha256_file(path), expected=BuyingPowerModel)
    assert info.value.reason == "type"


def test_a_path_outside_the_models_folder_is_refused(filled, models_dir, tmp_path) -> None:
    engine, _ = filled
    result = svc.train("buying_power", engine, models_dir=models_dir)
    svc.promote_if_better(result, engine, models_dir=models_dir)
    outside = tmp_path / "elsewhere.skops"
    outside.write_bytes((models_dir / result.path).read_bytes())
    _set(engine, "buying_power", 1, path="../elsewhere.skops")
    assert svc.load_active("buying_power", engine, models_dir=models_dir) is None
