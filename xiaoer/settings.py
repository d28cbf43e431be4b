"""Typed settings for Xiaoer's services, read from environment variables only."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


class Settings(BaseSettings):
    # Reference store backend
    store_host: str = Field("127.0.0.1", env="XIAOER_STORE_HOST")
    store_port: int = Field(8000, env="XIAOER_STORE_PORT")
    store_url: str = Field("http://127.0.0.1:8000", env="XIAOER_STORE_URL")
    store_token: str = Field("", env="XIAOER_STORE_TOKEN")
    store_database_url: str = Field(f"sqlite:///{VAR_DIR / 'store.db'}", env="XIAOER_STORE_DATABASE_URL")
    # Rasa server and action server
    rasa_port: int = Field(5005, env="XIAOER_RASA_PORT")
    rasa_token: str = Field("", env="XIAOER_RASA_TOKEN")
    action_port: int = Field(5055, env="XIAOER_ACTION_PORT")
    # Follow-up engine (xiaoer/followup/settings.py reads the rest of its configuration)
    followup_port: int = Field(8010, env="XIAOER_FOLLOWUP_PORT")
    tracker_database_url: str = Field(
        f"sqlite:///{VAR_DIR / 'tracker.db'}", env="XIAOER_TRACKER_DATABASE_URL"
    )

    class Config:
        case_sensitive = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
