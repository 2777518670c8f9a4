"""Settings: one pydantic-settings class, from the environment and `.env` (LIVEHOST_ prefix)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Everything LiveHost reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="LIVEHOST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: str = ""
    database_url: str = f"sqlite:///{Path('data') / 'livehost.db'}"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    telegram_api_url: str = "https://api.telegram.org"
    summary_delay_seconds: float = 600.0
    default_timezone: str = "UTC"
    webhook_url: str = ""
    webhook_secret: str = ""
    listen: str = "0.0.0.0"
    port: int = 8443
    max_upload_bytes: int = 20 * 1024 * 1024
    models_dir: Path = Path("data") / "models"
    max_messages_per_second: float = 30.0
    """Telegram's broadcast limit for a bot; raise it only for a bot with paid broadcasts."""
    update_lease_seconds: float = 30.0
    """How long a claimed update stays with its instance without a renewal: after a crash,
    another instance (PostgreSQL) takes it over this long after the last renewal."""

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `1,2,3` (and a bare number) as well as a JSON list."""
        if isinstance(value, int):
            return [value]
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_url.rstrip('/')}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.telegram_api_url.rstrip('/')}/file/bot"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings`)."""
    return Settings()
