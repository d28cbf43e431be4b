"""Wires the action server's dependencies in one place, lazily (no I/O at import)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from xiaoer.knowledge.repository import KnowledgeRepository
from xiaoer.settings import ActionSettings
from xiaoer.storeapi.client import StoreClient

_settings: ActionSettings | None = None
_store_client: StoreClient | None = None
_knowledge: KnowledgeRepository | None = None
_prefetch: ThreadPoolExecutor | None = None

# Store reads started ahead of need (a verified order's shipment), at most this many at once.
PREFETCH_WORKERS = 8


def settings() -> ActionSettings:
    global _settings
    if _settings is None:
        _settings = ActionSettings()
    return _settings


def store_client() -> StoreClient:
    global _store_client
    if _store_client is None:
        s = settings()
        _store_client = StoreClient(s.store_url, s.store_token, timeout=s.store_timeout)
    return _store_client


def prefetch_pool() -> ThreadPoolExecutor:
    global _prefetch
    if _prefetch is None:
        _prefetch = ThreadPoolExecutor(PREFETCH_WORKERS, thread_name_prefix="store-prefetch")
    return _prefetch


def knowledge() -> KnowledgeRepository:
    global _knowledge
    directory = settings().knowledge_dir
    if _knowledge is None or _knowledge.directory != directory:
        _knowledge = KnowledgeRepository(directory)
    return _knowledge


def override(client: StoreClient | None = None, action_settings: ActionSettings | None = None) -> None:
    """Tests swap in their own client or settings."""
    global _store_client, _settings
    _store_client = client
    _settings = action_settings
