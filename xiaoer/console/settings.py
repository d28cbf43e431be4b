"""Typed settings of the console process, read from environment variables only."""

from __future__ import annotations

from pydantic import BaseSettings, Field

from xiaoer.settings import VAR_DIR


class ConsoleSettings(BaseSettings):
    host: str = Field("127.0.0.1", env="XIAOER_CONSOLE_HOST")
    port: int = Field(8100, env="XIAOER_CONSOLE_PORT")
    # Conversations served by this deployment belong to this store; agents of other stores see none.
    store_id: str = Field("haiyue", env="XIAOER_STORE_ID")
    # Agents, sessions (ours) and the suggestion decision log (xiaoer.assist) share this database.
    database_url: str = Field(f"sqlite:///{VAR_DIR / 'assist.db'}", env="XIAOER_ASSIST_DATABASE_URL")
    # The queue and transcripts are read from Rasa's tracker store.
    tracker_database_url: str = Field(
        f"sqlite:///{VAR_DIR / 'tracker.db'}", env="XIAOER_TRACKER_DATABASE_URL"
    )
    rasa_url: str = Field("http://127.0.0.1:5005", env="XIAOER_RASA_URL")
    rasa_token: str = Field("", env="XIAOER_RASA_TOKEN")
    action_url: str = Field("http://127.0.0.1:5055", env="XIAOER_ACTION_URL")
    store_url: str = Field("http://127.0.0.1:8000", env="XIAOER_STORE_URL")
    store_token: str = Field("", env="XIAOER_STORE_TOKEN")
    store_timeout: float = Field(3.0, env="XIAOER_STORE_TIMEOUT")
    # Where the buyer's browser reaches Rasa's socket.io channel (the chat page connects there).
    chat_socket_url: str = Field("", env="XIAOER_CHAT_SOCKET_URL")
    # Times in the console are shown on the store's clock.
    store_timezone: str = Field("Asia/Shanghai", env="XIAOER_STORE_TIMEZONE")
    session_hours: float = Field(8.0, env="XIAOER_CONSOLE_SESSION_HOURS")
    # Set when served over HTTPS (behind a TLS proxy): cookies then carry the Secure flag.
    secure_cookies: bool = Field(False, env="XIAOER_CONSOLE_SECURE_COOKIES")
    # Seconds between polls of the tracker store for live updates.
    poll_seconds: float = Field(1.0, env="XIAOER_CONSOLE_POLL_SECONDS")

    class Config:
        case_sensitive = False

    @property
    def socket_url(self) -> str:
        return (self.chat_socket_url or self.rasa_url).rstrip("/")
