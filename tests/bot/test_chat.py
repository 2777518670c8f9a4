"""`livehost chat`: the real bot in a terminal, against the in-repo fake Bot API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def _chat(lines: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    code = main(
        [
            "chat",
            "--database",
            f"sqlite:///{tmp_path / 'chat.db'}",
            "--out",
            str(tmp_path / "out"),
            *extra,
        ]
    )
    assert code == 0
    return out.getvalue()


def test_a_host_streams_uploads_and_gets_the_summary_with_photos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _chat(
        [
            "/start",
            "/golive evening",
            "online=1200 gmv=3.4k orders=35",
            # a few seconds of stream: the viewer file is taken for it only when named
            f"/upload {DATA / 'viewers_zh.csv'} #1",
            "/endlive",
        ],
        tmp_path,
        monkeypatch,
    )
    assert "bot: " in out
    assert "“evening” is open" in out
    assert "Imported viewers_zh.csv: 7,202 viewer rows into session #1" in out, out
    photos = [Path(line.split("] ", 1)[1]) for line in out.splitlines() if "[photo]" in line]
    assert photos, out  # the summary's album arrived before the chat ended
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in photos)


def test_buttons_are_numbered_and_pressed_by_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _chat(["/forget", "/press 2", "/press 9"], tmp_path, monkeypatch)
    assert "[1] Delete everything" in out and "[2] Cancel" in out
    assert "Cancelled: nothing was deleted." in out
    assert "no button 9" in out


def test_a_reply_goes_to_the_bots_message_counted_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _chat(
        ["/reply 撤回", "/start", "/golive", "online=1200 gmv=3.4k", "gmv=4k", "/reply 2 /undo"],
        tmp_path,
        monkeypatch,
    )
    assert "usage: /reply [N] TEXT (0 messages of the bot shown)" in out
    assert "Taken back: 1,200 online, GMV 3,400. Now: GMV 4,000." in out, out


def test_chinese_user_in_a_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _chat(["/start", "/golive"], tmp_path, monkeypatch, "--lang", "zh", "--group")
    assert "直播" in out


def test_a_second_chat_on_the_same_database_is_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot remembers the update ids it processed; a new run must not look like replays."""
    _chat(["/start", "/golive first"], tmp_path, monkeypatch)
    out = _chat(["/endlive", "/golive second"], tmp_path, monkeypatch)
    assert "“second” is open" in out


def test_in_a_group_the_answers_held_back_by_its_pace_are_all_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group gets a message each few seconds after a short burst: the answers still on
    their way when the input ends are waited for, not lost."""
    out = _chat(
        [
            "/start",
            "/golive tea",
            "/stat online 800 gmv 1200 orders 9",
            "/stat online 950 gmv 2300 orders 17",
            "/stat online 1200 gmv 3400",
            "/sessions",
            "/endlive",
        ],
        tmp_path,
        monkeypatch,
        "--group",
    )
    assert "1,200 online" in out and "Sessions:" in out, out
    assert "closed after" in out and "📊 Session #1 “tea”" in out, out


def test_a_chinese_host_sees_the_numbers_they_typed_not_rounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _chat(
        ["/start", "/golive", "在线1200 成交1.35万", "在线1300 成交额￥12345 转化率3.25%"],
        tmp_path,
        monkeypatch,
        "--lang",
        "zh",
    )
    assert "bot: ✅ 已记录：在线 1,200人，成交额 1.35万。" in out, out  # not 1.4万
    # the change since the last push is worked out: it keeps the short form
    assert "成交额 ¥1.2345万（−¥1,155），转化率 3.25%" in out, out
