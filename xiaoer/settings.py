"""Xiaoer's settings: the one place that reads the environment.

One typed section per process, each built from the same few shared pieces (how to reach the store,
how to reach Rasa, where Rasa keeps its trackers), so a variable is named, typed and defaulted once:

    StoreServerSettings   the reference store backend (python -m xiaoer.store)
    ActionSettings        the action server (actions/)
    NluSettings           Rasa's own NLU components (xiaoer.nlu: catalogue, FAQ ranker, routing)
    ChannelSettings       Rasa's channels (xiaoer.rasa_ext: socket.io)
    FollowupSettings      the follow-up engine (python -m xiaoer.followup)
    AssistSettings        agent assist (suggestions, decision log, metrics command)
    ConsoleSettings       the agent console and buyer web chat (python -m xiaoer.console)
    RunSettings           the run command (python -m xiaoer.run) and the dev tools

A section reads the environment when it is built: `ActionSettings()` sees the variables as they are
now, so tests set them and build a fresh one. Keyword arguments override the environment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseSettings, Field, root_validator, validator

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
# Generated development secrets live here (git-ignored); see xiaoer.run.
DEV_TOKENS_FILE = VAR_DIR / "dev-tokens.env"

DEFAULT_STORE_PORT = 8000
DEFAULT_RASA_PORT = 5005
DEFAULT_ACTION_PORT = 5055


def _sqlite(name: str) -> str:
    return f"sqlite:///{VAR_DIR / name}"


class Section(BaseSettings):
    """Frozen once read; variable names are case-insensitive."""

    class Config:
        case_sensitive = False
        allow_mutation = False


# --- shared pieces ---------------------------------------------------------------------------------


class StoreClientSection(Section):
    """How a client reaches the store's systems (Store API v1)."""

    store_url: str = Field(f"http://127.0.0.1:{DEFAULT_STORE_PORT}", env="XIAOER_STORE_URL")
    store_token: str = Field("", env="XIAOER_STORE_TOKEN")
    # A token that may only read (GET): for processes that never write to the store.
    store_read_token: str = Field("", env="XIAOER_STORE_READ_TOKEN")
    # Seconds before a store call is abandoned (the buyer then gets an apology, not silence).
    store_timeout: float = Field(3.0, env="XIAOER_STORE_TIMEOUT", gt=0)
    # Times are shown to buyers, and days counted, on the store's clock.
    store_timezone: str = Field("Asia/Shanghai", env="XIAOER_STORE_TIMEZONE")

    @validator("store_url")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def reading_token(self) -> str:
        """Least privilege: the read-only token when there is one."""
        return self.store_read_token or self.store_token


class RasaClientSection(Section):
    """How a service reaches Rasa's HTTP API and the action server."""

    rasa_port: int = Field(DEFAULT_RASA_PORT, env="XIAOER_RASA_PORT")
    # Empty: http://127.0.0.1:<rasa_port>.
    rasa_url: str = Field("", env="XIAOER_RASA_URL")
    rasa_token: str = Field("", env="XIAOER_RASA_TOKEN")
    action_port: int = Field(DEFAULT_ACTION_PORT, env="XIAOER_ACTION_PORT")
    # Empty: http://127.0.0.1:<action_port>.
    action_url: str = Field("", env="XIAOER_ACTION_URL")

    @root_validator(skip_on_failure=True)
    def _default_urls(cls, values: dict) -> dict:
        values["rasa_url"] = (values.get("rasa_url") or f"http://127.0.0.1:{values['rasa_port']}").rstrip("/")
        values["action_url"] = (
            values.get("action_url") or f"http://127.0.0.1:{values['action_port']}"
        ).rstrip("/")
        return values


