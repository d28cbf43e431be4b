"""The follow-up engine's configuration, read from environment variables only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from xiaoer.settings import REPO_ROOT, VAR_DIR


@dataclass(frozen=True)
class FollowupSettings:
    database_url: str
    scenarios_file: Path
    store_url: str
    # One shared secret: the engine uses it to read the store, and a store pushing events to the
    # engine presents it.
    store_token: str
    store_timeout: float
    rasa_url: str
    rasa_token: str
    # A channel that can push to the buyer (socket.io); REST cannot.
    output_channel: str
    rasa_timeout: float
    poll_interval: float
    store_timezone: str
    host: str
    port: int
    # "latest": a first start skips the store's past events (no blast of stale notices on install);
    # "earliest": it replays them.
    start_from: str
    # Test-only: a file holding seconds to add to the real clock, so an end-to-end test can move the
    # running engine's time. Unset (the default) in production.
    test_clock_file: Path | None


def load_settings() -> FollowupSettings:
    env = os.environ.get
    rasa_port = env("XIAOER_RASA_PORT", "5005")
    clock_file = env("XIAOER_FOLLOWUP_TEST_CLOCK_FILE", "")
    start_from = env("XIAOER_FOLLOWUP_START", "latest")
    if start_from not in ("latest", "earliest"):
        raise ValueError("XIAOER_FOLLOWUP_START must be 'latest' or 'earliest'")
    return FollowupSettings(
        database_url=env("XIAOER_FOLLOWUP_DATABASE_URL", f"sqlite:///{VAR_DIR / 'followup.db'}"),
        scenarios_file=Path(env("XIAOER_FOLLOWUP_SCENARIOS", str(REPO_ROOT / "followup.yml"))),
        store_url=env("XIAOER_STORE_URL", "http://127.0.0.1:8000").rstrip("/"),
        store_token=env("XIAOER_STORE_TOKEN", ""),
        store_timeout=float(env("XIAOER_STORE_TIMEOUT", "3")),
        rasa_url=env("XIAOER_RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        rasa_token=env("XIAOER_RASA_TOKEN", ""),
        output_channel=env("XIAOER_FOLLOWUP_OUTPUT_CHANNEL", "socketio"),
        rasa_timeout=float(env("XIAOER_FOLLOWUP_RASA_TIMEOUT", "10")),
        poll_interval=float(env("XIAOER_FOLLOWUP_POLL_SECONDS", "2")),
        store_timezone=env("XIAOER_STORE_TIMEZONE", "Asia/Shanghai"),
        host=env("XIAOER_FOLLOWUP_HOST", "127.0.0.1"),
        port=int(env("XIAOER_FOLLOWUP_PORT", "8010")),
        start_from=start_from,
        test_clock_file=Path(clock_file) if clock_file else None,
    )
