"""The baseline: a bare Rasa echo bot in the same venv (tiny DIET, rules, in-memory tracker, REST)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict

from xiaoer.launch import BIN, Processes, free_port

CONFIG = """\
recipe: default.v1
assistant_id: echo
language: zh
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 2
  - name: DIETClassifier
    epochs: 5
    number_of_transformer_layers: 0
    random_seed: 1
policies:
  - name: RulePolicy
"""
DOMAIN = """\
version: "3.1"
intents: [greet, ask]
responses:
  utter_echo:
    - text: "收到，您的消息小二已经看到啦"
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""
NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - 在吗
    - 您好
    - 哈喽
- intent: ask
  examples: |
    - 我的订单到哪了
    - 订单什么时候发货
    - 这个电视多大
    - 物流到哪里了
"""
RULES = """\
version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_echo
- rule: ask
  steps:
  - intent: ask
  - action: utter_echo
"""


def train(workdir: Path, env: Dict[str, str]) -> Path:
    project = workdir / "echo"
    (project / "data").mkdir(parents=True, exist_ok=True)
    (project / "config.yml").write_text(CONFIG, encoding="utf-8")
    (project / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (project / "data" / "nlu.yml").write_text(NLU, encoding="utf-8")
    (project / "data" / "rules.yml").write_text(RULES, encoding="utf-8")
    (project / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    (project / "endpoints.yml").write_text("", encoding="utf-8")
    log = (workdir / "echo-train.log").open("wb")
    subprocess.run(
        [str(BIN / "rasa"), "train", "--fixed-model-name", "echo", "--out", "models"],
        cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
    )  # fmt: skip
    return project


def start(processes: Processes, project: Path) -> str:
    port = free_port()
    args = [
        str(BIN / "rasa"), "run", "--model", str(project / "models" / "echo.tar.gz"),
        "--credentials", str(project / "credentials.yml"), "--endpoints", str(project / "endpoints.yml"),
        "--interface", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    processes.start("echo-rasa", args, f"{url}/")
    return url
