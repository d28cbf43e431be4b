"""The 训练师 pages over HTTP: clusters from the tracker store, a masked conversation, edits previewed
and written into a copy of the project, and the cluster gone once the model has learnt them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.console.conftest import PASSWORD, save_tracker
from tests.trainer.live_misses import PHONE_TEXT, PRICE_DROP, LearningModel, conversation, copy_project
from xiaoer.console.training import Project, TrainingDesk
from xiaoer.trainer.mining import MiningSources


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture()
def trainer(console, project: Path):
    now = time.time() - 3600
    for i, text in enumerate([*PRICE_DROP, PHONE_TEXT]):
        save_tracker(console.tracker_db, f"buyer-{i}", conversation(text, now + i * 10))
    mining = MiningSources(
        trackers=console.service.trackers,
        decisions=console.decisions,
        store=None,
        nlu_data_dir=project / "data" / "nlu",
        knowledge_dir=project / "knowledge",
        parse=LearningModel(project),
    )
    console.service.training = TrainingDesk(
        mining, Project(project, project / "data" / "nlu", project / "knowledge")
    )
    console.agents.add_agent("haiyue", "tina", PASSWORD, role="trainer")
    console.login("tina")
    console.token = console.csrf()
    return console


def post(console, kind: str, body: dict, csrf: bool = True):
    headers = {"X-CSRF-Token": console.token} if csrf else {}
    return console.client.post(f"/api/trainer/edits/{kind}", json=body, headers=headers)


def price_drop_cluster(result: dict) -> dict | None:
    return next((c for c in result["clusters"] if any("降价" in e for e in c["examples"])), None)


def test_only_trainers_reach_the_trainer_pages(console, trainer) -> None:
    assert trainer.client.get("/trainer").status_code == 200
    assert 'href="/trainer"' in trainer.client.get("/").text

    trainer.client.cookies.clear()
    trainer.login("alice")  # an agent, not a trainer
    assert trainer.client.get("/trainer").status_code == 403
    assert trainer.client.get("/api/trainer/clusters").status_code == 403
    assert 'href="/trainer"' not in trainer.client.get("/").text
    assert post(trainer, "examples", {"intent": "greet", "texts": ["嗨"]}, csrf=False).status_code == 403

    trainer.client.cookies.clear()
    assert trainer.client.get("/api/trainer/targets").status_code == 401
    assert trainer.client.get("/trainer").status_code == 303


def test_clusters_come_masked_with_their_signals_and_conversations(trainer) -> None:
    result = trainer.client.get("/api/trainer/clusters", params={"since": "24h"}).json()

    cluster = price_drop_cluster(result)
    assert cluster is not None and cluster["count"] == 3
    assert cluster["signals"] == {"fallback": 3, "low_confidence": 3}
    assert "买了就降价怎么处理 电话138****5678" in cluster["examples"]
    assert not any("13812345678" in e for e in cluster["examples"])
    assert sorted(cluster["conversations"]) == ["buyer-0", "buyer-1", "buyer-2"]

    transcript = trainer.client.get("/api/trainer/conversations/buyer-2").json()
    assert [m["role"] for m in transcript["messages"]] == ["buyer", "bot"]
    assert transcript["messages"][0]["text"] == "买了就降价怎么处理 电话138****5678"
    assert trainer.client.get("/api/trainer/conversations/nobody").status_code == 404


def test_a_preview_writes_nothing_and_a_write_needs_the_csrf_token(trainer, project: Path) -> None:
    path = project / "data" / "nlu" / "promotions.yml"
    before = path.read_text(encoding="utf-8")
    body = {"intent": "ask_price_protection", "texts": PRICE_DROP}

    preview = post(trainer, "examples", body)
    assert preview.status_code == 200, preview.text
    assert preview.json()["written"] is False and "+      - 买了隔天就降价怎么处理" in preview.json()["diff"]
    assert path.read_text(encoding="utf-8") == before
    assert post(trainer, "examples", {**body, "write": True}, csrf=False).status_code == 403
    assert path.read_text(encoding="utf-8") == before


def test_taught_examples_shrink_the_cluster_once_the_model_has_learnt_them(trainer, project: Path) -> None:
    before = price_drop_cluster(trainer.client.get("/api/trainer/clusters").json())
    texts = before["examples"]  # as shown: masked

    written = post(
        trainer, "examples", {"intent": "ask_price_protection", "texts": texts, "write": True}
    ).json()

    assert written["written"] is True and written["file"] == "data/nlu/promotions.yml"
    assert written["retrain"] == "make finetune"
    data = yaml.safe_load((project / "data" / "nlu" / "promotions.yml").read_text(encoding="utf-8"))
    block = next(b for b in data["nlu"] if b.get("intent") == "ask_price_protection")
    assert "买了就降价怎么处理 电话138****5678" in block["examples"]
    again = trainer.client.get("/api/trainer/clusters", params={"again": "true"}).json()
    assert again["fixed"] == 3
    assert price_drop_cluster(again) is None


def test_variants_are_written_and_the_faq_training_data_rebuilt(trainer, project: Path) -> None:
    body = {"key": "ask_delivery/carriers", "texts": ["能发德邦吗"], "write": True}

    result = post(trainer, "variants", body).json()

    assert (
        result["file"] == "knowledge/delivery.yml" and result["retrain"] == "make knowledge && make finetune"
    )
    assert "data/nlu/faq/delivery.yml" in result["rebuilt"]
    assert "能发德邦吗" in (project / "data" / "nlu" / "faq" / "delivery.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "body", "reason"),
    [
        (
            "entry",
            {
                "category": "delivery",
                "id": "gift_wrap",
                "question": "能包装吗",
                "texts": ["礼盒"],
                "answer": "可以",
            },
            "at least 8",
        ),
        (
            "entry",
            {
                "category": "nowhere",
                "id": "gift_wrap",
                "question": "能包装吗",
                "texts": ["礼盒"],
                "answer": "可以",
            },
            "没有分类",
        ),
        ("examples", {"intent": "greet", "texts": "你好"}, "文本列表"),
        ("variants", {"key": "ask_delivery/nothing", "texts": ["能发德邦吗"]}, "没有条目"),
    ],
)
def test_edits_that_would_leave_the_data_wrong_get_the_reason(trainer, kind, body, reason) -> None:
    response = post(trainer, kind, body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_a_bad_period_or_an_unreachable_tracker_store_gets_a_clear_message(trainer) -> None:
    assert "24h" in trainer.client.get("/api/trainer/clusters", params={"since": "forever"}).json()["detail"]
    assert trainer.client.get("/api/trainer/clusters", params={"since": "90d"}).status_code == 400

    from xiaoer.rasa_ext.trackers import TrackerReader

    trainer.service.training.mining.trackers = TrackerReader("postgresql://xiaoer@127.0.0.1:9/xiaoer")
    response = trainer.client.get("/api/trainer/clusters")
    assert response.status_code == 503
    assert "tracker store" in response.json()["detail"] and "127.0.0.1:9" in response.json()["detail"]


def test_high_churn_needs_the_store_and_then_counts_the_lost_conversations(trainer) -> None:
    response = trainer.client.get("/api/trainer/churn", params={"since": "24h"})
    assert response.status_code == 503 and "store's orders" in response.json()["detail"]

    trainer.service.training.mining.store = trainer.store
    result = trainer.client.get("/api/trainer/churn", params={"since": "24h", "window": "72h"}).json()

    assert result["period"]["conversations"] == 3 and result["window_hours"] == 72
    assert result["by_stage"] == [
        {
            "stage": "其他",
            "conversations": 3,
            "converted": 0,
            "conversion_rate": 0.0,
            "lost": 3,
            "lost_gmv": None,
        }
    ]
    assert trainer.client.get("/api/trainer/churn", params={"window": "never"}).status_code == 400
