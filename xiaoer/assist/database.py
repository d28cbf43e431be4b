"""The agent-assist database: one engine per URL and table set, made on first use."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url


class LazyEngine:
    """No database work at import or construction; on first use, a SQLite file's directory
    (private) and the tables in `metadata` are created."""

    def __init__(self, database_url: str, metadata: MetaData) -> None:
        self.database_url = database_url
        self.metadata = metadata
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                url = make_url(self.database_url)
                if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
                    Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                engine = create_engine(self.database_url, future=True)
                self.metadata.create_all(engine)
                self._engine = engine
            return self._engine
