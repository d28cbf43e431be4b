"""`python -m xiaoer.run`: train if needed, then start every process under honcho.

`python -m xiaoer.run ready` is the Procfile's last process: it waits for the
others to answer, loads the demo store into an empty database, says where to
chat, and then stays up (honcho stops everything when one process exits).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable

import requests

from xiaoer.settings import (
    DEV_TOKENS_FILE,
    REPO_ROOT,
    VAR_DIR,
    ConsoleSettings,
    RunSettings,
    from_environment,
)

TOKENS_FILE = DEV_TOKENS_FILE
# Secrets `make run` generates when unset: the store's read-write and read-only tokens, the Rasa
# API's JWT secret, the buyer-token and marketplace-bridge signing secrets, the follow-up push token.
TOKEN_VARS = (
    "XIAOER_STORE_TOKEN",
    "XIAOER_STORE_READ_TOKEN",
    "XIAOER_RASA_TOKEN",
    "XIAOER_BUYER_TOKEN_SECRET",
    "XIAOER_MARKETPLACE_SECRET",
    "XIAOER_FOLLOWUP_PUSH_TOKEN",
)
MODEL = REPO_ROOT / "models" / "xiaoer.tar.gz"
FINGERPRINT = REPO_ROOT / "models" / "xiaoer.fingerprint"
# What a model is trained from: a change to any of these means `make run` retrains first.
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "vocabulary/regional.yml",
    "xiaoer/text.py",
    "xiaoer/nlu",
)
# The development agent's console password (login DEV_AGENT_LOGIN), generated like the tokens.
DEV_AGENT_PASSWORD_VAR = "XIAOER_DEV_AGENT_PASSWORD"
DEV_AGENT_LOGIN = "dev"


def dev_tokens(names: Iterable[str] = TOKEN_VARS) -> Dict[str, str]:
    """Tokens from the environment; generated ones, kept in var/dev-tokens.env, fill the gaps."""
    saved: Dict[str, str] = {}
    if TOKENS_FILE.exists():
        for line in TOKENS_FILE.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() and value.strip():
                saved[key.strip()] = value.strip()
    names = tuple(names)
    given = from_environment(names)
    tokens = {}
    for var in names:
        tokens[var] = given.get(var) or saved.get(var) or secrets.token_urlsafe(24)
    to_save = {v: tokens[v] for v in names if v not in given}
    if to_save and to_save != {k: saved.get(k) for k in to_save}:
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        VAR_DIR.chmod(0o700)  # a var/ made before it was private, too
        TOKENS_FILE.write_text("".join(f"{k}={v}\n" for k, v in {**saved, **to_save}.items()))
        TOKENS_FILE.chmod(0o600)
    return tokens


def saved_dev_secret(name: str) -> str:
    """A secret `make run` generated into var/dev-tokens.env ("" when there is none): the dev tools
    use it to mint tokens for demo buyers, so they work only where a development stack runs."""
    if not TOKENS_FILE.exists():
        return ""
    for line in TOKENS_FILE.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    return ""


def training_fingerprint(root: Path = REPO_ROOT, inputs: Iterable[str] = TRAINING_INPUTS) -> str:
    digest = hashlib.sha256()
    for name in inputs:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path] * path.exists()
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def model_is_stale() -> bool:
    if not MODEL.exists() or not FINGERPRINT.exists():
        return True
    return FINGERPRINT.read_text().strip() != training_fingerprint()


def train() -> None:
    print("xiaoer: training the model (config, domain or data changed, or no model yet)…", flush=True)
    fingerprint = training_fingerprint()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "xiaoer.rasa_ext.train",
            "--fixed-model-name",
            "xiaoer",
            "--out",
            "models",
        ],
        cwd=REPO_ROOT,
        check=True,
        env=training_env(),
    )
    FINGERPRINT.write_text(fingerprint)


def training_env() -> Dict[str, str]:
    """Rasa lists a retrieval intent's responses in set order, and `rasa train --finetune` refuses a
    model whose domain lists them in another order: with a fixed hash seed every run agrees."""
    return {**os.environ, "PYTHONHASHSEED": "0"}


def endpoints_file(action_port: int) -> str:
    """endpoints.yml, or a copy in var/ pointing at a non-default action server port."""
    default = REPO_ROOT / "endpoints.yml"
    if action_port == 5055:
        return str(default)
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    copy = VAR_DIR / "endpoints.yml"
    copy.write_text(default.read_text().replace("127.0.0.1:5055/", f"127.0.0.1:{action_port}/"))
    return str(copy)


def start() -> None:
    # var/ holds dev tokens, buyers' conversations and orders (SQLite) and logs: whatever this
    # command and its children (they inherit the umask) create is the user's alone.
    os.umask(0o077)
    settings = RunSettings()
    # The child processes get this environment, with the development defaults filled in.
    env = dict(os.environ)
    env.update(dev_tokens())
    env.update(dev_tokens((DEV_AGENT_PASSWORD_VAR,)))
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Development: the dev tools may mint buyer tokens for demo buyers (never set in production).
    env["XIAOER_DEV_MODE"] = "1"
    env.setdefault("XIAOER_STORE_URL", f"http://127.0.0.1:{settings.store_port}")
    env.setdefault("XIAOER_ACTION_PORT", str(settings.action_port))
    env.setdefault("XIAOER_RASA_PORT", str(settings.rasa_port))
    # The agent console reaches Rasa and the action server on the ports started here.
    env.setdefault("XIAOER_RASA_URL", f"http://127.0.0.1:{env['XIAOER_RASA_PORT']}")
    env.setdefault("XIAOER_ACTION_URL", f"http://127.0.0.1:{env['XIAOER_ACTION_PORT']}")
    env["XIAOER_ENDPOINTS"] = endpoints_file(int(env["XIAOER_ACTION_PORT"]))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    os.environ.update(env)
    if model_is_stale():
        train()
    honcho = str(Path(sys.executable).parent / "honcho")
    os.chdir(REPO_ROOT)
    os.execvpe(honcho, [honcho, "start", "-f", "Procfile"], env)


def wait_for(name: str, url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                print(f"xiaoer: {name} is up ({url})", flush=True)
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit(f"xiaoer: {name} did not answer at {url}; see its log lines above")


def ready() -> None:
    settings = RunSettings()
    deadline = time.monotonic() + settings.start_timeout
    wait_for("store backend", f"{settings.store_url}/health", deadline)
    subprocess.run([sys.executable, "-m", "xiaoer.demo", "load"], check=True)
    wait_for("action server", f"http://127.0.0.1:{settings.action_port}/health", deadline)
    wait_for("Rasa", f"http://127.0.0.1:{settings.rasa_port}/", deadline)
    console = console_url()
    wait_for("agent console", f"{console}/health", deadline)
    wait_for("follow-up engine", f"http://127.0.0.1:{settings.followup_port}/health", deadline)
    ensure_dev_agent()
    print(
        f"""
