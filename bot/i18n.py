"""Message catalog: every user-facing text in English and Chinese.

`t(lang, key, **params)` formats one message; an unknown language falls back to English.
Numbers are formatted by the caller (see `bot.formatting`).
"""

from __future__ import annotations

__all__ = ["CATALOG", "LANGUAGES", "language_from_telegram", "t"]

LANGUAGES = ("en", "zh")

CATALOG: dict[str, dict[str, str]] = {
    # --- registration and help -------------------------------------------------------------
    "start": {
        "en": (
            "Hi! I'm LiveHost, your live-commerce assistant. This chat is now a workspace: "
            "everyone here shares its data.\n\n{help}"
        ),
        "zh": "你好！我是 LiveHost，直播带货助手。这个聊天已成为一个工作区，这里的人共享数据。\n\n{help}",
    },
    "help": {
        "en": (
            "How to use me:\n"
            "/golive [title] — open a live session\n"
            "/stat online=1200 gmv=3.4k orders=35 — push the numbers you see"
            "{plain_hint}\n"
            "/endlive — close the session; the summary follows\n"
            "Send a .csv or .xlsx export (Douyin minute data, viewers, TikTok Shop sessions) "
            "— caption #12 to file it under session 12\n"
            "/summary [id], /sessions — summaries and the list of sessions\n"
            "/digest HH:MM | off | now — the daily digest\n"
            "/lang en|zh, /tz Area/City — language and time zone\n"
            "/export, /forget — take your data out, or delete it"
        ),
        "zh": (
            "使用方法：\n"
            "/golive [标题] — 开始一场直播\n"
            "/stat 在线1200 成交1.2万 订单35 — 推送你看到的数据"
            "{plain_hint}\n"
            "/endlive — 结束直播，随后发送复盘\n"
            "发送 .csv 或 .xlsx 导出文件（抖音分钟数据、观众明细、TikTok Shop 场次）"
            "— 附言 #12 表示归入第 12 场\n"
            "/summary [编号]、/sessions — 复盘与场次列表\n"
            "/digest HH:MM | off | now — 每日简报\n"
            "/lang en|zh、/tz 地区/城市 — 语言和时区\n"
            "/export、/forget — 导出或删除你的数据"
        ),
    },
    "help_plain_hint": {
        "en": " (in this private chat, plain text works too while you are live)",
        "zh": "（私聊中直播时也可以直接发文字）",
    },
    "lang_set": {"en": "Language: English.", "zh": "语言已设为中文。"},
    "lang_usage": {"en": "Usage: /lang en or /lang zh", "zh": "用法：/lang en 或 /lang zh"},
    "tz_set": {
        "en": "Time zone: {tz} (local time now {now}).",
        "zh": "时区：{tz}（当地时间 {now}）。",
    },
    "tz_unknown": {
        "en": "I don't know the time zone “{tz}”. Use an IANA name such as Asia/Shanghai.",
        "zh": "无法识别时区“{tz}”。请使用 IANA 名称，例如 Asia/Shanghai。",
    },
    "tz_usage": {
        "en": "Usage: /tz Area/City, for example /tz Asia/Shanghai. Now: {tz}.",
        "zh": "用法：/tz 地区/城市，例如 /tz Asia/Shanghai。当前：{tz}。",
    },
    "not_registered": {
        "en": "Send /start first to set up this chat.",
        "zh": "请先发送 /start 设置本聊天。",
    },
    # --- live sessions -------------------------------------------------------------------------
    "golive_ok": {
        "en": "🔴 Live session #{id} “{title}” is open. Push numbers with /stat{plain}.",
        "zh": "🔴 第 {id} 场“{title}”已开始。用 /stat 推送数据{plain}。",
    },
    "golive_plain": {"en": " or just type them", "zh": "，也可以直接发文字"},
    "golive_already": {
        "en": "Session #{id} “{title}” is still open. /endlive closes it.",
        "zh": "第 {id} 场“{title}”仍在进行。用 /endlive 结束它。",
    },
    "default_title": {"en": "Live {date}", "zh": "{date} 直播"},
    "endlive_ok": {
        "en": (
            "⏹ Session #{id} closed after {duration}. The summary with charts arrives in about "
            "{delay}; exports you upload until then are included. /summary {id} gives it now."
        ),
        "zh": "⏹ 第 {id} 场已结束，时长 {duration}。约 {delay} 后发送带图表的复盘；在此之前上传的导出文件会一并计入。/summary {id} 可立即查看。",
    },
    "no_open_session": {
        "en": "No session is open. Start one with /golive [title].",
        "zh": "当前没有进行中的直播。用 /golive [标题] 开始。",
    },
    # --- stat pushes -----------------------------------------------------------------------------
    "stat_usage": {
        "en": "Usage: /stat online=1200 gmv=3.4k orders=35 (keys: {keys})",
        "zh": "用法：/stat 在线1200 成交1.2万 订单35（可用项：{keys}）",
    },
    "stat_ok": {"en": "✅ Got it: {values}", "zh": "✅ 已记录：{values}"},
    "stat_change": {
        "en": "Since the last push ({ago}): {changes}",
        "zh": "距上次（{ago}）：{changes}",
    },
    "stat_attention": {
        "en": "Attention: λ = {lam}/min, half-life {half_life}{recent}",
        "zh": "注意力：λ = {lam}/分钟，半衰期 {half_life}{recent}",
    },
    "stat_recent": {
        "en": " (recent λ {lam}/min, {trend})",
        "zh": "（近期 λ {lam}/分钟，{trend}）",
    },
    "trend_worse": {"en": "audience leaving faster", "zh": "观众流失加快"},
    "trend_better": {"en": "audience staying longer", "zh": "观众停留更久"},
    "trend_same": {"en": "steady", "zh": "平稳"},
    "stat_unknown_keys": {
        "en": "I don't know: {keys}. Known keys: {known}",
        "zh": "无法识别：{keys}。可用项：{known}",
    },
    "stat_bad_values": {
        "en": "Not a number: {items}. Nothing was stored.",
        "zh": "不是有效数字：{items}。本条未记录。",
    },
    "stat_nothing": {
        "en": "I found no numbers in that. Example: online=1200 gmv=3.4k orders=35",
        "zh": "没有找到数据。示例：在线1200 成交1.2万 订单35",
    },
    "stat_duplicate": {
        "en": "That push is already stored.",
        "zh": "这条数据已经记录过了。",
    },
    "stat_not_live_private": {
        "en": "No session is open, so I didn't store that. /golive starts one.",
        "zh": "当前没有进行中的直播，未记录。用 /golive 开始。",
    },
    # --- files -----------------------------------------------------------------------------------
    "import_started": {"en": "📥 Reading {name}…", "zh": "📥 正在读取 {name}…"},
    "import_progress": {
        "en": "📥 Reading {name}… {rows} rows so far",
        "zh": "📥 正在读取 {name}… 已处理 {rows} 行",
    },
    "import_ok": {
        "en": "✅ Imported {name}: {rows} {kind} rows into {target}.",
        "zh": "✅ 已导入 {name}：{rows} 行{kind}，归入{target}。",
    },
    "import_target_session": {"en": "session #{id} “{title}”", "zh": "第 {id} 场“{title}”"},
    "import_target_history": {
        "en": "your history ({sessions} past sessions)",
        "zh": "历史场次（{sessions} 场）",
    },
    "kind_minutes": {"en": "minute", "zh": "分钟数据"},
    "kind_viewers": {"en": "viewer", "zh": "观众明细"},
    "kind_sessions": {"en": "session", "zh": "场次"},
    "import_rejected": {
        "en": "❌ {name} was not imported, nothing was stored: {reason}",
        "zh": "❌ {name} 未导入，没有写入任何数据：{reason}",
    },
    "reject_empty": {"en": "the file is empty.", "zh": "文件是空的。"},
    "reject_not_a_table": {
        "en": "this is not a table I can read (CSV or XLSX).",
        "zh": "这不是可读取的表格（CSV 或 XLSX）。",
    },
    "reject_encoding": {
        "en": "the text encoding is not supported ({detail}); save it as UTF-8 or GBK CSV.",
        "zh": "不支持该文本编码（{detail}）；请另存为 UTF-8 或 GBK 编码的 CSV。",
    },
    "reject_unknown_kind": {
        "en": (
            "I don't recognise these columns ({columns}). I read Douyin minute exports, "
            "viewer lists and session lists."
        ),
        "zh": "无法识别这些列（{columns}）。支持抖音分钟数据、观众明细和场次明细。",
    },
    "reject_ragged": {
        "en": "rows with the wrong number of cells (the header has {expected}): row {rows}.",
        "zh": "以下行的单元格数量不对（表头有 {expected} 列）：第 {rows} 行。",
    },
    "reject_bad_values": {
        "en": "{count} rows have bad values — {rows}.",
        "zh": "{count} 行数据有误 — {rows}。",
    },
    "reject_header_only": {
        "en": "the file has a header ({columns}) but no rows.",
        "zh": "文件只有表头（{columns}），没有数据行。",
    },
    "why_not_a_number": {"en": "not a number", "zh": "不是数字"},
    "why_negative": {"en": "cannot be negative", "zh": "不能为负数"},
    "why_not_whole": {"en": "must be a whole number", "zh": "必须是整数"},
    "why_not_a_duration": {"en": "not a duration", "zh": "不是时长"},
    "why_not_a_time": {"en": "not a date and time", "zh": "不是日期时间"},
    "why_no_date": {"en": "the time has no date", "zh": "时间缺少日期"},
    "why_not_a_bool": {"en": "not yes/no", "zh": "不是是/否"},
    "why_missing": {"en": "missing", "zh": "缺失"},
    "why_ragged": {"en": "wrong number of cells", "zh": "单元格数量不对"},
    "reject_too_large": {
        "en": "the file is {size}; the limit is 20 MB.",
        "zh": "文件大小 {size}，上限为 20 MB。",
    },
    "reject_duplicate": {
        "en": "the same content was already imported on {date}.",
        "zh": "相同内容已于 {date} 导入过。",
    },
    "reject_no_session": {
        "en": "there is no session to put it in. /golive first, or caption the file #id.",
        "zh": "没有可归入的场次。请先 /golive，或在附言中写 #编号。",
    },
    "reject_unknown_session": {
        "en": "there is no session #{id} in this chat. /sessions lists them.",
        "zh": "本聊天没有第 {id} 场。/sessions 可查看列表。",
    },
    "reject_missing_columns": {
        "en": "required columns are missing: {columns}.",
        "zh": "缺少必需的列：{columns}。",
    },
    "reject_other": {"en": "{detail}", "zh": "{detail}"},
    "bad_row": {
        "en": "row {row}, {column} “{value}”: {reason}",
        "zh": "第 {row} 行 {column}“{value}”：{reason}",
    },
    "file_unsupported": {
        "en": "I read .csv and .xlsx files only; {name} is not one.",
        "zh": "只支持 .csv 和 .xlsx 文件；{name} 不是。",
    },
    # --- session summary ---------------------------------------------------------------------
    "summary_title": {
        "en": "📊 Session #{id} “{title}” — {when}",
        "zh": "📊 第 {id} 场“{title}”— {when}",
    },
    "summary_line_duration": {
        "en": "Duration {duration} · peak online {peak} · average {avg}",
        "zh": "时长 {duration} · 最高在线 {peak} · 平均在线 {avg}",
    },
    "summary_line_viewers": {
        "en": "Viewers {viewers} · average watch {watch} · {engagement} interactions per viewer · new followers {followers}",
        "zh": "观看人数 {viewers} · 人均观看 {watch} · 人均互动 {engagement} 次 · 涨粉 {followers}",
    },
    "summary_line_attention": {
        "en": "Attention: λ = {lam}/min, half-life {half_life} (from {source})",
        "zh": "注意力：λ = {lam}/分钟，半衰期 {half_life}（来自{source}）",
    },
    "summary_line_sales": {
        "en": "GMV {gmv} · orders {orders} · buyers {buyers} · AOV {aov}",
        "zh": "成交额 {gmv} · 订单 {orders} · 成交人数 {buyers} · 客单价 {aov}",
    },
    "summary_line_value": {
        "en": "Conversion {conversion} · GPM {gpm} · UV value {uv}",
        "zh": "转化率 {conversion} · 千次观看成交 {gpm} · UV 价值 {uv}",
    },
    "summary_line_funnel": {"en": "Funnel: {stages}", "zh": "漏斗：{stages}"},
    "summary_line_segments": {"en": "Audience: {segments}", "zh": "观众分层：{segments}"},
    "summary_line_buying_power": {
        "en": "Buying power ({model}, R² {r2}, MAE {mae}): predicted GMV {predicted} vs actual {actual}; top 10 % of viewers hold {top_share} of predicted spend",
        "zh": "购买力（{model}，R² {r2}，MAE {mae}）：预测成交 {predicted}，实际 {actual}；前 10% 观众占预测消费的 {top_share}",
    },
    "summary_suggestions": {"en": "What to try next:", "zh": "下一场可以试试："},
    "source_viewers": {"en": "viewer rows", "zh": "观众明细"},
    "source_minutes": {"en": "minute data", "zh": "分钟数据"},
    "source_snapshots": {"en": "your pushes", "zh": "实时推送"},
    "stage_views": {"en": "views", "zh": "观看"},
    "stage_impressions": {"en": "product views", "zh": "商品曝光"},
    "stage_clicks": {"en": "clicks", "zh": "点击"},
    "stage_buyers": {"en": "buyers", "zh": "成交"},
    "model_baseline": {"en": "linear baseline", "zh": "线性基线"},
    "model_trained": {"en": "model {name}", "zh": "模型 {name}"},
    "sugg_short_half_life": {
        "en": "Half-life is only {half_life_min} min: re-hook the room every {hook_every_min} min (a question, a price reveal, a giveaway countdown).",
        "zh": "半衰期只有 {half_life_min} 分钟：每 {hook_every_min} 分钟重新抓一次注意力（提问、揭晓价格、福袋倒计时）。",
    },
    "sugg_early_drop": {
        "en": "{left_first_min_pct}% leave within the first minute: open with the offer and the price, not the warm-up.",
        "zh": "{left_first_min_pct}% 的观众一分钟内离开：开场直接讲福利和价格，别先寒暄。",
    },
    "sugg_gmv_below_prediction": {
        "en": "This audience could have bought {predicted_gmv} but bought {actual_gmv} ({gap_pct}% short): strengthen the close — limited stock, clear call to buy.",
        "zh": "这批观众预计可成交 {predicted_gmv}，实际 {actual_gmv}（差 {gap_pct}%）：加强逼单——限量库存、明确下单指引。",
    },
    "sugg_low_conversion": {
        "en": "Only {conversion_pct}% of {base} bought: answer objections live and show the checkout step by step.",
        "zh": "{base}中只有 {conversion_pct}% 下单：现场解答顾虑，手把手演示下单。",
    },
    "sugg_low_click_rate": {
        "en": "Only {click_rate_pct}% of product views became clicks: show the product close up and pin the link while you talk about it.",
        "zh": "商品曝光到点击只有 {click_rate_pct}%：近景展示商品，讲解时置顶链接。",
    },
    "sugg_low_engagement": {
        "en": "{per_viewer} interactions per viewer: ask questions, run a poll, reward comments.",
        "zh": "人均互动 {per_viewer} 次：多提问、发起投票、奖励评论。",
    },
    "sugg_top_tier_concentration": {
        "en": "The top 10 % hold {top_share_pct}% of the buying power: look after them — fan group, early access, a thank-you.",
        "zh": "前 10% 的观众占 {top_share_pct}% 的购买力：维护好他们——粉丝团、优先购、感谢。",
    },
    "sugg_watch_time_drives_spend": {
        "en": "Every 10 more minutes watched add about {per_10min} in spend: keep people longer with a running storyline.",
        "zh": "观看时长每多 10 分钟，消费约增加 {per_10min}：用连续的节目线留住观众。",
    },
    "sugg_peak_then_drop": {
        "en": "Online peaked at minute {peak_minute} and ended at {end_share_pct}% of the peak: put your best product where the peak was.",
        "zh": "在线人数在第 {peak_minute} 分钟达到峰值，结束时只剩峰值的 {end_share_pct}%：把主推品放在峰值时段。",
    },
    "sugg_low_follow_rate": {
        "en": "Only {follow_rate_pct}% of viewers followed: ask for the follow at every peak.",
        "zh": "只有 {follow_rate_pct}% 的观众关注：每个高峰都引导关注。",
    },
    "sugg_big_spenders": {
        "en": "Big spenders are {share_pct}% of the audience, spending {avg_spend} on average: offer premium bundles.",
        "zh": "高消费观众占 {share_pct}%，平均消费 {avg_spend}：推出高端组合装。",
    },
    "sugg_long_half_life": {
        "en": "Half-life is {half_life_min} min: there is room for longer demos and higher-priced products.",
        "zh": "半衰期达 {half_life_min} 分钟：可以做更长的讲解，上更高价的商品。",
    },
    "sugg_add_viewer_file": {
        "en": "Upload the viewer export for buying power and audience segments.",
        "zh": "上传观众明细，即可查看购买力和观众分层。",
    },
    "sugg_add_minute_file": {
        "en": "Upload the minute timeline export for attention and the funnel.",
        "zh": "上传分钟数据导出，即可查看注意力和转化漏斗。",
    },
    "sugg_push_snapshots": {
        "en": "Push numbers during the stream (/stat online=… gmv=…) so I can follow it live.",
        "zh": "直播中推送数据（/stat 在线… 成交…），我就能实时跟进。",
    },
    "sugg_repeat_best_slot": {
        "en": "Online peaked at minute {peak_minute}: repeat what was on then.",
        "zh": "在线人数在第 {peak_minute} 分钟最高：复用那时的内容。",
    },
    "sugg_follow_up_buyers": {
        "en": "{buyers} people bought: follow up with them (group, after-sales, next stream's preview).",
        "zh": "{buyers} 人下单：做好回访（粉丝群、售后、下场预告）。",
    },
    "sugg_keep_format": {
        "en": "Nothing stands out: keep the format and change one thing at a time.",
        "zh": "各项指标平稳：保持现有形式，每次只改一处。",
    },
    # --- everything else -----------------------------------------------------------------------
    "unknown_command": {
        "en": "I don't know {command}. /help lists what I can do.",
        "zh": "无法识别命令 {command}。/help 查看可用命令。",
    },
    "sticker": {
        "en": "Nice sticker! I read numbers and exports, though. /help shows how.",
        "zh": "贴纸收到！不过我只读取数据和导出文件。/help 查看用法。",
    },
    "photo": {
        "en": "I can't read screenshots yet. Type the numbers (/stat online=1200 …) or send the export file.",
        "zh": "暂时无法读取截图。请输入数据（/stat 在线1200 …）或发送导出文件。",
    },
    "unsupported_message": {
        "en": "I can't use that. /help shows what I read.",
        "zh": "无法处理该消息。/help 查看用法。",
    },
    "edited_ignored": {
        "en": "I keep pushes as first sent; send a new /stat to correct the numbers.",
        "zh": "数据以首次发送为准；如需更正请重新发送 /stat。",
    },
    "error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "zh": "抱歉，处理时出错了，请稍后再试。",
    },
    "sessions_none": {
        "en": "No sessions yet. /golive starts one.",
        "zh": "还没有场次。/golive 开始直播。",
    },
    "sessions_header": {"en": "Sessions:", "zh": "场次："},
    "summary_not_found": {"en": "There is no session #{id} here.", "zh": "这里没有第 {id} 场。"},
    "summary_none": {"en": "No session to summarise yet.", "zh": "还没有可复盘的场次。"},
}

_COMMAND_DESCRIPTIONS = {
    "start": ("register this chat", "注册本聊天"),
    "help": ("how to use LiveHost", "使用说明"),
    "golive": ("open a live session", "开始直播"),
    "stat": ("push the numbers you see", "推送实时数据"),
    "endlive": ("close the session", "结束直播"),
    "summary": ("a session's summary", "场次复盘"),
    "sessions": ("list sessions", "场次列表"),
    "lang": ("language: en or zh", "语言：en 或 zh"),
    "tz": ("time zone", "时区"),
}


def t(lang: str | None, key: str, /, **params: object) -> str:
    """The message `key` in `lang` (English when the language is unknown)."""
    entry = CATALOG[key]
    text = entry.get(lang or "en") or entry["en"]
    return text.format(**params) if params else text


def language_from_telegram(code: str | None) -> str:
    """Map Telegram's `language_code` (e.g. 'zh-hans', 'en-US') to one of ours."""
    if code and code.lower().startswith("zh"):
        return "zh"
    return "en"


def command_descriptions(lang: str) -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's command menu."""
    index = 1 if lang == "zh" else 0
    return [(name, texts[index]) for name, texts in _COMMAND_DESCRIPTIONS.items()]