class TrackerSection(Section):
    """Where Rasa keeps conversations (the tracker store)."""

    tracker_database_url: str = Field(_sqlite("tracker.db"), env="XIAOER_TRACKER_DATABASE_URL")
    # Events of recently saved trackers a Rasa process keeps for the buyers' next messages
    # (xiaoer.rasa_ext.tracker_store), about 3 KB of memory each; 0 reads every turn from the
    # database.
    tracker_cache_events: int = Field(50_000, env="XIAOER_TRACKER_CACHE_EVENTS", ge=0)


class KnowledgeSection(Section):
    """Where the knowledge base and the store vocabulary are read at run time."""

    knowledge_dir: Path = Field(REPO_ROOT / "knowledge", env="XIAOER_KNOWLEDGE_DIR")
    vocabulary_dir: Path = Field(REPO_ROOT / "vocabulary", env="XIAOER_VOCABULARY_DIR")


class NluDataSection(Section):
    """The NLU training data people edit (the miner matches misses to its intents)."""

    nlu_data_dir: Path = Field(REPO_ROOT / "data" / "nlu", env="XIAOER_NLU_DATA_DIR")
    # The Rasa project (domain.yml, data/nlu/faq built from knowledge/): the trainer pages edit it.
    project_dir: Path = Field(REPO_ROOT, env="XIAOER_PROJECT_DIR")


def _env_name(field) -> str:
    return str(field.field_info.extra.get("env") or field.name)


