"""Agents, password hashes, server-side sessions and CSRF tokens (SQL: SQLite or PostgreSQL)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    false,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateColumn

metadata = MetaData()

agents_table = Table(
    "console_agents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("store_id", String(64), nullable=False),
    Column("login", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A disabled agent cannot log in and has no open session (`disable-agent`).
    Column("disabled", Boolean, nullable=False, server_default=false()),
    # agent: conversations and the dashboard; trainer: also the 训练师 pages that edit training data.
    Column("role", String(16), nullable=False, server_default="agent"),
    UniqueConstraint("login", name="uq_console_agents_login"),
)

# Columns added after the first release: created on an existing table when missing.
ADDED_COLUMNS = {agents_table: ("disabled", "role")}
ROLES = ("agent", "trainer")

sessions_table = Table(
    "console_sessions",
    metadata,
    # Only a hash of the cookie's token is stored: a leaked table opens no session.
    Column("token_hash", String(64), primary_key=True),
    Column("agent_id", Integer, ForeignKey("console_agents.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# scrypt cost: ~50 ms and 16 MiB per hash on this machine's class of CPU.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite hands naive datetimes back; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = encoded.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash no password matches, made once with the real parameters: an unknown or disabled
    login is checked against it, so it costs the same scrypt as a wrong password for a real one."""
    return hash_password(secrets.token_urlsafe(32))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Agent:
    id: int
    store_id: str
    login: str
    role: str = "agent"

    @property
    def is_trainer(self) -> bool:
        return self.role == "trainer"


@dataclass(frozen=True)
class Session:
    token: str
    agent: Agent
    csrf_token: str
    expires_at: datetime


class AgentExists(Exception):
    pass


def _add_missing_columns(engine: Engine) -> None:
    """create_all() makes missing tables only; a database from an earlier version gets the
    columns added since (ALTER TABLE … ADD COLUMN, on SQLite and PostgreSQL alike)."""
    for table, names in ADDED_COLUMNS.items():
        present = {column["name"] for column in inspect(engine).get_columns(table.name)}
        for name in names:
            if name in present:
                continue
            ddl = CreateColumn(table.c[name]).compile(dialect=engine.dialect)
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
            except DBAPIError:
                # Another process starting at the same moment may have added it first.
                again = {column["name"] for column in inspect(engine).get_columns(table.name)}
                if name not in again:
                    raise


class AgentStore:
    """The console's agents and their sessions. Tables are created on first use, not at import."""

    def __init__(self, database_url: str, session_ttl: timedelta = timedelta(hours=8)) -> None:
        self.database_url = database_url
        self.session_ttl = session_ttl
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                url = make_url(self.database_url)
                if url.drivername.startswith("sqlite") and url.database:
                    Path(url.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                engine = create_engine(self.database_url, future=True, pool_pre_ping=True)
                metadata.create_all(engine)
                _add_missing_columns(engine)
                # Made now rather than at the first unknown login, which would take twice as long.
                dummy_hash()
                self._engine = engine
            return self._engine

    # --- agents ----------------------------------------------------------------

    def add_agent(self, store_id: str, login: str, password: str, role: str = "agent") -> Agent:
        if not store_id.strip() or not login.strip():
            raise ValueError("store and login must not be empty")
        if role not in ROLES:
            raise ValueError(f"role is one of {', '.join(ROLES)}, not {role!r}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    insert(agents_table).values(
                        store_id=store_id.strip(),
                        login=login.strip(),
                        password_hash=hash_password(password),
                        created_at=utcnow(),
                        role=role,
                    )
                )
                agent_id = result.inserted_primary_key[0]
        except IntegrityError as exc:
            raise AgentExists(login) from exc
        return Agent(agent_id, store_id.strip(), login.strip(), role)

    def set_role(self, login: str, role: str) -> None:
        """KeyError for an unknown login; the agent's open sessions see the new role at once."""
        if role not in ROLES:
            raise ValueError(f"role is one of {', '.join(ROLES)}, not {role!r}")
        with self.engine.begin() as conn:
            done = conn.execute(update(agents_table).where(agents_table.c.login == login).values(role=role))
            if not done.rowcount:
                raise KeyError(login)

    def set_password(self, login: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.engine.begin() as conn:
            done = conn.execute(
                update(agents_table)
                .where(agents_table.c.login == login)
                .values(password_hash=hash_password(password))
            )
            if not done.rowcount:
                raise KeyError(login)
        # A new password ends the agent's open sessions.
        agent = self.get_agent(login)
        if agent:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions_table).where(sessions_table.c.agent_id == agent.id))

    def get_agent(self, login: str) -> Agent | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(agents_table).where(agents_table.c.login == login)).first()
        return Agent(row.id, row.store_id, row.login, row.role) if row else None

    def authenticate(self, login: str, password: str) -> Agent | None:
        """The agent, or None for a wrong password, an unknown login or a disabled agent alike.

        Every path computes exactly one scrypt hash (unknown and disabled logins against
        `dummy_hash()`), so the time taken does not tell which logins exist.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(agents_table).where(agents_table.c.login == login)).first()
        if row is None or row.disabled:
            verify_password(password, dummy_hash())
            return None
        if not verify_password(password, row.password_hash):
            return None
        return Agent(row.id, row.store_id, row.login, row.role)

    def set_disabled(self, login: str, disabled: bool = True) -> int:
        """Disable (or enable) an agent. Disabling closes all of the agent's sessions at once;
        returns how many were open. KeyError for an unknown login."""
        with self.engine.begin() as conn:
            row = conn.execute(select(agents_table.c.id).where(agents_table.c.login == login)).first()
            if row is None:
                raise KeyError(login)
            conn.execute(update(agents_table).where(agents_table.c.id == row.id).values(disabled=disabled))
            if not disabled:
                return 0
            closed = conn.execute(delete(sessions_table).where(sessions_table.c.agent_id == row.id))
            return closed.rowcount

    def is_disabled(self, login: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(agents_table.c.disabled).where(agents_table.c.login == login)).first()
        if row is None:
            raise KeyError(login)
        return bool(row.disabled)

    # --- sessions --------------------------------------------------------------

    def open_session(self, agent: Agent, now: datetime | None = None) -> Session:
        now = now or utcnow()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        with self.engine.begin() as conn:
            # Expired sessions are swept whenever someone logs in.
            conn.execute(delete(sessions_table).where(sessions_table.c.expires_at < now))
            conn.execute(
                insert(sessions_table).values(
                    token_hash=_token_hash(token),
                    agent_id=agent.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return Session(token, agent, csrf, expires)

    def session(self, token: str | None, now: datetime | None = None) -> Session | None:
        if not token:
            return None
        now = now or utcnow()
        query = (
            select(
                sessions_table,
                agents_table.c.store_id,
                agents_table.c.login,
                agents_table.c.disabled,
                agents_table.c.role,
            )
            .join(agents_table, agents_table.c.id == sessions_table.c.agent_id)
            .where(sessions_table.c.token_hash == _token_hash(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        expires = _aware(row.expires_at)
        # A session opened while the agent was being disabled (the login had already passed).
        if expires <= now or row.disabled:
            self.close_session(token)
            return None
        agent = Agent(row.agent_id, row.store_id, row.login, row.role)
        return Session(token, agent, row.csrf_token, expires)

    def close_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.token_hash == _token_hash(token)))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
