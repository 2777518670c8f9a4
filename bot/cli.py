"""`livehost`: the bot, the offline demo, imports, reports, forecast replays and database upkeep.

With no sub-command it runs the bot when LIVEHOST_BOT_TOKEN is set, else the offline demo.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.services.retrain import RetrainOutcome

__all__ = ["main"]

log = logging.getLogger("livehost")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livehost", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (polling; --webhook for webhook mode)")
    run.add_argument("--webhook", action="store_true")
    run.add_argument(
        "--no-register",
        action="store_true",
        help="webhook mode: do not call setWebhook (another instance registers it)",
    )
    demo = sub.add_parser("demo", help="offline: simulated stream -> database -> summary + charts")
    demo.add_argument("--out", type=Path, default=Path("demo-out"))
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--lang", choices=["en", "zh"], default="en")
    demo.add_argument(
        "--database", default=None, help="a file or a database URL (default: data/demo.db)"
    )
    imp = sub.add_parser("import", help="import a .csv/.xlsx export into a chat's workspace")
    imp.add_argument("file", type=Path)
    imp.add_argument("--chat", type=int, required=True)
    imp.add_argument("--caption", default=None, help="e.g. '#12' to file it under session 12")
    imp.add_argument(
        "--map",
        action="append",
        default=None,
        metavar="FIELD=HEADER",
        help="the column holding a field, e.g. watch_time_s=停留秒数 (repeatable; remembered)",
    )
    imp.add_argument(
        "--create",
        action="store_true",
        help="a dated file no session overlaps becomes a past stream of its own dates",
    )
    report = sub.add_parser("report", help="the report of a stored session")
    report.add_argument("session_id", type=int)
    report.add_argument("--json", action="store_true")
    report.add_argument("--out", type=Path, default=None)
    report.add_argument("--lang", choices=["en", "zh"], default=None)
    forecast = sub.add_parser(
        "forecast", help="replay a stored session to a minute: the forecast beside the truth"
    )
    forecast.add_argument("session_id", type=int)
    forecast.add_argument("--at", type=float, required=True, metavar="MINUTES")
    forecast.add_argument(
        "--planned",
        type=float,
        default=None,
        metavar="MINUTES",
        help="planned length (default: as live, the workspace's usual)",
    )
    forecast.add_argument("--json", action="store_true")
    forecast.add_argument("--lang", choices=["en", "zh"], default="en")
    digest = sub.add_parser("digest", help="send the digests due now (idempotent per day)")
    digest.add_argument("--all", action="store_true", help="every active workspace's digest")
    digest.add_argument("--date", default=None, help="YYYY-MM-DD (default: each one's yesterday)")
    retrain = sub.add_parser(
        "retrain", help="train a model on all workspaces' data; promote it if better"
    )
    retrain.add_argument(
        "kind", nargs="?", default="all", choices=["buying_power", "forecast", "all"]
    )
    retrain.add_argument("--force", action="store_true", help="promote even if not better")
    chat = sub.add_parser(
        "chat", help="talk to the real bot in this terminal, through a local fake Telegram"
    )
    chat.add_argument("--lang", choices=["en", "zh"], default="en", help="your Telegram language")
    chat.add_argument("--group", action="store_true", help="a team group instead of a private chat")
    chat.add_argument("--out", type=Path, default=Path("chat-out"), help="where photos are saved")
    chat.add_argument(
        "--database", default=None, help="a file or a database URL (default: data/chat.db)"
    )
    db = sub.add_parser("db", help="database upkeep")
    db.add_argument("action", choices=["upgrade"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `livehost` console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    settings = Settings()
    command = args.command or ("run" if settings.bot_token else "demo")
    if command == "demo" and args.command is None:
        args = _parser().parse_args(["demo"])
        print("LIVEHOST_BOT_TOKEN is not set: running the offline demo.\n")
    handler = {
        "run": _run,
        "demo": _demo,
        "import": _import,
        "report": _report,
        "forecast": _forecast,
        "digest": _digest,
        "db": _db,
        "retrain": _retrain,
        "chat": _chat,
    }[command]
    return handler(args, settings)


def _engine(settings: Settings, url: str | None = None) -> Engine:
    from storage.engine import make_engine, upgrade

    engine = make_engine(url or settings.database_url)
    upgrade(engine)
    return engine


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.bot_token:
        print("LIVEHOST_BOT_TOKEN is not set.", file=sys.stderr)
        return 2
    from bot.app import ALLOWED_UPDATES, build_application

    if getattr(args, "webhook", False):
        from bot.webhook import check_webhook_settings, run_webhook

        register = not getattr(args, "no_register", False)
        problem = check_webhook_settings(settings, register=register)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
        run_webhook(build_application(settings), settings, register=register)
        return 0
    build_application(settings).run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.demo import run_demo

    url = _database_url(args.database or Path("data") / "demo.db")
    engine = _engine(settings, url)
    result = run_demo(engine, out_dir=args.out, seed=args.seed, lang=args.lang)
    print(result.text)
    print()
    for path in result.chart_paths:
        print(f"chart: {path}")
    print(
        f"\nStored as session #{result.session_id} in {url}. As JSON:\n"
        f"  LIVEHOST_DATABASE_URL={url} livehost report {result.session_id} --json"
    )
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.presenters import import_reply
    from bot.services.imports import import_upload, parse_mapping
    from bot.services.workspaces import ChatRef, ensure_workspace

    try:
        mapping = parse_mapping(args.map)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    engine = _engine(settings)
    chat_type = "private" if args.chat > 0 else "group"
    ws = ensure_workspace(
        engine, chat=ChatRef(args.chat, chat_type), default_timezone=settings.default_timezone
    )
    if args.file.stat().st_size > settings.max_upload_bytes:
        from bot.services.imports import ImportOutcome

        outcome = ImportOutcome(
            ok=False,
            code="too_large",
            params={"size": args.file.stat().st_size, "limit": settings.max_upload_bytes},
        )
    else:
        outcome = import_upload(
            engine,
            workspace_id=ws.id,
            data=args.file.read_bytes(),
            filename=args.file.name,
            caption=args.caption,
            now=datetime.now(UTC),
            max_bytes=settings.max_upload_bytes,
            mapping=mapping,
            create_sessions=args.create,
        )
    print(import_reply(outcome, args.file.name, ws.language, ws.timezone, ws.currency))
    return 0 if outcome.ok else 1


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services.active_model import active_model
    from bot.services.reports import session_report, write_charts

    engine = _engine(settings)
    model = active_model("buying_power", engine, models_dir=settings.models_dir)
    bundle = session_report(
        engine,
        session_id=args.session_id,
        lang=args.lang,
        charts=args.out is not None,
        model=model,
        timeline=bool(args.json),
    )
    if bundle is None:
        print(f"No session #{args.session_id}.", file=sys.stderr)
        return 1
    if args.json:
        timeline = bundle.timeline.to_dict() if bundle.timeline is not None else {}
        out = {**bundle.report.to_dict(), **timeline}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(bundle.text)
    if args.out is not None:
        for path in write_charts(bundle.charts, args.out):
            print(f"chart: {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _forecast(args: argparse.Namespace, settings: Settings) -> int:
    import math

    from bot.formatting import fmt_duration, fmt_money, fmt_pct
    from bot.i18n import t
    from bot.services.nudges import forecast_line, replay_forecast

    lang = args.lang
    if not (math.isfinite(args.at) and args.at >= 0) or (
        args.planned is not None and not (math.isfinite(args.planned) and args.planned > 0)
    ):
        print(t(lang, "forecast_bad_minute"), file=sys.stderr)
        return 2
    engine = _engine(settings)
    got = replay_forecast(
        engine,
        session_id=args.session_id,
        at_s=args.at * 60.0,
        planned_s=args.planned * 60.0 if args.planned is not None else None,
        models_dir=settings.models_dir,
    )
    if got is None:
        print(t(lang, "forecast_no_session", id=args.session_id), file=sys.stderr)
        return 1
    fc = got.forecast
    actual = got.actual_gmv if math.isfinite(got.actual_gmv) else None
    naive = got.run_rate
    if args.json:
        print(
            json.dumps(
                {
                    "session_id": got.session_id,
                    "at_min": args.at,
                    "planned_min": got.planned_s / 60.0,
                    "pushes_with_gmv": got.pushes,
                    "forecast": None
                    if fc is None
                    else {
                        "gmv": fc.value,
                        "low": fc.low,
                        "high": fc.high,
                        "method": fc.method,
                        "gmv_so_far": fc.gmv_so_far,
                        "run_rate": naive,
                    },
                    "actual": {"gmv": actual},
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    lines = [
        t(
            lang,
            "forecast_replay_head",
            id=got.session_id,
            at=fmt_duration(got.at_s, lang),
            planned=fmt_duration(got.planned_s, lang),
            pushes=got.pushes,
        )
    ]
    if fc is None:
        lines.append(t(lang, "forecast_replay_none"))
    else:
        lines.append(forecast_line(fc, lang, got.currency).strip())
    lines.append(t(lang, "forecast_replay_actual", actual=fmt_money(actual, lang, got.currency)))
    if fc is not None and actual:
        inside = "—"
        if fc.low is not None and fc.high is not None:
            inside = t(
                lang, "forecast_inside_yes" if fc.low <= actual <= fc.high else "forecast_inside_no"
            )
        lines.append(
            t(
                lang,
                "forecast_replay_error",
                error=fmt_pct(fc.value / actual - 1.0),
                naive=fmt_pct(naive / actual - 1.0) if naive is not None else "—",
                inside=inside,
            )
        )
    print("\n".join(lines))
    return 0


def _digest(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    from datetime import date

    if not settings.bot_token:
        print("LIVEHOST_BOT_TOKEN is not set.", file=sys.stderr)
        return 2
    from bot.app import build_application
    from bot.scheduler import run_cli_digests

    on_date = date.fromisoformat(args.date) if args.date else None
    sent = asyncio.run(
        run_cli_digests(build_application(settings), all_workspaces=args.all, on_date=on_date)
    )
    print(f"{sent} sent")
    return 0


def _retrain(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.services.admin import parse_retrain_args
    from bot.services.retrain import Retrainer, retrain_report

    parsed = parse_retrain_args([args.kind])
    assert parsed is not None
    engine = _engine(settings)

    async def run() -> list[RetrainOutcome]:
        retrainer = Retrainer()
        try:
            return await retrainer.run_many(
                parsed[0], engine, models_dir=settings.models_dir, force=args.force
            )
        finally:
            await retrainer.shutdown()

    outcomes = asyncio.run(run())
    print(retrain_report(outcomes, "en"))
    return 0 if all(o.error is None for o in outcomes) else 1


def _database_url(value: str | Path) -> str:
    """A database URL as given (``postgresql+psycopg://…``, ``sqlite:///…``), or a file's
    path as the URL of an SQLite database there."""
    text = str(value)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser()}"


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.chat import ChatOptions, run_chat

    logging.getLogger().setLevel(logging.WARNING)  # the conversation, not the logs

    url = _database_url(args.database or Path("data") / "chat.db")
    local = settings.model_copy(update={"database_url": url})
    return run_chat(local, ChatOptions(lang=args.lang, group=args.group, out_dir=args.out))


def _db(args: argparse.Namespace, settings: Settings) -> int:
    _engine(settings)
    print("database is at the latest migration")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
