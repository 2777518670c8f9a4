"""The figures behind a summary (λ, R², MAE) are in the details, not in the summary."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.presenters import details_text
from bot.services.details import has_details, session_details
from bot.services.summaries import build_summary
from tests.bot.test_money_has_currency import _full_session, _workspace


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_details_hold_the_technical_figures(engine: Engine, lang: str) -> None:
    wid = _workspace(engine, lang)
    sid = _full_session(engine, wid)
    summary = build_summary(engine, session_id=sid, workspace_id=wid)
    assert summary is not None and has_details(summary.report)
    for word in ("λ", "R²", "MAE"):
        assert word not in summary.text
    details = session_details(engine, workspace_id=wid, session_id=sid, kind="s")
    assert details is not None
    text = details_text(details, lang, "CNY")
    assert "λ = " in text and "R² " in text and "MAE" in text and "¥" in text
    assert ("流失率" in text) == (lang == "zh") and ("Leaving rate" in text) == (lang == "en")
    # from the pushes alone (there are none): it says so
    pushes = session_details(engine, workspace_id=wid, session_id=sid, kind="p")
    assert pushes is not None
    lines = details_text(pushes, lang).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith({"en": "No technical figures", "zh": "暂时没有技术数据"}[lang])
    assert session_details(engine, workspace_id=wid + 1, session_id=sid, kind="s") is None
