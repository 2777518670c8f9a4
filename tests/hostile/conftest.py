"""The end-to-end fixtures (the real bot over the fake Bot API) for the hostile cases."""

from tests.e2e.conftest import bot, fake_api

__all__ = ["bot", "fake_api"]
