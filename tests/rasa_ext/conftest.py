# A real PostgreSQL on loopback, shared with the store backend's suite.
from tests.store.conftest import postgres_url  # noqa: F401