def _threshold_or_none(value: object, field) -> float | None:
    """A routing threshold from the environment, or None ("as configured") when it is unusable.

    Rasa must still start when an operator mistypes one: the configured value then stands, and
    the log says why.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        logger.warning("%s=%r is not a number; using the configured threshold", _env_name(field), value)
        return None
    if not 0.0 <= number <= 1.0:
        logger.warning("%s=%s is outside 0..1; using the configured threshold", _env_name(field), number)
        return None
    return number


# --- one section per process -------------------------------------------------------------------------


class StoreServerSettings(Section):
    store_host: str = Field("127.0.0.1", env="XIAOER_STORE_HOST")
    store_port: int = Field(DEFAULT_STORE_PORT, env="XIAOER_STORE_PORT")
    # The bearer token clients must present; the read token opens GET requests only.
    store_token: str = Field("", env="XIAOER_STORE_TOKEN")
    store_read_token: str = Field("", env="XIAOER_STORE_READ_TOKEN")
    store_database_url: str = Field(_sqlite("store.db"), env="XIAOER_STORE_DATABASE_URL")


class ActionSettings(StoreClientSection, KnowledgeSection):
    # Orders placed within this many days count as "recent" when no number is given.
    recent_order_days: int = Field(30, env="XIAOER_RECENT_ORDER_DAYS", ge=1)
    # The store's promise: paid orders ship within this many hours.
    ship_within_hours: int = Field(48, env="XIAOER_SHIP_WITHIN_HOURS", ge=1)
    # Below this response-selector confidence the FAQ answer is not trusted.
    faq_min_confidence: float = Field(0.3, env="XIAOER_FAQ_MIN_CONFIDENCE")


class NluSettings(StoreClientSection, KnowledgeSection):
    # Seconds to wait for the store's catalogue before a message is parsed with the last known one.
    catalogue_timeout: float = Field(0.5, env="XIAOER_CATALOGUE_TIMEOUT", gt=0)
    # After a failed catalogue check, parse without asking for this long.
    catalogue_retry_after: float = Field(5.0, env="XIAOER_CATALOGUE_RETRY_AFTER", ge=0)
    # The catalogue is re-checked in the background this often (a PUT product is known within it);
    # 0 checks before every message instead.
    catalogue_refresh_seconds: float = Field(1.0, env="XIAOER_CATALOGUE_REFRESH_SECONDS", ge=0)
    # Routing bands; None means "as configured in config.yml".
    answer_threshold: float | None = Field(None, env="XIAOER_ANSWER_THRESHOLD")
    suggest_threshold: float | None = Field(None, env="XIAOER_SUGGEST_THRESHOLD")
    # Share of the linear intent model in its blend with DIET (xiaoer.nlu.linear), read at model load.
    linear_weight: float | None = Field(None, env="XIAOER_LINEAR_WEIGHT")

    _thresholds = validator(
        "answer_threshold", "suggest_threshold", "linear_weight", pre=True, allow_reuse=True
    )(_threshold_or_none)


class BuyerTokenSection(Section):
    """Buyer identity: HS256 tokens the store signs (sub = buyer id) and Xiaoer checks."""

    buyer_token_secret: str = Field("", env="XIAOER_BUYER_TOKEN_SECRET")
    # Set by `make run` only: the dev tools may then mint tokens for demo buyers.
    dev_mode: bool = Field(False, env="XIAOER_DEV_MODE")


class LimitsSection(Section):
    """Limits that hold under abuse, per buyer and per client address, on every buyer channel."""

    # Longest message taken, in characters after normalisation.
    max_message_chars: int = Field(1000, env="XIAOER_MAX_MESSAGE_CHARS", ge=1)
    # Messages a buyer may send: a burst, refilled at this rate per minute.
    buyer_burst: int = Field(10, env="XIAOER_BUYER_BURST", ge=1)
    buyer_per_minute: float = Field(30.0, env="XIAOER_BUYER_PER_MINUTE", gt=0)
    # Requests one client address may make (a bridge or a NAT carries many buyers).
    address_burst: int = Field(60, env="XIAOER_ADDRESS_BURST", ge=1)
    address_per_minute: float = Field(600.0, env="XIAOER_ADDRESS_PER_MINUTE", gt=0)
    # Shared limits across replicas when set (redis://host:port/db); in-process otherwise.
    redis_url: str = Field("", env="XIAOER_REDIS_URL")


class ChannelSettings(BuyerTokenSection, LimitsSection):
    # Origins the web chat may be served from, comma-separated; empty: the console's own origin.
    chat_origins: str = Field("", env="XIAOER_CHAT_ORIGINS")
    console_port: int = Field(8100, env="XIAOER_CONSOLE_PORT")
    # The marketplace bridge signs each request with this (HMAC-SHA256).
    marketplace_secret: str = Field("", env="XIAOER_MARKETPLACE_SECRET")
    # Seconds a bridge's timestamp may be off, and how long a message_id's answer is kept for retries.
    marketplace_skew: int = Field(300, env="XIAOER_MARKETPLACE_SKEW_SECONDS", ge=1)
    marketplace_replay_ttl: int = Field(86400, env="XIAOER_MARKETPLACE_REPLAY_SECONDS", ge=60)

    @property
    def allowed_origins(self) -> list[str]:
        configured = [o.strip().rstrip("/") for o in self.chat_origins.split(",") if o.strip()]
        return configured or [
            f"http://127.0.0.1:{self.console_port}",
            f"http://localhost:{self.console_port}",
        ]


class RasaServerSettings(RasaClientSection):
    """The Rasa server as `python -m xiaoer.rasa_ext.serve` starts it (tokens never in argv)."""

    rasa_interface: str = Field("127.0.0.1", env="XIAOER_RASA_INTERFACE")
    model: Path = Field(REPO_ROOT / "models" / "xiaoer.tar.gz", env="XIAOER_MODEL")
    endpoints: Path = Field(REPO_ROOT / "endpoints.yml", env="XIAOER_ENDPOINTS")
    credentials: Path = Field(REPO_ROOT / "credentials.yml", env="XIAOER_CREDENTIALS")
    # Seconds Rasa waits for one message's processing before the channel gives up.
    response_timeout: int = Field(3600, env="XIAOER_RASA_RESPONSE_TIMEOUT", ge=1)
    # A conversation session also ends after this many buyer messages (slots carry over), so
    # per-message cost does not grow with the conversation (xiaoer.rasa_ext.sessions); 0: never.
    session_max_turns: int = Field(20, env="XIAOER_SESSION_MAX_TURNS", ge=0)


class FollowupSettings(StoreClientSection, RasaClientSection):
    database_url: str = Field(_sqlite("followup.db"), env="XIAOER_FOLLOWUP_DATABASE_URL")
    scenarios_file: Path = Field(REPO_ROOT / "followup.yml", env="XIAOER_FOLLOWUP_SCENARIOS")
    # A channel that can push to the buyer (socket.io); REST cannot.
    output_channel: str = Field("socketio", env="XIAOER_FOLLOWUP_OUTPUT_CHANNEL")
    rasa_timeout: float = Field(10.0, env="XIAOER_FOLLOWUP_RASA_TIMEOUT", gt=0)
    poll_interval: float = Field(2.0, env="XIAOER_FOLLOWUP_POLL_SECONDS", gt=0)
    host: str = Field("127.0.0.1", env="XIAOER_FOLLOWUP_HOST")
    port: int = Field(8010, env="XIAOER_FOLLOWUP_PORT")
    # A store that pushes events (POST /events) presents this; empty: the store's read-write token.
    push_token: str = Field("", env="XIAOER_FOLLOWUP_PUSH_TOKEN")
    # "latest": a first start skips the store's past events (no blast of stale notices on install);
    # "earliest": it replays them.
    start_from: Literal["latest", "earliest"] = Field("latest", env="XIAOER_FOLLOWUP_START")
    # Test-only: a file holding seconds to add to the real clock, so an end-to-end test can move the
    # running engine's time. Unset (the default) in production.
    test_clock_file: Path | None = Field(None, env="XIAOER_FOLLOWUP_TEST_CLOCK_FILE")

    @validator("test_clock_file", pre=True)
    def _empty_is_none(cls, value):
        return value or None


class AssistSettings(RasaClientSection, TrackerSection):
    assist_database_url: str = Field(_sqlite("assist.db"), env="XIAOER_ASSIST_DATABASE_URL")
    # None means "as trained": the defaults live in config.yml (xiaoer.nlu.routing.RoutingClassifier).
    answer_threshold: float | None = Field(None, env="XIAOER_ANSWER_THRESHOLD")
    suggest_threshold: float | None = Field(None, env="XIAOER_SUGGEST_THRESHOLD")
    store_id: str = Field("haiyue", env="XIAOER_STORE_ID")

    _thresholds = validator("answer_threshold", "suggest_threshold", pre=True, allow_reuse=True)(
        _threshold_or_none
    )
    # Day boundaries of the metrics command follow the store's clock.
    store_timezone: str = Field("Asia/Shanghai", env="XIAOER_STORE_TIMEZONE")
    # Seconds before a call to Rasa or the action server is abandoned.
    assist_timeout: float = Field(10.0, env="XIAOER_ASSIST_TIMEOUT", gt=0)
    # Where the metrics read conversations: Rasa's tracker store, or the events Rasa's broker
    # published (a clustered run: xiaoer.assist.consume keeps them in the assist database).
    metrics_events: Literal["tracker", "broker"] = Field("tracker", env="XIAOER_METRICS_EVENTS")
    broker_url: str = Field("", env="XIAOER_BROKER_URL")
    broker_queue: str = Field("xiaoer_events", env="XIAOER_BROKER_QUEUE")


class ConsoleSettings(
    StoreClientSection, RasaClientSection, TrackerSection, KnowledgeSection, NluDataSection, BuyerTokenSection
):
    host: str = Field("127.0.0.1", env="XIAOER_CONSOLE_HOST")
    port: int = Field(8100, env="XIAOER_CONSOLE_PORT")
    # Conversations served by this deployment belong to this store; agents of other stores see none.
    store_id: str = Field("haiyue", env="XIAOER_STORE_ID")
    # Agents, sessions (ours) and the suggestion decision log (xiaoer.assist) share this database.
    database_url: str = Field(_sqlite("assist.db"), env="XIAOER_ASSIST_DATABASE_URL")
    # Read by the dashboard: follow-ups sent and converted.
    followup_database_url: str = Field(_sqlite("followup.db"), env="XIAOER_FOLLOWUP_DATABASE_URL")
    # Where the buyer's browser reaches Rasa's socket.io channel (the chat page connects there).
    chat_socket_url: str = Field("", env="XIAOER_CHAT_SOCKET_URL")
    session_hours: float = Field(8.0, env="XIAOER_CONSOLE_SESSION_HOURS", gt=0)
    # Set when served over HTTPS (behind a TLS proxy): cookies then carry the Secure flag.
    secure_cookies: bool = Field(False, env="XIAOER_CONSOLE_SECURE_COOKIES")
    # Seconds between polls of the tracker store for live updates.
    poll_seconds: float = Field(1.0, env="XIAOER_CONSOLE_POLL_SECONDS", gt=0)
    # `add-agent` reads a new agent's password from here (never argv), else from stdin.
    agent_password: str = Field("", env="XIAOER_AGENT_PASSWORD")
    # Login attempts: per login and per client address, a burst refilled per minute (then 429).
    login_burst: int = Field(5, env="XIAOER_CONSOLE_LOGIN_BURST", ge=1)
    login_per_minute: float = Field(1.0, env="XIAOER_CONSOLE_LOGIN_PER_MINUTE", gt=0)
    login_address_burst: int = Field(20, env="XIAOER_CONSOLE_LOGIN_ADDRESS_BURST", ge=1)
    login_address_per_minute: float = Field(10.0, env="XIAOER_CONSOLE_LOGIN_ADDRESS_PER_MINUTE", gt=0)
    # Shared limits across console replicas when set; in-process otherwise.
    redis_url: str = Field("", env="XIAOER_REDIS_URL")

    @property
    def socket_url(self) -> str:
        return (self.chat_socket_url or self.rasa_url).rstrip("/")


class RunSettings(StoreClientSection, RasaClientSection, TrackerSection):
    store_port: int = Field(DEFAULT_STORE_PORT, env="XIAOER_STORE_PORT")
    followup_port: int = Field(8010, env="XIAOER_FOLLOWUP_PORT")
    console_port: int = Field(8100, env="XIAOER_CONSOLE_PORT")
    # Seconds `make run` waits for every process to answer.
    start_timeout: float = Field(300.0, env="XIAOER_START_TIMEOUT", gt=0)
    # The console's development agent password (generated into var/dev-tokens.env when unset).
    dev_agent_password: str = Field("", env="XIAOER_DEV_AGENT_PASSWORD")


class TrainerSettings(
    StoreClientSection, RasaClientSection, TrackerSection, KnowledgeSection, NluDataSection
):
    """`python -m xiaoer.trainer`: live conversations mined for misses (docs/trainer.md)."""

    assist_database_url: str = Field(_sqlite("assist.db"), env="XIAOER_ASSIST_DATABASE_URL")


class ClusterSettings(Section):
    """`make run-cluster`: every component on loopback, ports counted up from port_base."""

    cluster_dir: Path = Field(VAR_DIR / "cluster", env="XIAOER_CLUSTER_DIR")
    # Where buyers, bridges and the console's socket.io reach Rasa: nginx.
    front_port: int = Field(5080, env="XIAOER_CLUSTER_PORT")
    port_base: int = Field(6100, env="XIAOER_CLUSTER_PORT_BASE")
    rasa_replicas: int = Field(2, env="XIAOER_CLUSTER_RASA_REPLICAS", ge=1)
    action_replicas: int = Field(2, env="XIAOER_CLUSTER_ACTION_REPLICAS", ge=1)
    followup_workers: int = Field(2, env="XIAOER_CLUSTER_FOLLOWUP_WORKERS", ge=1)
    start_timeout: float = Field(600.0, env="XIAOER_START_TIMEOUT", gt=0)


def from_environment(names: tuple[str, ...]) -> dict[str, str]:
    """The values of these variables that are set and not empty (the run command's dev secrets)."""
    import os

    return {name: os.environ[name] for name in names if os.environ.get(name)}
