"""The reference store backend: Store API v1 (docs/STORE_API contract) over SQLite or PostgreSQL.

`create_app(database_url, token)` builds the service; `python -m xiaoer.store` runs it.
"""

from xiaoer.store.app import create_app

__all__ = ["create_app"]
