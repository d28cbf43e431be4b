"""Typed settings for agent assist, read from environment variables only."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseSettings, Field

from xiaoer.settings import VAR_DIR


class AssistSettings(BaseSettings):
    rasa_url: str = Field("http://127.0.0.1:5005", env="XIAOER_RASA_URL")
    rasa_token: str = Field("", env="XIAOER_RASA_TOKEN")
    action_url: str = Field("http://127.0.0.1:5055", env="XIAOER_ACTION_URL")
    assist_database_url: str = Field(f"sqlite:///{VAR_DIR / 'assist.db'}", env="XIAOER_ASSIST_DATABASE_URL")
    tracker_database_url: str = Field(
        f"sqlite:///{VAR_DIR / 'tracker.db'}", env="XIAOER_TRACKER_DATABASE_URL"
    )
    # None means "as trained": the defaults live in config.yml (xiaoer.nlu.routing.RoutingClassifier).
    answer_threshold: float | None = Field(None, env="XIAOER_ANSWER_THRESHOLD")
    suggest_threshold: float | None = Field(None, env="XIAOER_SUGGEST_THRESHOLD")
    store_id: str = Field("haiyue", env="XIAOER_STORE_ID")
    # Day boundaries of the metrics command follow the store's clock.
    store_timezone: str = Field("Asia/Shanghai", env="XIAOER_STORE_TIMEZONE")
    # Seconds before a call to Rasa or the action server is abandoned.
    assist_timeout: float = Field(10.0, env="XIAOER_ASSIST_TIMEOUT")

    class Config:
        case_sensitive = False


@lru_cache(maxsize=1)
def get_assist_settings() -> AssistSettings:
    return AssistSettings()