========================================================================
 Xiaoer is running.
   Chat in this terminal:  .venv/bin/python -m xiaoer.chat --buyer demo
   REST channel:           POST http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook
                           Authorization: Bearer <buyer token>   {{"message": "我的订单到哪了"}}
                           (a token for demo: .venv/bin/python -m xiaoer.chat --buyer demo --print-token)
   Store backend:          http://127.0.0.1:{settings.store_port}/docs
   Buyer web chat:         {console}/chat?buyer=demo
   Agent console:          {console}/  login {DEV_AGENT_LOGIN}, password in {TOKENS_FILE.relative_to(REPO_ROOT)}
                           ({DEV_AGENT_PASSWORD_VAR}={settings.dev_agent_password})
   Tokens (generated for development when unset): {TOKENS_FILE.relative_to(REPO_ROOT)}
 Stop with Ctrl-C.
========================================================================""",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


def console_url() -> str:
    return f"http://127.0.0.1:{ConsoleSettings().port}"


def ensure_dev_agent() -> None:
    """The console's development agent, with the generated password from var/dev-tokens.env."""
    from xiaoer.console.bootstrap import agent_store

    console = ConsoleSettings()
    password = RunSettings().dev_agent_password
    if password:
        agents = agent_store(console)
        # A trainer, so a developer sees every console page (docs/trainer.md).
        agent = agents.get_agent(DEV_AGENT_LOGIN)
        if agent is None:
            agents.add_agent(console.store_id, DEV_AGENT_LOGIN, password, role="trainer")
            return
        if agents.authenticate(DEV_AGENT_LOGIN, password) is None:
            agents.set_password(DEV_AGENT_LOGIN, password)
        if not agent.is_trainer:
            agents.set_role(DEV_AGENT_LOGIN, "trainer")


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "start":
        start()
    elif command == "train":
        train()
    elif command == "ready":
        ready()
    else:
        raise SystemExit("usage: python -m xiaoer.run [start|train|ready]")


if __name__ == "__main__":
    main()
