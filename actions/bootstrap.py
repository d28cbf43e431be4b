"""Wires the action server's dependencies in one place, lazily (no I/O at import)."""

from __future__ import annotations

from actions.api.store import StoreClient
from actions.config import ActionSettings, load_settings
from xiaoer.knowledge.repository import KnowledgeRepository

_settings: ActionSettings | None = None
_store_client: StoreClient | None = None
_knowledge: KnowledgeRepository | None = None


def settings() -> ActionSettings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def store_client() -> StoreClient:
    global _store_client
    if _store_client is None:
        s = settings()
        _store_client = StoreClient(s.store_url, s.store_token, timeout=s.store_timeout)
    return _store_client


def knowledge() -> KnowledgeRepository:
    global _knowledge
    directory = settings().knowledge_dir
    if _knowledge is None or str(_knowledge.directory) != directory:
        _knowledge = KnowledgeRepository(directory)
    return _knowledge


def override(client: StoreClient | None = None, action_settings: ActionSettings | None = None) -> None:
    """Tests swap in their own client or settings."""
    global _store_client, _settings
    _store_client = client
    _settings = action_settings
