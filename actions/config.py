"""Action-server configuration, read from environment variables only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ActionSettings:
    store_url: str
    store_token: str
    # Seconds before a store call is abandoned and the buyer gets an apology.
    store_timeout: float
    store_timezone: str
    # Orders placed within this many days count as "recent" when no number is given.
    recent_order_days: int
    # The store's promise: paid orders ship within this many hours.
    ship_within_hours: int
    # FAQ answers are read from here at run time (edits need no retrain).
    knowledge_dir: str = str(Path(__file__).resolve().parent.parent / "knowledge")
    # Below this response-selector confidence the FAQ answer is not trusted.
    faq_min_confidence: float = 0.3


def load_settings() -> ActionSettings:
    return ActionSettings(
        store_url=os.environ.get("XIAOER_STORE_URL", "http://127.0.0.1:8000").rstrip("/"),
        store_token=os.environ.get("XIAOER_STORE_TOKEN", ""),
        store_timeout=float(os.environ.get("XIAOER_STORE_TIMEOUT", "3")),
        store_timezone=os.environ.get("XIAOER_STORE_TIMEZONE", "Asia/Shanghai"),
        recent_order_days=int(os.environ.get("XIAOER_RECENT_ORDER_DAYS", "30")),
        ship_within_hours=int(os.environ.get("XIAOER_SHIP_WITHIN_HOURS", "48")),
        knowledge_dir=os.environ.get("XIAOER_KNOWLEDGE_DIR") or ActionSettings.knowledge_dir,
        faq_min_confidence=float(os.environ.get("XIAOER_FAQ_MIN_CONFIDENCE", "0.3")),
    )
