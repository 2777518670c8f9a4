"""Pure analytics: attention decay, buying power, segments, the session report, charts.

Nothing here talks to Telegram or the database. Import the submodules you need
(``core.report``, ``core.charts`` …); this package itself imports nothing heavy.
"""
