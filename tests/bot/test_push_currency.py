"""The first money symbol a host pushes sets the workspace's currency (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.services.live import go_live, push_stat
from storage import repositories as repo
from storage.engine import session_scope
from tests.utils.factories import make_workspace

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _currency(engine: Engine, workspace_id: int) -> str | None:
    with session_scope(engine) as session:
        ws = repo.get_workspace(session, workspace_id=workspace_id)
        assert ws is not None
        return ws.currency


def test_the_first_symbol_pushed_sets_the_currency(engine: Engine) -> None:
    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=4242)
        assert ws.id is not None
        wid = ws.id
    go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=4242, message_id=1)
    push_stat(engine, workspace_id=wid, text="在线1200 成交1万", now=T0, dedupe_key="a")
    assert _currency(engine, wid) is None  # no symbol yet
    later = T0 + timedelta(minutes=1)
    push_stat(engine, workspace_id=wid, text="成交额￥3.4w", now=later, dedupe_key="b")
    assert _currency(engine, wid) == "CNY"
    push_stat(engine, workspace_id=wid, text="gmv $5k", now=later, dedupe_key="c")
    assert _currency(engine, wid) == "CNY"  # set once; /currency changes it


def test_money_typed_in_another_currency_is_named_back_not_mixed_in(engine: Engine) -> None:
    from bot.presenters import stat_reply_parts

    with session_scope(engine) as session:
        ws = make_workspace(session, chat_id=4244)
        sg = make_workspace(session, chat_id=4245)
        assert ws.id is not None and sg.id is not None
        wid, sgid = ws.id, sg.id
        repo.update_workspace(session, workspace_id=sgid, currency="SGD")
    go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=4244, message_id=1)
    push_stat(engine, workspace_id=wid, text="在线1200 成交￥2.6万", now=T0, dedupe_key="a")
    later = T0 + timedelta(minutes=1)

    alone = push_stat(engine, workspace_id=wid, text="gmv $5k", now=later, dedupe_key="b")
    assert alone.status == "bad_values" and alone.foreign_currency == "USD"
    assert [(i.text, i.reason, i.key) for i in alone.ignored] == [
        ("$5,000", "other_currency", "gmv")
    ]
    lines, _ = stat_reply_parts(alone, "zh", explicit=False)
    assert "本工作区的金额用人民币（¥）" in "\n".join(lines) and "/currency USD" in lines[-1]

    mixed = push_stat(
        engine, workspace_id=wid, text="在线1300 成交$6000 订单30", now=later, dedupe_key="c"
    )
    assert mixed.status == "ok" and mixed.values == {"online": 1300.0, "orders": 30.0}
    assert mixed.currency == "CNY" and mixed.foreign_currency == "USD"
    with session_scope(engine) as session:
        live = repo.get_open_session(session, workspace_id=wid)
        assert live is not None and live.id is not None
        rows = repo.snapshot_rows(session, session_id=live.id)
    assert [r["gmv"] for r in rows] == [26_000.0, None]
    assert _currency(engine, wid) == "CNY"

    # an SGD chat's hosts write a bare $ for their own dollars
    go_live(engine, workspace_id=sgid, title="t", now=T0, chat_id=4245, message_id=1)
    own = push_stat(engine, workspace_id=sgid, text="gmv $5k", now=later, dedupe_key="d")
    assert own.status == "ok" and own.values == {"gmv": 5000.0} and own.foreign_currency is None
    assert _currency(engine, sgid) == "SGD"


def test_ringgit_baht_and_other_codes_pushed_set_their_currency(engine: Engine) -> None:
    """`gmv RM 3.4k` (Malaysia), `sales THB 12k` and `ยอดขาย12000บาท` (Thailand), `gmv 5000000
    VND`: each sets its workspace's currency, and the amount is stored."""
    for n, (text, code) in enumerate(
        [
            ("gmv RM 3.4k", "MYR"),
            ("sales THB 12k", "THB"),
            ("gmv 5000000 VND", "VND"),
            ("gmv 12k php", "PHP"),
            ("gmv NT$ 3k", "TWD"),
            ("ยอดขาย12000บาท ออเดอร์35", "THB"),
        ]
    ):
        with session_scope(engine) as session:
            ws = make_workspace(session, chat_id=5000 + n)
            assert ws.id is not None
            wid = ws.id
        go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=5000 + n, message_id=1)
        push_stat(engine, workspace_id=wid, text=text, now=T0, dedupe_key=f"m{n}")
        assert _currency(engine, wid) == code, text


def test_a_won_pushed_sets_the_workspace_to_krw_and_stores_the_amount(engine: Engine) -> None:
    """`gmv ₩ 120만` (Korea) stores 1,200,000 and sets the workspace's currency to KRW, as
    `매출 120만원` and `gmv KRW 1.2m` do; in that workspace yuan are named back, not mixed in."""
    for n, text in enumerate(["gmv ₩ 120만", "매출 120만원", "gmv KRW 1.2m"]):
        with session_scope(engine) as session:
            ws = make_workspace(session, chat_id=6000 + n)
            assert ws.id is not None
            wid = ws.id
        go_live(engine, workspace_id=wid, title="t", now=T0, chat_id=6000 + n, message_id=1)
        pushed = push_stat(engine, workspace_id=wid, text=text, now=T0, dedupe_key=f"k{n}")
        assert pushed.status == "ok" and pushed.values == {"gmv": 1_200_000.0}, text
        assert pushed.currency == "KRW" and _currency(engine, wid) == "KRW", text
    later = T0 + timedelta(minutes=1)
    yuan = push_stat(engine, workspace_id=wid, text="成交￥3.4万", now=later, dedupe_key="y")
    assert yuan.status == "bad_values" and yuan.foreign_currency == "CNY"
    won = push_stat(engine, workspace_id=wid, text="매출 130만원", now=later, dedupe_key="w")
    assert won.values == {"gmv": 1_300_000.0} and won.foreign_currency is None
