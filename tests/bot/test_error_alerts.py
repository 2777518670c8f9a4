"""At most one alert an hour per kind of error, across every instance on one database."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from bot.handlers.errors import ErrorAlerts


def test_two_instances_on_one_database_alert_once(engine: Engine) -> None:
    first, second = ErrorAlerts(engine), ErrorAlerts(engine)
    assert first.due("RuntimeError@services/x.py:1", now=0.0)
    assert not second.due("RuntimeError@services/x.py:1", now=5.0)  # the other one did
    assert not first.due("RuntimeError@services/x.py:1", now=10.0)
    assert second.due("KeyError@services/x.py:2", now=10.0)  # another kind


def test_alone_an_instance_keeps_its_own_hour() -> None:
    alerts = ErrorAlerts()
    assert alerts.due("E", now=0.0)
    assert not alerts.due("E", now=3599.0)
    assert alerts.due("E", now=3600.0)


def test_a_database_that_cannot_answer_does_not_hold_the_alert_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = create_engine(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    alerts = ErrorAlerts(missing)
    assert alerts.due("OperationalError@storage/engine.py:1", now=0.0)
    assert not alerts.due("OperationalError@storage/engine.py:1", now=1.0)
