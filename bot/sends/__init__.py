"""The kinds of scheduled send, one module each: what a claimed send of that kind does.

``summary``, ``digest``, ``nudge`` and ``retrain`` each give ``perform(scheduler, row)``
(an :class:`~bot.sends.kind.Outcome`); :class:`bot.scheduler.Scheduler` registers them by
kind and keeps the claim, lease and retry loop for all of them.
"""
