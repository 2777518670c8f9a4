"""Message catalog: every user-facing text in English and Chinese.

`t(lang, key, **params)` formats one message; an unknown language falls back to English.
Numbers are formatted by the caller (see `bot.formatting`). In English a count of one
takes the singular of the noun after it (`{sessions} sessions` with 1 reads "1 session";
:data:`SINGULAR` lists the nouns).
"""

from __future__ import annotations

import re

__all__ = [
    "ADMIN_COMMANDS",
    "CATALOG",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "SETTINGS_COMMANDS",
    "SINGULAR",
    "command_descriptions",
    "language_from_telegram",
    "t",
]

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
            "{plain_hint}; in a group, /stat, or reply to my message or mention me with the "
            "numbers\n"
            "/endlive — close the session; the summary follows\n"
            "/undo — take back the last push (reply it to a push, or to my answer to one, to take back that one)\n"
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
            "{plain_hint}；群里用 /stat，或回复我的消息、@我 并写上数据\n"
            "/endlive — 结束直播，随后发送复盘\n"
            "/undo — 撤回最近一条数据（回复某条数据或我对它的回复发送，则撤回那一条）\n"
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
    "endlive_again_pending": {
        "en": (
            "⏹ Session #{id} “{title}” has already ended, after {duration}. Its summary arrives "
            "in about {delay}; /summary {id} gives it now."
        ),
        "zh": "⏹ 第 {id} 场「{title}」已经结束，时长 {duration}。复盘约 {delay} 后发送；/summary {id} 可立即查看。",
    },
    "endlive_again_sent": {
        "en": (
            "⏹ Session #{id} “{title}” has already ended, after {duration}. Its summary has "
            "been sent; /summary {id} gives it again."
        ),
        "zh": "⏹ 第 {id} 场「{title}」已经结束，时长 {duration}。复盘已发送；/summary {id} 可再次查看。",
    },
    "endlive_again_none": {
        "en": (
            "⏹ Session #{id} “{title}” has already ended, after {duration}. /summary {id} "
            "gives its summary."
        ),
        "zh": "⏹ 第 {id} 场「{title}」已经结束，时长 {duration}。/summary {id} 可查看复盘。",
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
    "trend_worse": {"en": "audience leaving faster", "zh": "观众流失加快"},
    "trend_better": {"en": "audience staying longer", "zh": "观众停留更久"},
    "trend_same": {"en": "steady", "zh": "平稳"},
    "stat_nothing": {
        "en": "I found no numbers in that. Example: online=1200 gmv=3.4k orders=35",
        "zh": "没有找到数据。示例：在线1200 成交1.2万 订单35",
    },
    "push_jump": {
        "en": "⚠️ {name} went from {previous} to {value} at once, which looks like a slip of the keyboard. If it is, send /undo to take this push back.",
        "zh": "⚠️ {name}从 {previous} 一下子到了 {value}，像是打错了。如果打错了，发 /undo 撤回这一条。",
    },
    "push_fall": {
        "en": "⚠️ {name} is below the push before ({previous}), and running totals only grow. If that one was a slip, reply /undo to it to take it back.",
        "zh": "⚠️ {name}比上一条（{previous}）还少，而累计数只增不减。如果上一条打错了，回复那条消息发 /undo 撤回它。",
    },
    "push_swing": {
        "en": "⚠️ {name} went from {previous} to {value} within minutes. A room seldom changes that much so fast: one of the two looks like a digit too many or too few. If this one is, send /undo; if the one before is, reply /undo to it.",
        "zh": "⚠️ {name}几分钟内从 {previous} 变成了 {value}，变化这么大，其中一个像是多打或少打了一位。如果是这一条，发 /undo 撤回；如果是上一条，回复那条消息发 /undo。",
    },
    "undo_done": {
        "en": "↩️ Taken back: {values}.{now}",
        "zh": "↩️ 已撤回：{values}。{now}",
    },
    "undo_now": {"en": " Now: {values}.", "zh": "现在：{values}。"},
    "undo_none_left": {
        "en": " No earlier push has these figures.",
        "zh": "这些数据没有更早的记录了。",
    },
    "undo_nothing": {
        "en": "Nothing to take back: this session has no pushes yet.",
        "zh": "没有可撤回的：这场还没有推送过数据。",
    },
    "undo_already": {
        "en": "That /undo was carried out already.",
        "zh": "这条撤回已经处理过了。",
    },
    "undo_not_found": {
        "en": "That message stored no numbers in the open session (or they were taken back already).",
        "zh": "那条消息没有在当前直播里记录数据（或已经撤回了）。",
    },
    "undo_answer_unknown": {
        "en": "That message of mine answers no numbers of the open session (or they were taken back already). Reply /undo to the message with the numbers, or send /undo alone to take back the latest push.",
        "zh": "我这条消息没有对应当前直播里的数据（或已经撤回了）。请回复那条数据消息发 /undo，或直接发 /undo 撤回最新一条。",
    },
    "undo_answer_of_several": {
        "en": "That answer of mine covers {n} pushes. Reply /undo to the push you mean, or send /undo alone to take back the latest.",
        "zh": "我这条回复对应了 {n} 条数据。请回复你要撤回的那条数据消息发 /undo，或直接发 /undo 撤回最新一条。",
    },
    "undo_not_yours": {
        "en": "Only the person who sent those numbers, or the group's administrators, can take them back. Reply /undo to your own push.",
        "zh": "只有发这条数据的人或群管理员可以撤回。请回复你自己的那条数据发 /undo。",
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
        "en": "the file is {size}; the limit is {limit}.",
        "zh": "文件大小 {size}，上限为 {limit}。",
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
    "reject_outlasts_session": {
        "en": "{count} viewers watched longer than session #{id} has run ({span}; the longest "
        "watched {longest}), so the file looks like another stream's. Send it again captioned "
        "with its stream's #id — #{id} if it is this one's (/sessions lists them).",
        "zh": "有 {count} 位观众的观看时长超过第 {id} 场的时长（{span}；最长 {longest}），"
        "这份文件像是别的场次的。请在附言中写上它所属场次的 #编号 再发一次——如果就是这一场，"
        "写 #{id}（/sessions 可查看列表）。",
    },
    "reject_currency_conflict": {
        "en": "the money in this file is in {file}, and this chat counts in {workspace}: "
        "together the figures would be wrong. Send the export in {workspace}; if this chat's "
        "currency is set wrong, change it with /currency {code} and send the file again. A shop "
        "that sells in another currency can have a group of its own with me.",
        "zh": "这个文件的金额是{file}，本工作区用{workspace}，混在一起数字就不对了。"
        "请上传以{workspace}计价的导出文件；如果本工作区的货币设错了，先发 /currency {code} "
        "改过来，再发一次这个文件。用另一种货币经营的店铺，可以另建一个群把我拉进去单独记录。",
    },
    "reject_mixed_currencies": {
        "en": "the money in this file is in more than one currency — {cells}. A chat counts in "
        "one currency: export the file again in one.",
        "zh": "这个文件的金额混用了多种货币 — {cells}。一个工作区只用一种货币：请重新导出只用一种货币的文件。",
    },
    "import_currency_set": {
        "en": "This chat's currency is now {currency}, as in this file; /currency changes it.",
        "zh": "本工作区的货币已按这个文件设为{currency}；可用 /currency 更改。",
    },
    "currency_named": {"en": "{name} ({sign})", "zh": "{name}（{sign}）"},
    "currency_name_cny": {"en": "Chinese yuan", "zh": "人民币"},
    "currency_name_usd": {"en": "US dollars", "zh": "美元"},
    "currency_name_idr": {"en": "Indonesian rupiah", "zh": "印尼盾"},
    "currency_name_vnd": {"en": "Vietnamese dong", "zh": "越南盾"},
    "currency_name_thb": {"en": "Thai baht", "zh": "泰铢"},
    "currency_name_myr": {"en": "Malaysian ringgit", "zh": "马来西亚林吉特"},
    "currency_name_php": {"en": "Philippine pesos", "zh": "菲律宾比索"},
    "currency_name_sgd": {"en": "Singapore dollars", "zh": "新加坡元"},
    "currency_name_hkd": {"en": "Hong Kong dollars", "zh": "港币"},
    "currency_name_twd": {"en": "New Taiwan dollars", "zh": "新台币"},
    "currency_name_jpy": {"en": "Japanese yen", "zh": "日元"},
    "currency_name_krw": {"en": "Korean won", "zh": "韩元"},
    "currency_name_gbp": {"en": "British pounds", "zh": "英镑"},
    "currency_name_eur": {"en": "euros", "zh": "欧元"},
    "reject_missing_columns": {
        "en": "required columns are missing: {columns}.",
        "zh": "缺少必需的列：{columns}。",
    },
    "reject_other": {"en": "{detail}", "zh": "{detail}"},
    "bad_row": {
        "en": "row {row}, {column} “{value}”: {reason}",
        "zh": "第 {row} 行 {column}“{value}”：{reason}",
    },
    # --- session summary ---------------------------------------------------------------------
    "summary_title": {
        "en": "📊 Session #{id}{title} — {when}",
        "zh": "📊 第 {id} 场{title}— {when}",
    },
    "summary_too_short": {
        "en": "Only {duration} of pushes: too little for a summary. Push numbers during the stream or upload its exports, then /summary {id}.",
        "zh": "只有 {duration} 的播报数据，不足以复盘。直播时多推送数据或上传导出文件后，再发送 /summary {id}。",
    },
    "summary_no_data": {
        "en": "Nothing to summarise yet: push numbers during the stream or upload its exports, then /summary {id}.",
        "zh": "暂无可复盘的数据：直播时推送数据或上传导出文件后，再发送 /summary {id}。",
    },
    "line_duration": {"en": "Duration {v}", "zh": "时长 {v}"},
    "line_peak": {"en": "peak online {v}", "zh": "最高在线 {v}"},
    "line_avg_online": {"en": "average {v}", "zh": "平均在线 {v}"},
    "line_viewers": {"en": "Viewers {v}", "zh": "观看人数 {v}"},
    "line_avg_watch": {"en": "average watch {v}", "zh": "人均观看 {v}"},
    "line_engagement": {"en": "{v} interactions per viewer", "zh": "人均互动 {v} 次"},
    "line_followers": {"en": "new followers {v}", "zh": "涨粉 {v}"},
    "sales_gmv": {"en": "GMV {v}", "zh": "成交额 {v}"},
    "sales_orders": {"en": "orders {v}", "zh": "订单 {v}"},
    "sales_buyers": {"en": "buyers {v}", "zh": "成交人数 {v}"},
    "sales_per_buyer": {"en": "per buyer {v}", "zh": "客单价 {v}"},
    "sales_aov": {"en": "per order (AOV) {v}", "zh": "笔单价 {v}"},
    "value_conversion": {"en": "conversion {v}", "zh": "转化率 {v}"},
    "value_gpm": {"en": "GPM {v}", "zh": "千次观看成交 {v}"},
    "value_uv": {"en": "UV value {v}", "zh": "UV 价值 {v}"},
    "products_ctr": {"en": "CTR {v}", "zh": "商品点击率 {v}"},
    "products_ctor": {"en": "CTOR {v}", "zh": "点击-成交转化率 {v}"},
    "products_items": {"en": "items sold {v}", "zh": "成交件数 {v}"},
    "summary_line_funnel": {"en": "Funnel: {stages}", "zh": "漏斗：{stages}"},
    "summary_line_segments": {"en": "Audience: {segments}", "zh": "观众分层：{segments}"},
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
        "en": "Half-life is only {half_life_s}: re-hook the room every {hook_every_min} min (a question, a price reveal, a giveaway countdown).",
        "zh": "半衰期只有 {half_life_s}：每 {hook_every_min} 分钟重新抓一次注意力（提问、揭晓价格、福袋倒计时）。",
    },
    "sugg_early_drop": {
        "en": "{left_first_min_pct}% leave within the first minute: open with the offer and the price, not the warm-up.",
        "zh": "{left_first_min_pct}% 的观众一分钟内离开：开场直接讲福利和价格，别先寒暄。",
    },
    "sugg_gmv_below_prediction": {
        "en": "This audience spent well short of what the model expects of viewers like them: strengthen the close — limited stock, clear call to buy.",
        "zh": "这批观众的消费明显低于模型对同类观众的预期：加强逼单——限量库存、明确下单指引。",
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
        "en": "The top 10% hold {top_share_pct}% of the buying power: look after them — fan group, early access, a thank-you.",
        "zh": "前 10% 的观众占 {top_share_pct}% 的购买力：维护好他们——粉丝团、优先购、感谢。",
    },
    "sugg_watch_time_drives_spend": {
        "en": "Viewers who watched 10 min longer spent about {per_10min} more (a pattern, not a promise): a running storyline keeps people longer.",
        "zh": "观看时长多 10 分钟的观众，平均多消费约 {per_10min}（是相关，不是保证）：用连续的节目线留住观众。",
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
        "en": "Half-life is {half_life_s}: there is room for longer demos and higher-priced products.",
        "zh": "半衰期达 {half_life_s}：可以做更长的讲解，上更高价的商品。",
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
    "summary_underway": {
        "en": "The summary of #{id} is being sent right now — it is on its way.",
        "zh": "第 {id} 场的复盘正在发送，马上就到。",
    },
    "summary_just_sent": {
        "en": "The summary of #{id} was sent just now — it is right above.",
        "zh": "第 {id} 场的复盘刚刚发过了，就在上面。",
    },
    # --- summaries, digests, nudges ------------------------------------------------------------
    "summary_auto_closed": {
        "en": "(No numbers for {hours} h, so I closed this session.)",
        "zh": "（{hours} 小时没有推送数据，本场已自动结束。）",
    },
    "compare_header": {
        "en": "Against the median of your last {n} streams:",
        "zh": "对比最近 {n} 场的中位数：",
    },
    "compare_item": {
        "en": "• {name} {value} vs {median}{change}",
        "zh": "• {name} {value}，中位数 {median}{change}",
    },
    "compare_change": {"en": " ({change})", "zh": "（{change}）"},
    "compare_gmv": {"en": "GMV", "zh": "成交额"},
    "compare_half_life": {"en": "half-life", "zh": "半衰期"},
    "compare_peak": {"en": "peak online", "zh": "最高在线"},
    "compare_duration": {"en": "duration", "zh": "时长"},
    "sessions_line": {
        "en": "#{id}{title} — {when} · {duration} · GMV {gmv}",
        "zh": "#{id}{title}— {when} · {duration} · 成交额 {gmv}",
    },
    "sessions_open": {"en": "live now", "zh": "直播中"},
    "sessions_line_platform": {
        "en": "·{title} — {when} · {duration} · GMV {gmv} (platform list)",
        "zh": "·{title}— {when} · {duration} · 成交额 {gmv}（平台场次列表）",
    },
    "sessions_footer_platform": {
        "en": "Rows from a platform's session list have no summary of their own; they count in digests and comparisons.",
        "zh": "来自平台场次列表的行没有单独的复盘，会计入简报和对比。",
    },
    "sessions_footer": {
        "en": "/summary id gives a session's summary.",
        "zh": "/summary 编号 查看该场复盘。",
    },
    "digest_title": {
        "en": "☀️ Daily digest for {date} ({tz})",
        "zh": "☀️ {date} 每日简报（{tz}）",
    },
    "digest_title_24h": {
        "en": "☀️ The last 24 hours, up to {date} ({tz})",
        "zh": "☀️ 过去 24 小时（截至 {date}，{tz}）",
    },
    "digest_gmv": {
        "en": "Streams {streams} · GMV {gmv} {average}",
        "zh": "直播 {streams} 场 · 成交额 {gmv}{average}",
    },
    "digest_vs_average": {
        "en": "(7-day average {avg}{change})",
        "zh": "（7 日平均 {avg}{change}）",
    },
    "digest_change": {"en": ", {change}", "zh": "，{change}"},
    "digest_no_average": {
        "en": "(no streams in the 7 days before)",
        "zh": "（此前 7 天没有直播）",
    },
    "digest_half_life": {
        "en": "Half-life {half_life} (7-day median {prior}: {trend})",
        "zh": "半衰期 {half_life}（7 日中位数 {prior}：{trend}）",
    },
    "digest_half_life_only": {"en": "Half-life {half_life}", "zh": "半衰期 {half_life}"},
    "digest_best": {
        "en": "Best stream: {name}“{title}” — GMV {gmv}{share}",
        "zh": "最佳场次：{name}“{title}”— 成交额 {gmv}{share}",
    },
    "digest_events": {
        "en": "🎁 What events did across these {streams} streams:",
        "zh": "🎁 本期 {streams} 场直播的活动效果：",
    },
    "digest_days_header": {
        "en": "The last {days} days:",
        "zh": "近 {days} 天：",
    },
    "digest_day_row": {
        "en": "• {date} · {streams} · GMV {gmv}{half_life}",
        "zh": "• {date} · {streams} · 成交额 {gmv}{half_life}",
    },
    "digest_day_streams": {"en": "{n} streams", "zh": "{n} 场"},
    "digest_day_stream": {"en": "{n} stream", "zh": "{n} 场"},
    "digest_day_half_life": {"en": " · half-life {half_life}", "zh": " · 半衰期 {half_life}"},
    "digest_now_empty": {
        "en": "No streams in the last 24 hours, so there is nothing to digest.",
        "zh": "过去 24 小时没有直播，暂无简报。",
    },
    "digest_off": {
        "en": "Daily digest off. /digest 09:00 turns it back on.",
        "zh": "每日简报已关闭。/digest 09:00 可重新开启。",
    },
    "digest_set": {
        "en": "Daily digest at {time} ({tz}); the next one {next}. Days without a stream get none.",
        "zh": "每日简报时间 {time}（{tz}）；下一次 {next}。没有直播的日子不发送。",
    },
    "nudges_on": {
        "en": "Live nudges on: at most one every 10 minutes, when attention slips.",
        "zh": "直播提醒已开启：注意力下滑时提醒，每 10 分钟最多一次。",
    },
    "nudges_off": {"en": "Live nudges off.", "zh": "直播提醒已关闭。"},
    "live_forecast": {
        "en": "Forecast final GMV: {value} ({method})",
        "zh": "预计本场成交额：{value}（{method}）",
    },
    "forecast_model": {"en": "model", "zh": "模型"},
    "forecast_run_rate": {"en": "at the current pace", "zh": "按当前节奏"},
    "nudge_online_drop_hook": {
        "en": "⚠️ Online fell from {before} to {now} (−{drop}%) in {window}. Restate the offer and pin the hero product now, so newcomers know at once why to stay.",
        "zh": "⚠️ {window}内在线从 {before} 降到 {now}（−{drop}%）。马上重讲福利、置顶主推品，让新进来的观众立刻知道为什么留下。",
    },
    "nudge_attention_drop_promo": {
        "en": "⚠️ Viewers are leaving faster: half-life {recent} over the last {window}, against {usual} before. Run a flash deal or a giveaway now.",
        "zh": "⚠️ 观众流失加快：最近 {window}半衰期 {recent}，此前为 {usual}。现在来一波秒杀或福袋。",
    },
    # --- admins: models and retraining -------------------------------------------------------
    "admin_only": {
        "en": "Sorry, this command is for LiveHost's admins only.",
        "zh": "抱歉，此命令仅限 LiveHost 管理员使用。",
    },
    "kind_buying_power": {"en": "buying power", "zh": "购买力"},
    "kind_forecast": {"en": "GMV forecast", "zh": "成交额预测"},
    "retrain_usage": {
        "en": "Usage: /retrain [buying_power|forecast|all] [force]",
        "zh": "用法：/retrain [buying_power|forecast|all] [force]",
    },
    "retrain_busy": {
        "en": "The {kind} model is already training; its result follows here.",
        "zh": "{kind}模型正在训练中，结果会发到这里。",
    },
    "retrain_started": {
        "en": "⏳ Training {kinds} on all workspaces' data… I keep answering meanwhile.",
        "zh": "⏳ 正在用所有工作区的数据训练{kinds}……训练期间照常回复。",
    },
    "retrain_progress": {
        "en": "⏳ Training {kind}… {seconds} s",
        "zh": "⏳ 正在训练{kind}…… {seconds} 秒",
    },
    "retrain_finished": {
        "en": "✅ Training finished in {seconds} s.",
        "zh": "✅ 训练完成，用时 {seconds} 秒。",
    },
    "retrain_header": {"en": "Retrain results:", "zh": "重新训练结果："},
    "retrain_weekly_header": {
        "en": "Weekly retrain results:",
        "zh": "每周重新训练结果：",
    },
    "retrain_line": {
        "en": "• {kind} v{version} ({rows} rows, {seconds} s): {metrics}\n  baseline: {baseline}\n  active{active}: {active_metrics}\n  → {verdict}",
        "zh": "• {kind} v{version}（{rows} 行，{seconds} 秒）：{metrics}\n  基线：{baseline}\n  当前版本{active}：{active_metrics}\n  → {verdict}",
    },
    "retrain_verdict_first": {
        "en": "promoted: the first version in use",
        "zh": "已启用：第一个投入使用的版本",
    },
    "retrain_verdict_better": {
        "en": "promoted: better than the active version",
        "zh": "已启用：优于当前版本",
    },
    "retrain_verdict_forced": {"en": "promoted (forced)", "zh": "已启用（强制）"},
    "retrain_verdict_not_better": {
        "en": "not promoted: not better than the active version (/retrain … force to use it anyway)",
        "zh": "未启用：不优于当前版本（/retrain … force 可强制启用）",
    },
    "retrain_verdict_baseline": {
        "en": "not promoted: does not beat its baseline",
        "zh": "未启用：没有超过基线",
    },
    "retrain_verdict_active": {"en": "already active", "zh": "已在使用"},
    "retrain_verdict_unchecked": {
        "en": "promoted: the active version was never checked on real streams",
        "zh": "已启用：当前版本从未在真实直播上检验过",
    },
    "retrain_verdict_few_real": {
        "en": "not promoted: {real} real streams to check it on, {min} needed; until then live forecasts use the run-rate (/retrain … force to use it anyway)",
        "zh": "未启用：可用来检验的真实直播只有 {real} 场，需要 {min} 场；在此之前直播中的预测按当前节奏（/retrain … force 可强制启用）",
    },
    "retrain_not_enough_data": {
        "en": "• {kind}: not enough data to train yet ({detail}). Nothing changed.",
        "zh": "• {kind}：数据还不够训练（{detail}）。未做任何更改。",
    },
    "retrain_refused": {
        "en": "• {kind}: the new model file failed its checks ({detail}). Nothing changed.",
        "zh": "• {kind}：新模型文件未通过校验（{detail}）。未做任何更改。",
    },
    "retrain_failed": {
        "en": "• {kind}: training failed ({detail}). Nothing changed.",
        "zh": "• {kind}：训练失败（{detail}）。未做任何更改。",
    },
    "models_header": {"en": "Models:", "zh": "模型："},
    "models_kind": {"en": "{kind}:", "zh": "{kind}："},
    "models_none": {
        "en": "  no version yet — /retrain trains one",
        "zh": "  还没有版本 — 用 /retrain 训练",
    },
    "models_line": {
        "en": "  {mark} v{version} {when}, {rows} rows: {metrics}",
        "zh": "  {mark} v{version} {when}，{rows} 行：{metrics}",
    },
    "models_drift": {
        "en": "  live error of v{version} since it was trained: {live} on {n} {unit} (cross-validated {cv})",
        "zh": "  v{version} 训练后的实际误差：{live}，基于 {n} {unit}（交叉验证 {cv}）",
    },
    "models_drift_none": {
        "en": "  no new data since v{version} was trained, so no live error yet",
        "zh": "  v{version} 训练后还没有新数据，暂无实际误差",
    },
    "models_drift_hint": {
        "en": "  ⚠️ the error grew ×{ratio}: /retrain {kind_arg}",
        "zh": "  ⚠️ 误差增大到 ×{ratio}：请 /retrain {kind_arg}",
    },
    "models_refused": {
        "en": "  ⚠️ the file of v{version} failed its checks; the baseline or the last good version is in use",
        "zh": "  ⚠️ v{version} 的文件未通过校验；正在使用基线或上一个正常版本",
    },
    "models_unchecked": {
        "en": "  ⚠️ v{version} was never checked on this shop's own streams, so live forecasts go by the current pace; /retrain forecast checks a new one; to use it anyway, /rollback forecast {version}",
        "zh": "  ⚠️ v{version} 没有在本店自己的直播上检验过，直播中的预测按当前节奏；/retrain forecast 会训练并检验新版本，/rollback forecast {version} 可坚持使用它",
    },
    "unit_viewers": {"en": "viewer rows", "zh": "条观众记录"},
    "unit_sessions": {"en": "forecasts", "zh": "次预测"},
    "rollback_usage": {
        "en": "Usage: /rollback N or /rollback forecast N (see /models for the versions)",
        "zh": "用法：/rollback N 或 /rollback forecast N（版本见 /models）",
    },
    "rollback_ok": {
        "en": "{kind}: v{version} is active again (before: {before}).",
        "zh": "{kind}：已恢复使用 v{version}（之前：{before}）。",
    },
    "rollback_not_found": {
        "en": "{kind}: there is no version {version}. /models lists them.",
        "zh": "{kind}：没有版本 {version}。/models 可查看版本。",
    },
    "rollback_refused": {
        "en": "{kind}: the file of v{version} failed its checks ({detail}); nothing changed.",
        "zh": "{kind}：v{version} 的文件未通过校验（{detail}）；未做任何更改。",
    },
    "adminstats": {
        "en": (
            "LiveHost:\n"
            "Workspaces: {active} active, {inactive} inactive\n"
            "Sessions: {sessions}\n"
            "Rows: {snapshots} snapshots, {minutes} minute rows, {viewers} viewer rows, "
            "{past} past sessions\n"
            "Database: {size}\n"
            "Last retrain: buying power {bp}; GMV forecast {fc}"
        ),
        "zh": (
            "LiveHost：\n"
            "工作区：活跃 {active}，停用 {inactive}\n"
            "场次：{sessions}\n"
            "数据：快照 {snapshots}，分钟数据 {minutes}，观众记录 {viewers}，历史场次 {past}\n"
            "数据库：{size}\n"
            "最近训练：购买力 {bp}；成交额预测 {fc}"
        ),
    },
    "never": {"en": "never", "zh": "从未"},
    # --- the hosts' data -----------------------------------------------------------------------
    "export_empty": {
        "en": "There is no data in this workspace yet, so there is nothing to export.",
        "zh": "这个工作区还没有数据，无可导出。",
    },
    "export_caption": {
        "en": "All of this workspace's data: {sessions} sessions, {snapshots} snapshots, {minutes} minute rows, {viewers} viewer rows, {past} past sessions (CSV, UTF-8).",
        "zh": "本工作区的全部数据：{sessions} 场、快照 {snapshots} 条、分钟数据 {minutes} 行、观众记录 {viewers} 行、历史场次 {past} 条（CSV，UTF-8）。",
    },
    "forget_confirm": {
        "en": "Delete everything of this workspace — sessions, pushes, imported files, schedules? This cannot be undone. /export first if you want a copy.",
        "zh": "删除本工作区的全部数据——场次、推送、导入的文件、定时任务？此操作无法撤销。如需备份请先 /export。",
    },
    "forget_yes": {"en": "Delete everything", "zh": "全部删除"},
    "forget_no": {"en": "Cancel", "zh": "取消"},
    "forget_done": {
        "en": "Deleted: {sessions} sessions, {rows} rows, {imports} imported files, {sends} schedules. This chat starts afresh; /start sets it up again.",
        "zh": "已删除：{sessions} 场、{rows} 行数据、{imports} 个导入文件、{sends} 个定时任务。本聊天将重新开始，发送 /start 重新设置。",
    },
    "forget_already": {
        "en": "Already deleted: there is nothing more to delete.",
        "zh": "已经删除过了，没有更多可删除的数据。",
    },
    "forget_cancelled": {"en": "Cancelled: nothing was deleted.", "zh": "已取消，未删除任何数据。"},
    # --- pushes ----------------------------------------------------------------------------
    "push_got": {"en": "✅ Got it{when}: {values}.", "zh": "✅ 已记录{when}：{values}。"},
    "push_when": {"en": ", {elapsed} into the stream", "zh": "（开播 {elapsed}）"},
    "push_when_since": {
        "en": ", {elapsed} into the stream ({ago} after the last push)",
        "zh": "（开播 {elapsed}，距上次 {ago}）",
    },
    "push_with_change": {"en": "{value} ({change})", "zh": "{value}（{change}）"},
    "push_stay": {
        "en": "Stay: half of the viewers leave within {half}.",
        "zh": "停留：一半观众在 {half}内离开。",
    },
    "push_stay_not_enough": {
        "en": "Stay: not enough data yet ({why}).",
        "zh": "停留：数据还不够（{why}）。",
    },
    "push_stay_faster": {
        "en": "Stay: half of the viewers leave within {half}; in the last {window}, within {recent}: people are leaving faster.",
        "zh": "停留：一半观众在 {half}内离开；最近 {window}缩短到 {recent}，观众流失加快。",
    },
    "push_stay_slower": {
        "en": "Stay: half of the viewers leave within {half}; in the last {window}, only within {recent}: people are staying longer.",
        "zh": "停留：一半观众在 {half}内离开；最近 {window}延长到 {recent}，观众停留更久。",
    },
    "push_ignored": {"en": "Not stored: {items}.", "zh": "未记录：{items}。"},
    "details_button": {"en": "🔬 Details", "zh": "🔬 详细数据"},
    "details_offer": {
        "en": "The figures behind this summary (λ, R², MAE):",
        "zh": "这份总结背后的数据（λ、R²、MAE）：",
    },
    "push_merged": {
        "en": "📥 {n} pushes while the group's messages were paced:",
        "zh": "📥 群消息限速期间收到 {n} 条数据：",
    },
    "details_title": {
        "en": "🔬 The figures behind it — session #{id}",
        "zh": "🔬 背后的数据 — 第 {id} 场",
    },
    "details_pushes": {"en": "Numbers pushed: {n}", "zh": "已推送数据：{n} 次"},
    "details_attention": {
        "en": "Leaving rate λ = {lam}/min, half-life {half_life}{ci}, from {source}: {exits} exits over {exposure} of watching",
        "zh": "流失率 λ = {lam}/分钟，半衰期 {half_life}{ci}，来自{source}：共 {exposure} 观看中离开 {exits} 人次",
    },
    "details_two_phase": {
        "en": "Two-phase curve: {bounce} leave quickly (half-life {bounce_half}); the rest stay with a half-life of {engaged}; distance to the observed curve (KS) {ks}",
        "zh": "双阶段曲线：{bounce} 的观众很快离开（半衰期 {bounce_half}），其余观众半衰期 {engaged}；与实际留存曲线的距离（KS）{ks}",
    },
    "details_ci": {"en": " (95% interval ±{ci})", "zh": "（95% 区间 ±{ci}）"},
    "details_recent": {
        "en": "Last {window}: λ = {lam}/min, half-life {half_life}",
        "zh": "最近 {window}：λ = {lam}/分钟，半衰期 {half_life}",
    },
    "details_no_attention": {
        "en": "No leaving rate yet: {why}.",
        "zh": "暂无流失率：{why}。",
    },
    "details_bp": {
        "en": "Buying power ({model}): R² {r2} on this session's viewers{in_sample}; held-out R² {held} ({held_on}); mean absolute error (MAE) {mae} per viewer",
        "zh": "购买力（{model}）：本场观众 R² {r2}{in_sample}；留出 R² {held}（{held_on}）；平均绝对误差（MAE）每位观众 {mae}",
    },
    "details_in_sample": {"en": " (fitted on them)", "zh": "（在这些观众上拟合）"},
    "details_held_sessions": {"en": "on other sessions", "zh": "在其他场次上检验"},
    "details_held_viewers": {"en": "on viewers left out in turn", "zh": "轮流留出部分观众检验"},
    "details_held_none": {"en": "none to test on", "zh": "没有可检验的数据"},
    "details_none": {
        "en": "No technical figures for this yet: push online and entries (or upload a viewer export) first.",
        "zh": "暂时没有技术数据：先推送在线和进场人数（或上传观众明细）。",
    },
    "push_nothing_stored": {"en": "Nothing was stored: {items}.", "zh": "本条未记录：{items}。"},
    "push_more": {"en": "…and {n} more", "zh": "……另有 {n} 项"},
    "push_known": {"en": "Labels I read: {keys}.", "zh": "可识别的项目：{keys}。"},
    "push_why_unknown_label": {
        "en": "“{text}” (unknown label)",
        "zh": "“{text}”（无法识别的项目）",
    },
    "push_why_suggest": {
        "en": "“{text}” (did you mean {labels}?)",
        "zh": "“{text}”（是不是想写{labels}？）",
    },
    "push_quoted": {"en": "‘{text}’", "zh": "“{text}”"},
    "push_or": {"en": " or ", "zh": "或"},
    "push_why_no_label": {
        "en": "“{text}” (a number without a label)",
        "zh": "“{text}”（数字没有对应的项目）",
    },
    "push_why_missing": {"en": "{label} (no number)", "zh": "{label}（没有数字）"},
    "push_why_not_a_number": {"en": "“{text}” (not a number)", "zh": "“{text}”（不是有效数字）"},
    "push_why_ambiguous": {
        "en": "“{text}” (after 亿 or 억, end the figure with 万 or 만, or write the whole number: 1亿2000万 is 120,000,000; for 100,002,000 write 100002000)",
        "zh": "“{text}”（亿 / 억 之后的数字请以 万 / 만 结尾，或写完整数字：1亿2000万 即 120,000,000；100,002,000 请直接写 100002000）",
    },
    "push_why_ambiguous_readings": {
        "en": "“{text}” ({written}, that is {a}, or {b}? Write {written} or {digits})",
        "zh": "“{text}”（是 {written} 即 {a}，还是 {b}？请写 {written} 或 {digits}）",
    },
    "push_why_repeated": {
        "en": "“{text}” ({label} twice in one message: the later one is kept)",
        "zh": "“{text}”（同一条消息里{label}写了两次，记录的是后一个）",
    },
    "push_why_split_figure_as": {
        "en": "“{text}” (one figure or two? For one, write {joined}; give a second one its own label)",
        "zh": "“{text}”（是一个数还是两个数？一个数请连写为 {joined}；另一个数请写上它的项目）",
    },
    "push_why_split_figure": {
        "en": "“{text}” (one figure or two? Write one figure without spaces, such as 1万2000, 12000 or 1200, and give a second one its own label)",
        "zh": "“{text}”（是一个数还是两个数？一个数请连写，如 1万2000、12000、1200；另一个数请写上它的项目）",
    },
    "push_why_range": {
        "en": "“{text}” (a range: push the one number you see now)",
        "zh": "“{text}”（这是一个范围：请推送此刻看到的一个数）",
    },
    "push_why_date": {
        "en": "“{text}” (a date: what you push is recorded as of now; for another day's figures, upload that stream's export)",
        "zh": "“{text}”（日期：推送的数按此刻记录；其他日子的数据请上传那一场的导出文件）",
    },
    "push_why_negative": {"en": "“{text}” (cannot be negative)", "zh": "“{text}”（不能为负数）"},
    "push_why_not_whole": {
        "en": "“{text}” (must be a whole number)",
        "zh": "“{text}”（必须是整数）",
    },
    "push_why_other_currency": {
        "en": "“{text}” (another currency)",
        "zh": "“{text}”（其他货币）",
    },
    "push_other_currency": {
        "en": "This chat keeps its money in {ours}, so amounts in {theirs} are not mixed in. If the chat's money really is in {theirs}, send /currency {code}.",
        "zh": "本工作区的金额用{ours}，{theirs}的金额不会混进来。如果这里其实用{theirs}，发 /currency {code}。",
    },
    "push_why_too_large": {"en": "“{text}” (too large)", "zh": "“{text}”（数值太大）"},
    "push_why_not_now": {
        "en": "“{text}” (a target, a forecast, a refund or another stream's figure, not what you see now)",
        "zh": "“{text}”（目标、预计、退款或往场的数字，不是此刻看到的）",
    },
    "push_why_not_a_reading": {
        "en": "“{text}” (a peak or an average: push what you see now, and I work those out)",
        "zh": "“{text}”（峰值或平均值：推送此刻看到的数，峰值和平均由我算出）",
    },
    "push_why_worked_out": {
        "en": "“{text}” (I work it out from {inputs}: push those)",
        "zh": "“{text}”（这一项由{inputs}算出，推送它们即可）",
    },
    "worked_from_per_buyer": {"en": "GMV and buyers", "zh": "成交额和成交人数"},
    "worked_from_aov": {"en": "GMV and orders", "zh": "成交额和订单数"},
    "worked_from_uv_value": {"en": "GMV and viewers", "zh": "成交额和场观"},
    "worked_from_follow_rate": {"en": "new followers and viewers", "zh": "涨粉和场观"},
    "worked_from_entry_rate": {
        "en": "viewers and impressions",
        "zh": "场观和曝光",
    },
    "worked_from_ctor": {"en": "buyers and product clicks", "zh": "成交人数和商品点击"},
    "push_why_wrong_unit": {
        "en": "“{text}” (the unit does not fit {label})",
        "zh": "“{text}”（单位与{label}不符）",
    },
    "push_key_online": {"en": "online", "zh": "在线"},
    "push_key_viewers": {"en": "viewers", "zh": "场观"},
    "push_key_entries": {"en": "views", "zh": "进场"},
    "push_key_likes": {"en": "likes", "zh": "点赞"},
    "push_key_comments": {"en": "comments", "zh": "评论"},
    "push_key_shares": {"en": "shares", "zh": "分享"},
    "push_key_followers": {"en": "new followers", "zh": "涨粉"},
    "push_key_clicks": {"en": "product clicks", "zh": "商品点击"},
    "push_key_orders": {"en": "orders", "zh": "订单"},
    "push_key_buyers": {"en": "buyers", "zh": "成交人数"},
    "push_key_gmv": {"en": "GMV", "zh": "成交额"},
    "push_key_items": {"en": "items sold", "zh": "成交件数"},
    "push_key_avg_stay_s": {"en": "average stay", "zh": "人均停留"},
    "push_key_conversion": {"en": "conversion", "zh": "转化率"},
    "push_key_ctr": {"en": "CTR", "zh": "点击率"},
    "push_key_gpm": {"en": "GPM", "zh": "千次观看成交额"},
    "push_key_impressions": {"en": "impressions", "zh": "曝光"},
    "push_key_product_impressions": {"en": "product impressions", "zh": "商品曝光"},
    "push_val_online": {"en": "{n} online", "zh": "在线 {n}人"},
    "push_val_viewers": {"en": "{n} viewers", "zh": "场观 {n}人"},
    "push_val_entries": {"en": "{n} views", "zh": "进场 {n}人次"},
    "push_val_likes": {"en": "{n} likes", "zh": "点赞 {n}次"},
    "push_val_comments": {"en": "{n} comments", "zh": "评论 {n}条"},
    "push_val_shares": {"en": "{n} shares", "zh": "分享 {n}次"},
    "push_val_followers": {"en": "{n} new followers", "zh": "涨粉 {n}人"},
    "push_val_clicks": {"en": "{n} product clicks", "zh": "商品点击 {n}次"},
    "push_val_orders": {"en": "{n} orders", "zh": "订单 {n}单"},
    "push_val_buyers": {"en": "{n} buyers", "zh": "成交 {n}人"},
    "push_val_gmv": {"en": "GMV {n}", "zh": "成交额 {n}"},
    "push_val_items": {"en": "{n} items sold", "zh": "成交 {n}件"},
    "push_val_avg_stay_s": {"en": "average stay {n}", "zh": "人均停留 {n}"},
    "push_val_conversion": {"en": "conversion {n}", "zh": "转化率 {n}"},
    "push_val_ctr": {"en": "CTR {n}", "zh": "点击率 {n}"},
    "push_val_gpm": {"en": "GPM {n} per 1,000 views", "zh": "千次观看成交额 {n}"},
    "push_val_impressions": {"en": "{n} impressions", "zh": "曝光 {n}人次"},
    "push_val_product_impressions": {
        "en": "{n} product impressions",
        "zh": "商品曝光 {n}人次",
    },
    # hostile files ----------------------------------------------------------------------------
    "reject_unpacked_too_large": {
        "en": "the workbook unpacks to {size}; I read at most {limit}.",
        "zh": "该工作簿解压后有 {size}，最多只能读取 {limit}。",
    },
    "reject_zip_ratio": {
        "en": "the workbook is packed {ratio} times smaller than its content (at most {limit} times in a real export); it looks like a zip bomb.",
        "zh": "该工作簿的压缩比为 {ratio} 倍（正常导出最多 {limit} 倍），疑似压缩炸弹。",
    },
    "reject_too_many_entries": {
        "en": "the workbook holds {count} parts; a real export has at most {limit}.",
        "zh": "该工作簿包含 {count} 个部件，正常导出最多 {limit} 个。",
    },
    "reject_too_many_strings": {
        "en": "the workbook holds more than {limit} different texts; split it into smaller files.",
        "zh": "该工作簿包含超过 {limit} 条不同的文本，请拆分成较小的文件。",
    },
    "reject_cell_too_long": {
        "en": "one cell holds {length} bytes of text; a cell may hold at most {limit}.",
        "zh": "有一个单元格包含 {length} 字节的文本，单元格最多 {limit} 字节。",
    },
    "reject_line_too_long": {
        "en": "line {line} is longer than {limit} bytes; an export's lines are far shorter.",
        "zh": "第 {line} 行超过 {limit} 字节；正常导出的行要短得多。",
    },
    "reject_mixed_encoding": {
        "en": "line {line} is not in {encoding} like the rest of the file (mixed encodings); save the whole file again as UTF-8.",
        "zh": "第 {line} 行的编码与文件其余部分（{encoding}）不同（编码混杂）；请将整个文件重新另存为 UTF-8。",
    },
    "why_too_large": {"en": "too large", "zh": "数值过大"},
    "why_too_early": {"en": "before 2015", "zh": "早于 2015 年"},
    "why_too_late": {"en": "later than tomorrow", "zh": "晚于明天"},
    "why_too_long": {"en": "too long for an id", "zh": "作为 ID 过长"},
    "why_percent": {"en": "a percentage where a number is due", "zh": "此处应为数字而不是百分比"},
    "import_caption_unused": {
        "en": "The caption's #{id} was not used: a sessions list files each of its streams "
        "as a past stream of its own.",
        "zh": "说明里的 #{id} 没有用上：场次列表里的每一场都各自记为一场往期直播。",
    },
    "import_duplicates": {
        "en": "{count} rows were exact repeats of other rows in the file; each was stored once.",
        "zh": "文件中有 {count} 行与其他行完全重复，每种只保存了一次。",
    },
    "import_failed": {
        "en": "❌ {name} was not imported, nothing was stored: something went wrong on my side.",
        "zh": "❌ {name} 未导入，没有写入任何数据：系统出错了。",
    },
    # roles and settings ----------------------------------------------------------------------
    "settings_admins_only": {
        "en": "In a group, settings and deleting data are for the group's admins and the member who set me up with /start. Ask one of them.",
        "zh": "在群里，只有群管理员和发送 /start 设置我的成员可以更改设置或删除数据，请联系他们。",
    },
    "button_not_yours": {
        "en": "This button is for the person who asked for it.",
        "zh": "这个按钮只对发起操作的人有效。",
    },
    "error_alert": {
        "en": "⚠️ LiveHost error {kind} (update {update}, chat {chat}): {detail}\nThe next {kind} is reported in an hour at the earliest; the log has every one.",
        "zh": "⚠️ LiveHost 出错 {kind}（更新 {update}，聊天 {chat}）：{detail}\n同类错误一小时内不再提醒；日志中有全部记录。",
    },
    "greeting": {
        "en": "Hi! I'm LiveHost. During a live stream you send me the numbers you see (online 1200, GMV 3.4k…), and I answer with the trend, a summary after the stream, a morning digest and nudges when viewers start leaving. Choose your language to begin:",
        "zh": "你好！我是 LiveHost。直播时把你看到的数据发给我（在线1200 成交1.2万…），我会告诉你趋势，下播后给你复盘，每天早上发简报，观众开始流失时提醒你。选择语言开始：",
    },
    "greeting_start": {"en": "▶️ Start", "zh": "▶️ 开始"},
    "offer_chinese": {
        "en": "You write in Chinese — shall I speak Chinese too?",
        "zh": "你在用中文——要我也用中文吗？",
    },
    "tz_question": {
        "en": "Which time zone are you in? It sets when the daily digest comes and the times I show (now: {tz}, {now}). Press a button or type a city (Beijing, 北京, Jakarta, London) or an offset (UTC+7).",
        "zh": "你在哪个时区？它决定每日简报的时间和我显示的时间（当前：{tz}，{now}）。点按钮，或输入城市（北京、雅加达、伦敦）或时差（UTC+8）。",
    },
    "tz_set_digest": {
        "en": "Time zone: {tz} (local time now {now}). The daily digest comes at {time} your time, the next one {next}. /digest 21:30 changes the time, /digest off stops it.",
        "zh": "时区：{tz}（当地时间 {now}）。每日简报在当地时间 {time} 发送，下一次 {next}。/digest 21:30 可改时间，/digest off 可关闭。",
    },
    "tz_set_no_digest": {
        "en": "Time zone: {tz} (local time now {now}). The daily digest is off; /digest 09:00 turns it on.",
        "zh": "时区：{tz}（当地时间 {now}）。每日简报已关闭；/digest 09:00 可开启。",
    },
    "tz_current": {
        "en": "Time zone: {tz} (local time now {now}). To change it: /tz Beijing, /tz UTC+7 or /tz Asia/Jakarta.",
        "zh": "当前时区：{tz}（当地时间 {now}）。更改：/tz 北京、/tz UTC+7 或 /tz Asia/Jakarta。",
    },
    "tz_region": {
        "en": "“{tz}” is a region, not a time zone. Name a city, for example: {examples}.",
        "zh": "“{tz}”是一个地区，不是时区。请写城市，例如：{examples}。",
    },
    "tz_not_canonical": {
        "en": "“{tz}” is a technical copy in the time zone database, not a place. Use {zone} instead.",
        "zh": "“{tz}”是时区数据库里的技术副本，不是地点。请改用 {zone}。",
    },
    "tz_not_known": {
        "en": "I don't know the time zone “{tz}”. Type a city (Beijing, 北京, Jakarta, London), an offset (UTC+8) or an IANA name such as Asia/Shanghai.",
        "zh": "无法识别时区“{tz}”。请输入城市（北京、雅加达、伦敦）、时差（UTC+8）或 IANA 名称，例如 Asia/Shanghai。",
    },
    "lang_current": {
        "en": "Language: English. To change it: /lang 中文.",
        "zh": "当前语言：中文。更改：/lang english。",
    },
    "lang_not_known": {
        "en": "Usage: /lang english or /lang 中文 (I speak English and Chinese).",
        "zh": "用法：/lang 中文 或 /lang english（我会说中文和英文）。",
    },
    "digest_current_on": {
        "en": "Daily digest: on, at {time} ({tz}). Change: /digest 21:30, /digest 9am, /digest off, /digest now.",
        "zh": "每日简报：已开启，时间 {time}（{tz}）。更改：/digest 21:30、/digest 早上9点、/digest off、/digest now。",
    },
    "digest_current_off": {
        "en": "Daily digest: off (time {time}, {tz}). /digest on or /digest 09:00 turns it on.",
        "zh": "每日简报：已关闭（时间 {time}，{tz}）。/digest on 或 /digest 09:00 可开启。",
    },
    "digest_not_understood": {
        "en": "I didn't understand “{raw}” as a time. Usage: /digest 21:30, /digest 9am, /digest 9:30pm, /digest 早上9点 — or /digest off, /digest now.",
        "zh": "无法把“{raw}”理解为时间。用法：/digest 21:30、/digest 早上9点、/digest 晚上9点半、/digest 9am，或 /digest off、/digest now。",
    },
    "nudges_current_on": {
        "en": "Live nudges are on: at most one every 10 minutes, when attention slips. /nudges off turns them off.",
        "zh": "直播提醒：已开启（注意力下滑时提醒，每 10 分钟最多一次）。/nudges off 可关闭。",
    },
    "nudges_current_off": {
        "en": "Live nudges are off. /nudges on turns them on.",
        "zh": "直播提醒：已关闭。/nudges on 可开启。",
    },
    "nudges_not_understood": {
        "en": "“{raw}”? Say /nudges on or /nudges off.",
        "zh": "“{raw}”？请发送 /nudges on 或 /nudges off。",
    },
    "currency_current": {
        "en": "Currency: {currency}. To change it: /currency USD (CNY, IDR, VND, THB, MYR, PHP…).",
        "zh": "当前货币：{currency}。更改：/currency CNY（USD、IDR、VND、THB、MYR、PHP…）。",
    },
    "currency_none": {
        "en": "No currency set yet: I take the first ￥, $, Rp, ₫ or ฿ I see, or set it with /currency CNY (USD, IDR, VND, THB…).",
        "zh": "尚未设置货币：我会采用第一次看到的 ￥、$、Rp、₫ 或 ฿，也可以用 /currency CNY（USD、IDR、VND、THB…）设置。",
    },
    "currency_set": {
        "en": "Currency: {currency}. Money figures show it from now on.",
        "zh": "货币已设为 {currency}，金额将以此显示。",
    },
    "currency_not_known": {
        "en": "I don't know the currency “{raw}”. Use a code such as CNY, USD, IDR, VND, THB, MYR or PHP.",
        "zh": "无法识别货币“{raw}”。请使用代码，例如 CNY、USD、IDR、VND、THB、MYR、PHP。",
    },
    "summary_id_not_number": {
        "en": "“{raw}” is not a session number. Usage: /summary 12 for session #12; /sessions lists them.",
        "zh": "“{raw}”不是场次编号。用法：/summary 12 查看第 12 场；/sessions 查看场次。",
    },
    "summary_id_too_large": {
        "en": "There is no session {raw}: that number is far beyond any session. /sessions lists them.",
        "zh": "没有场次 {raw}：这个编号远超任何场次。/sessions 查看场次。",
    },
    "rollback_not_number": {
        "en": "“{raw}” is not a version number. Usage: /rollback 3 or /rollback forecast 3 (see /models).",
        "zh": "“{raw}”不是版本号。用法：/rollback 3 或 /rollback forecast 3（版本见 /models）。",
    },
    "unknown_command_nearest": {
        "en": "I don't know {command} — did you mean /{nearest}? /help lists what I can do.",
        "zh": "无法识别命令 {command}——你是想用 /{nearest} 吗？/help 查看可用命令。",
    },
    "zone_Asia/Shanghai": {"en": "China", "zh": "中国"},
    "zone_Asia/Hong_Kong": {"en": "Hong Kong", "zh": "香港"},
    "zone_Asia/Taipei": {"en": "Taipei", "zh": "台北"},
    "zone_Asia/Singapore": {"en": "Singapore", "zh": "新加坡"},
    "zone_Asia/Kuala_Lumpur": {"en": "Malaysia", "zh": "马来西亚"},
    "zone_Asia/Jakarta": {"en": "Jakarta", "zh": "雅加达"},
    "zone_Asia/Bangkok": {"en": "Thailand", "zh": "泰国"},
    "zone_Asia/Ho_Chi_Minh": {"en": "Vietnam", "zh": "越南"},
    "zone_Asia/Manila": {"en": "Philippines", "zh": "菲律宾"},
    "zone_Europe/London": {"en": "UK", "zh": "英国"},
    "zone_America/New_York": {"en": "US East", "zh": "美国东部"},
    "zone_America/Los_Angeles": {"en": "US West", "zh": "美国西部"},
    # forecast and nudges
    "live_forecast_interval": {
        "en": "Forecast final GMV: expected {low}–{high} (8 in 10 such forecasts end in this range; most likely {value})",
        "zh": "预计本场成交额 {low}–{high}（八成把握，最可能 {value}）",
    },
    "forecast_replay_head": {
        "en": "Session #{id} replayed to {at} (planned length {planned}; {pushes} pushes with GMV by then)",
        "zh": "第 {id} 场回放到开播后 {at}（计划时长 {planned}；此时已有 {pushes} 次含成交额的推送）",
    },
    "forecast_replay_none": {
        "en": "No forecast at that point: it takes 10 minutes of stream and 3 pushes with GMV.",
        "zh": "此时还不能预测：需要开播满 10 分钟且至少 3 次推送含成交额。",
    },
    "forecast_replay_actual": {
        "en": "Actual final GMV: {actual}",
        "zh": "实际本场成交额：{actual}",
    },
    "forecast_replay_error": {
        "en": "Forecast error: {error} (the run-rate's: {naive}); inside the range: {inside}",
        "zh": "预测误差：{error}（按当前节奏：{naive}）；落在区间内：{inside}",
    },
    "forecast_no_session": {"en": "No session #{id}.", "zh": "没有第 {id} 场。"},
    "forecast_bad_minute": {
        "en": "--at takes the minutes since the start, 0 or more.",
        "zh": "--at 是开播后的分钟数，需大于等于 0。",
    },
    "forecast_inside_yes": {"en": "yes", "zh": "是"},
    "forecast_inside_no": {"en": "no", "zh": "否"},
    # filing ---------------------------------------------------------------------------------
    "filed_as_past_stream": {
        "en": "✅ Imported {name}: {rows} {kind} rows as past stream #{id} ({window}).",
        "zh": "✅ {name}：{rows} 行{kind}已作为过去的直播 #{id} 导入（{window}）。",
    },
    "filed_target_session": {
        "en": "session #{id}{title} of {date}",
        "zh": "第 {id} 场{title}（{date}）",
    },
    "filed_new_updated": {
        "en": "{new} new, {updated} updated (already stored).",
        "zh": "新增 {new} 行，更新 {updated} 行（已存在的数据）。",
    },
    "filed_moved": {
        "en": "Session #{id} changed: {items}.",
        "zh": "第 {id} 场数据有变化：{items}。",
    },
    "filed_left_out": {"en": "• {line}.", "zh": "• {line}。"},
    "filed_moved_item": {"en": "{figure}: {before} → {after}", "zh": "{figure} {before} → {after}"},
    "filed_summary_button": {"en": "Refreshed summary", "zh": "查看更新后的复盘"},
    "filed_ask": {
        "en": "📋 {name}: {question} Tap the column; I'll remember it for files like this.",
        "zh": "📋 {name}：{question} 请点选对应的列，同样格式的文件以后会自动识别。",
    },
    "filed_which_column": {"en": "Which column is the {field}?", "zh": "哪一列是{field}？"},
    "filed_gone": {
        "en": "That file is no longer waiting; please send it again.",
        "zh": "该文件已不在等待中，请重新发送。",
    },
    "filed_not_yours": {
        "en": "Only the person who sent the file can answer.",
        "zh": "只有发送文件的人可以回答。",
    },
    "reject_dates_conflict": {
        "en": (
            "the file covers {file}, but session #{id} is {session}. "
            "Send it without #{id} to file it by its own dates."
        ),
        "zh": "文件的时间是 {file}，而第 {id} 场是 {session}。去掉 #{id} 重新发送即可按文件自身的时间归档。",
    },
    "field_ts": {"en": "time", "zh": "时间"},
    "field_online": {"en": "online count", "zh": "在线人数"},
    "field_user_id": {"en": "viewer id", "zh": "用户ID"},
    "field_watch_time_s": {"en": "watch time", "zh": "观看时长"},
    "field_started_at": {"en": "start time", "zh": "开播时间"},
    "figure_gmv": {"en": "GMV", "zh": "成交额"},
    "figure_orders": {"en": "orders", "zh": "订单数"},
    "figure_buyers": {"en": "buyers", "zh": "成交人数"},
    "figure_viewers": {"en": "viewers", "zh": "观看人数"},
    "figure_peak_online": {"en": "peak online", "zh": "最高在线"},
    "figure_avg_watch_s": {"en": "average stay", "zh": "人均观看时长"},
    # --- figures ---------------------------------------------------------------------------
    "figures_contradict": {
        "en": "{figure}: {source} {value}, more than {against} ({against_source} {against_value}); both cannot be true, so {figure} is not used",
        "zh": "{figure}：{source} {value}，比{against}（{against_source} {against_value}）还多，两者不能同时成立，未采用{figure}",
    },
    "figures_contradict_fewer": {
        "en": "{figure}: {source} {value}, fewer than {against} ({against_source} {against_value}); both cannot be true, so {figure} is not used",
        "zh": "{figure}：{source} {value}，比{against}（{against_source} {against_value}）还少，两者不能同时成立，未采用{figure}",
    },
    "figures_slip": {
        "en": "{figure}: the {value} pushed{when} is eight times off the readings before and after it, which looks like a digit too many or too few; it is left out of the peak, the average and the tips",
        "zh": "{figure}：{when}推送的 {value} 与前后读数相差 8 倍以上，像是多打或少打了一位，未计入最高、平均在线和建议",
    },
    "figures_slip_jump": {
        "en": "{figure}: the last push, {value}{when}, is over ten times the one before at a hundred times the pace so far, which looks like a slip; {instead}, pushed before it, is used",
        "zh": "{figure}：{when}最后推送的 {value} 是前一次的 10 倍以上、节奏快了 100 倍，像是打错了，未采用，按前一次的 {instead} 计",
    },
    "figures_slip_when": {"en": " at minute {minute}", "zh": "第 {minute} 分钟"},
    "figures_other_moment": {
        "en": "{figure}: you pushed {value} when GMV stood at {gmv_then}, not at the {against_value} of the {against_source}; a reading of another moment, not used",
        "zh": "{figure}：推送 {value} 时成交额是 {gmv_then}，不是{against_source}的 {against_value}，两者不是同一时刻，未采用{figure}",
    },
    "figures_other_moment_before": {
        "en": "{figure}: you pushed {value} before any GMV, not at the {against_value} of the {against_source}; a reading of another moment, not used",
        "zh": "{figure}：推送 {value} 时还没有成交额，与{against_source}的成交额 {against_value} 不是同一时刻，未采用{figure}",
    },
    "figures_disagree": {
        "en": "{figure}: {others}, {chosen_source} {chosen} ({diff}); {chosen_source} used",
        "zh": "{figure}：{others}，{chosen_source} {chosen}（{diff}），采用{chosen_source}",
    },
    "figname_gmv": {"en": "GMV", "zh": "成交额"},
    "figname_orders": {"en": "Orders", "zh": "订单"},
    "figname_items": {"en": "Items sold", "zh": "成交件数"},
    "figname_buyers": {"en": "Buyers", "zh": "成交人数"},
    "figname_viewers": {"en": "Viewers", "zh": "观看人数"},
    "figname_views": {"en": "Views", "zh": "观看次数"},
    "figname_impressions": {"en": "Product impressions", "zh": "商品曝光人数"},
    "figname_clicks": {"en": "Product clicks", "zh": "商品点击人数"},
    "figname_peak_online": {"en": "Peak online", "zh": "最高在线"},
    "figname_avg_online": {"en": "Average online", "zh": "平均在线"},
    "figname_online": {"en": "Online", "zh": "在线"},
    "figname_duration_s": {"en": "Duration", "zh": "时长"},
    "figname_platform_avg_stay_s": {"en": "Average stay", "zh": "人均观看时长"},
    "figname_followers": {"en": "New followers", "zh": "涨粉"},
    "figname_likes": {"en": "Likes", "zh": "点赞"},
    "figname_comments": {"en": "Comments", "zh": "评论"},
    "figname_shares": {"en": "Shares", "zh": "分享"},
    "figname_interacting": {"en": "Interacting viewers", "zh": "互动人数"},
    "figsrc_platform": {"en": "platform's session data", "zh": "平台场次数据"},
    "figsrc_session": {"en": "session start/end", "zh": "场次起止时间"},
    "figsrc_products": {"en": "product data", "zh": "商品数据"},
    "figsrc_viewers": {"en": "viewer rows", "zh": "观众明细"},
    "figsrc_minutes": {"en": "minute data", "zh": "分钟数据"},
    "figsrc_pushes": {"en": "your pushes", "zh": "实时推送"},
    "figsrc_pushes_last": {"en": "last push", "zh": "最后一次推送"},
    # attention and buying power
    "att_line_single": {
        "en": "Attention: half the viewers stayed {half_life} or longer (half-life); {left} left within a minute (from {source})",
        "zh": "注意力：一半观众停留 {half_life} 以上（半衰期）；{left} 的观众一分钟内离开（来自{source}）",
    },
    "att_line_two_phase": {
        "en": "Attention: {left} left within a minute; of those who stayed, half were still there after {engaged} (engaged half-life); median stay {median} (from {source})",
        "zh": "注意力：{left} 的观众一分钟内离开；留下来的人里，一半在 {engaged} 后仍在（留存半衰期）；停留时长中位数 {median}（来自{source}）",
    },
    "att_not_enough": {
        "en": "Attention: not enough data yet for a half-life ({why})",
        "zh": "注意力：数据还不够，暂不计算半衰期（{why}）",
    },
    "att_why_short_span": {"en": "the numbers cover under 10 min", "zh": "数据覆盖不足 10 分钟"},
    "att_why_few_exits": {"en": "fewer than 20 viewers have left", "zh": "离开的观众不足 20 人"},
    "att_why_wide_interval": {
        "en": "the estimate is still too uncertain",
        "zh": "估计的误差还太大",
    },
    "bp_line": {
        "en": "Buying power ({model}; how sure: {sure}): {versus}the top 10% of viewers hold {top_share} of the spend",
        "zh": "购买力（{model}；可信度：{sure}）：{versus}前 10% 观众占消费的 {top_share}",
    },
    "bp_spent_less": {
        "en": "these viewers spent {gap} less than the model expected; ",
        "zh": "这批观众的实际消费比模型预期少 {gap}；",
    },
    "bp_spent_more": {
        "en": "these viewers spent {gap} more than the model expected; ",
        "zh": "这批观众的实际消费比模型预期多 {gap}；",
    },
    "bp_spent_as_expected": {
        "en": "these viewers spent about what the model expected; ",
        "zh": "这批观众的实际消费与模型预期相当；",
    },
    "bp_expected_spend": {
        "en": "the model expects these viewers to spend {predicted}; ",
        "zh": "模型预计这批观众消费 {predicted}；",
    },
    "bp_sure_high": {"en": "high", "zh": "高"},
    "bp_sure_medium": {"en": "medium", "zh": "中"},
    "bp_sure_low": {"en": "low", "zh": "低"},
    "metrics_held_out": {"en": "held out by {by}", "zh": "按{by}留出验证"},
    "metrics_by_sessions": {"en": "session", "zh": "场次"},
    "metrics_by_workspaces": {"en": "workspace", "zh": "工作区"},
    "metrics_real_streams": {
        "en": "on {n} real streams held out",
        "zh": "在 {n} 场留出的真实直播上",
    },
    # --- durable updates and sending -------------------------------------------------------------
    "import_restarted": {
        "en": "⚠️ Reading {name} was cut off by a restart. Nothing of it was kept; reading it again from the start.",
        "zh": "⚠️ 读取 {name} 时机器人重启，已读取的部分未保存；现在从头重新读取。",
    },
    "text_more": {"en": "…and {count} more", "zh": "……还有 {count} 条"},
    # --- products and events ---------------------------------------------------------------
    "timeline_product_ok": {
        "en": "🛍 Presenting {product} ({live} in)",
        "zh": "🛍 讲解 {product}（开播 {live}）",
    },
    "timeline_product_end": {
        "en": "🛍 Product presentation ended ({live} in)",
        "zh": "🛍 讲解结束（开播 {live}）",
    },
    "timeline_product_no": {"en": "#{n}", "zh": "{n}号"},
    "timeline_product_unnamed": {"en": "a product", "zh": "商品"},
    "timeline_event_ok": {"en": "🎁 Marked: {label}", "zh": "🎁 已标记：{label}"},
    "timeline_event_usage": {
        "en": "Usage: /event giveaway — or coupon, price drop, new product, pin, flash sale, "
        "restock (福袋, 优惠券, 降价, 上新, 置顶, 秒杀, 补货).",
        "zh": "用法：/event 福袋 —— 或 优惠券、降价、上新、置顶、秒杀、补货"
        "（giveaway, coupon, price drop, new product, pin, flash sale, restock）。",
    },
    "timeline_event_giveaway": {"en": "giveaway", "zh": "福袋"},
    "timeline_event_coupon": {"en": "coupon", "zh": "优惠券"},
    "timeline_event_price_drop": {"en": "price drop", "zh": "降价"},
    "timeline_event_new_product": {"en": "new product", "zh": "上新"},
    "timeline_event_pin": {"en": "pin", "zh": "置顶"},
    "timeline_event_flash_sale": {"en": "flash sale", "zh": "秒杀"},
    "timeline_event_restock": {"en": "restock", "zh": "补货"},
    "kind_products": {"en": "product", "zh": "商品数据"},
    "timeline_summary_products": {"en": "🛍 Top products", "zh": "🛍 商品排行"},
    "timeline_summary_product": {
        "en": "{i}. {name} — GMV {gmv} ({share} of the stream), CTR {ctr}",
        "zh": "{i}. {name} —— 成交额 {gmv}（占本场 {share}），点击率 {ctr}",
    },
    "timeline_summary_worst": {
        "en": "👀 Most seen, least bought: {name} ({impressions} impressions, {conversion} bought)",
        "zh": "👀 曝光多、转化少：{name}（曝光 {impressions}，转化 {conversion}）",
    },
    "timeline_summary_events": {"en": "🎁 What events did", "zh": "🎁 活动效果"},
    "timeline_effect_hazard_down": {
        "en": "In the {window} minutes after a {event}, viewers left {change} less on average "
        "({n} times, range {low}…{high})",
        "zh": "{event}后 {window} 分钟流失率平均降 {change}（{n} 场，区间 {low}…{high}）",
    },
    "timeline_effect_hazard_up": {
        "en": "In the {window} minutes after a {event}, viewers left {change} more on average "
        "({n} times, range {low}…{high})",
        "zh": "{event}后 {window} 分钟流失率平均升 {change}（{n} 场，区间 {low}…{high}）",
    },
    "timeline_effect_gmv_up": {
        "en": "In the {window} minutes after a {event}, GMV per minute rose {change} on average "
        "({n} times, range {low}…{high})",
        "zh": "{event}后 {window} 分钟每分钟成交额平均升 {change}（{n} 场，区间 {low}…{high}）",
    },
    "timeline_effect_gmv_down": {
        "en": "In the {window} minutes after a {event}, GMV per minute fell {change} on average "
        "({n} times, range {low}…{high})",
        "zh": "{event}后 {window} 分钟每分钟成交额平均降 {change}（{n} 场，区间 {low}…{high}）",
    },
    "timeline_nudge_product": {
        "en": "{product}: presented {minutes} min, CTR {ctr}, below the stream's mean {mean}: "
        "switch products or add a perk",
        "zh": "{product} 讲解 {minutes} 分钟，点击率 {ctr}，低于本场均值 {mean}：换品或上福利",
    },
}

# roles and settings: command menus by who is asking, language names on their buttons
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
"""Each language in its own words (the language buttons read the same in both)."""
SETTINGS_COMMANDS = ("lang", "tz", "digest", "nudges", "currency", "forget")
"""Commands that change or delete a workspace: in groups, for its admins and owner."""
ADMIN_COMMANDS = ("retrain", "models", "rollback", "adminstats")
_MORE_COMMAND_DESCRIPTIONS = {
    "currency": ("money currency: CNY, USD, IDR…", "货币：CNY、USD、IDR…"),
    "retrain": ("train the models again", "重新训练模型"),
    "models": ("model versions and drift", "模型版本与漂移"),
    "rollback": ("make an older model version active", "恢复旧版本模型"),
    "adminstats": ("workspaces, rows, database size", "工作区、数据量、数据库大小"),
}

_COMMAND_DESCRIPTIONS = {
    "start": ("register this chat", "注册本聊天"),
    "help": ("how to use LiveHost", "使用说明"),
    "golive": ("open a live session", "开始直播"),
    "stat": ("push the numbers you see", "推送实时数据"),
    "endlive": ("close the session", "结束直播"),
    "undo": ("take back the last push", "撤回最近一条数据"),
    "summary": ("a session's summary", "场次复盘"),
    "sessions": ("list sessions", "场次列表"),
    "digest": ("daily digest: HH:MM, off or now", "每日简报：HH:MM、off 或 now"),
    "nudges": ("live nudges: on or off", "直播提醒：on 或 off"),
    "lang": ("language: en or zh", "语言：en 或 zh"),
    "tz": ("time zone", "时区"),
    "export": ("all your data as CSV files", "导出全部数据（CSV）"),
    "forget": ("delete all your data", "删除全部数据"),
    # products and events
    "product": ("presenting a product: /product 3 lipstick", "讲解商品：/product 3 口红"),
    "event": ("mark an event: /event giveaway", "标记事件：/event 福袋"),
}


SINGULAR: dict[str, str] = {
    "bytes": "byte",
    "buyers": "buyer",
    "clicks": "click",
    "comments": "comment",
    "days": "day",
    "exits": "exit",
    "files": "file",
    "followers": "follower",
    "impressions": "impression",
    "interactions": "interaction",
    "items": "item",
    "likes": "like",
    "minutes": "minute",
    "orders": "order",
    "parts": "part",
    "pushes": "push",
    "rows": "row",
    "schedules": "schedule",
    "sessions": "session",
    "shares": "share",
    "snapshots": "snapshot",
    "streams": "stream",
    "texts": "text",
    "times": "time",
    "viewers": "viewer",
    "views": "view",
}
"""English nouns written after a count in the catalogue, and their singular."""

_COUNTED = re.compile(r"\{(\w+)\}( (?:\{\w+\} |[a-z]+ )?)([a-z]+)\b")
"""A placeholder, a space (and perhaps a word or a second placeholder between:
`{past} past sessions`, `{rows} {kind} rows`) and a noun."""


def _is_one(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip() == "1"


def _counted(text: str, params: dict[str, object]) -> str:
    """``text`` with the noun after each placeholder whose value is one in the singular."""

    def one(m: re.Match[str]) -> str:
        name, between, noun = m.groups()
        if not _is_one(params.get(name)):
            return m.group(0)
        if noun in SINGULAR:
            return f"{{{name}}}{between}{SINGULAR[noun]}"
        word = between.strip()
        if word in SINGULAR:  # `{n} pushes were` read the noun as a word between
            return f"{{{name}}} {SINGULAR[word]} {noun}"
        return m.group(0)

    return _COUNTED.sub(one, text)


def t(lang: str | None, key: str, /, **params: object) -> str:
    """The message `key` in `lang` (English when the language is unknown)."""
    entry = CATALOG[key]
    text = entry.get(lang or "en") or entry["en"]
    if not params:
        return text
    if text is entry["en"]:
        text = _counted(text, params)
    return text.format(**params)


def language_from_telegram(code: str | None) -> str:
    """Map Telegram's `language_code` (e.g. 'zh-hans', 'en-US') to one of ours."""
    if code and code.lower().startswith("zh"):
        return "zh"
    return "en"


def command_descriptions(lang: str, level: str = "owner") -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's command menu of one kind of person:
    ``member`` (a group's members: the live commands), ``owner`` (a private chat or a
    group's administrators: also the settings and /forget), ``admin`` (LiveHost's own
    admins: also the admin commands)."""
    index = 1 if lang == "zh" else 0
    texts = {**_COMMAND_DESCRIPTIONS, **_MORE_COMMAND_DESCRIPTIONS}
    names = [n for n in _COMMAND_DESCRIPTIONS if level != "member" or n not in SETTINGS_COMMANDS]
    if level != "member":
        names.append("currency")
    if level == "admin":
        names.extend(ADMIN_COMMANDS)
    return [(name, texts[name][index]) for name in names]
