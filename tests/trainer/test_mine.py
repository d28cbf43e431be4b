"""`python -m xiaoer.trainer mine` on scripted conversations in a real SQL tracker store."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.suggest import Suggestion
from xiaoer.trainer.__main__ import main
from xiaoer.trainer.mining import ordered_buyers
from xiaoer.trainer.misses import find_misses

ROOT = Path(__file__).resolve().parents[2]
NOW = time.time()


class Script:
    def __init__(self, sender: str, minutes_ago: float) -> None:
        self.sender = sender
        self.t = NOW - minutes_ago * 60
        self.events: list = []

    def buyer(self, text: str, intent: str, confidence: float = 0.95, band: str = "answer") -> Script:
        self.t += 10
        shown = intent if band == "answer" else "nlu_fallback"
        parse = {
            "text": text,
            "intent": {"name": shown, "confidence": confidence},
            "entities": [],
            "routing": {"band": band, "intent": intent, "confidence": confidence},
        }
        self.events.append(UserUttered(text, parse["intent"], [], parse, timestamp=self.t))
        return self

    def bot(self, action: str, text: str, response: str | None = None) -> Script:
        self.t += 1
        self.events += [
            ActionExecuted(action, timestamp=self.t),
            BotUttered(text, {}, {"utter_action": response} if response else {}, timestamp=self.t + 0.01),
            ActionExecuted("action_listen", timestamp=self.t + 0.02),
        ]
        return self


def conversations() -> list[Script]:
    return [
        # Out of the store's business, forced into a store intent twice.
        Script("buyer-food-1", 120)
        .buyer("怎么做炸鸡", "ask_delivery", 0.5, "suggest")
        .bot("action_fallback", "稍等，同事马上来", "utter_assist_pending"),
        Script("buyer-food-2", 100)
        .buyer("炸鸡怎么做才好吃", "ask_delivery", 0.48, "suggest")
        .bot("action_fallback", "稍等，同事马上来", "utter_assist_pending"),
        # A confident answer the buyer says missed.
        Script("buyer-post", 90)
        .buyer("冰箱包邮吗 我手机13812345678", "ask_warranty_repair", 0.9)
        .bot("action_faq", "整机保修一年")
        .buyer("答非所问", "complain", 0.9)
        .bot("utter_complain", "抱歉"),
        # Asked again in other words.
        Script("buyer-again", 80)
        .buyer("买了第二天就降价怎么办", "ask_promotion", 0.8)
        .bot("action_promotions", "当前活动：满减")
        .buyer("买了第二天就降价了怎么办呢", "ask_promotion", 0.8)
        .bot("action_promotions", "当前活动：满减"),
        # All well: nothing to mine.
        Script("buyer-fine", 60)
        .buyer("我的订单到哪了", "query_logistics", 0.98)
        .bot("action_logistics", "顺丰 SF123")
        .buyer("谢谢", "thank", 0.99)
        .bot("utter_thank", "不客气", "utter_thank"),
        # Long ago: outside --since 24h.
        Script("buyer-old", 3 * 24 * 60).buyer("怎么做红烧肉", "ask_delivery", 0.4, "handover"),
    ]


@pytest.fixture
def stores(tmp_path, monkeypatch):
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    for script in conversations():
        asyncio.run(store.save(DialogueStateTracker.from_events(script.sender, script.events, domain.slots)))
    log = DecisionLog(f"sqlite:///{tmp_path / 'assist.db'}")
    shown_at = datetime.fromtimestamp(NOW - 50 * 60, timezone.utc)
    log.shown(
        "buyer-agent",
        "agent-li",
        "以旧换新怎么折价",
        [Suggestion("s1", "建议", 0.4, "ask_promotion", "action")],
        at=shown_at,
    )
    log.decided("s1", "rejected", "agent-li", at=shown_at)
    monkeypatch.setenv("XIAOER_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("XIAOER_ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'assist.db'}")
    return tmp_path


def mined(capsys, *args: str) -> dict:
    assert main(["mine", "--since", "24h", "--json", "--no-store", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_misses_are_clustered_biggest_first_with_their_signals(stores, capsys) -> None:
    result = mined(capsys)
    clusters = result["clusters"]
    assert [c["count"] for c in clusters] == sorted((c["count"] for c in clusters), reverse=True)
    food = clusters[0]
    assert food["count"] == 2 and sorted(food["examples"]) == sorted(["怎么做炸鸡", "炸鸡怎么做才好吃"])
    assert food["signals"] == {"band:suggest": 2, "fallback": 2, "low_confidence": 2}
    assert food["intents"] == [{"name": "ask_delivery", "count": 2}] and food["stage"] == "售中"
    assert food["suggested"]["kind"] in ("intent", "knowledge", "new_knowledge_entry")
    by_example = {e: c for c in clusters for e in c["examples"]}
    assert "complained" in by_example["冰箱包邮吗 我手机138****5678"]["signals"]
    assert "rephrased" in by_example["买了第二天就降价怎么办"]["signals"]
    assert "agent_rejected" in by_example["以旧换新怎么折价"]["signals"]
    # Answered well, or outside the period: not a miss.
    for text in ("我的订单到哪了", "谢谢", "怎么做红烧肉"):
        assert text not in by_example
    assert result["misses"] == sum(c["count"] for c in clusters) == 5
    assert set(clusters[0]) >= {"label", "count", "examples", "stage", "signals", "suggested"}


def test_phone_numbers_never_leave_the_miner(stores, capsys) -> None:
    assert main(["mine", "--no-store"]) == 0
    out = capsys.readouterr().out
    assert "13812345678" not in out and "138****5678" in out


def test_a_suggestion_points_at_the_nearest_training_text(stores, capsys) -> None:
    by_example = {e: c for c in mined(capsys)["clusters"] for e in c["examples"]}
    suggested = by_example["冰箱包邮吗 我手机138****5678"]["suggested"]
    assert suggested["kind"] in ("intent", "knowledge") and suggested["similarity"] >= 0.25
    assert suggested["name"].startswith("ask_delivery"), suggested  # 包邮 is a delivery question


def test_presale_conversations_without_an_order_are_marked() -> None:
    class Store:
        def buyer_orders(self, buyer):
            return [{"created_at": "2099-01-01T00:00:00Z"}] if buyer == "bought" else []

    assert ordered_buyers(Store(), {"bought": NOW, "left": NOW}) == {"bought"}
    events = [
        {"event": "user", "sender_id": s, "text": "这台电视有货吗", "timestamp": NOW,
         "parse_data": {"intent": {"name": "ask_stock", "confidence": 0.95}}}
        for s in ("bought", "left")
    ]  # fmt: skip
    (miss,) = find_misses(events, ordered_buyers={"bought"})
    assert miss.conversation_id == "left" and miss.signals == {"no_order"} and miss.stage == "售前"


def test_an_unreachable_tracker_store_gets_a_clear_message(monkeypatch, capsys) -> None:
    monkeypatch.setenv("XIAOER_TRACKER_DATABASE_URL", "postgresql://xiaoer:secret@127.0.0.1:1/tracker")
    assert main(["mine", "--no-store"]) == 2
    err = capsys.readouterr().err
    assert "cannot read the tracker store at postgresql://xiaoer:***@127.0.0.1:1/tracker" in err
    assert "Traceback" not in err and "secret" not in err


def test_an_empty_period_says_so(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("XIAOER_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("XIAOER_ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'assist.db'}")
    assert main(["mine", "--since", "90m", "--no-store"]) == 0
    out = capsys.readouterr().out
    assert "0 missed messages in 0 clusters" in out and "no conversations between" in out


@pytest.mark.parametrize("since", ["24", "0h", "yesterday", "3w"])
def test_a_bad_period_is_refused(since, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["mine", "--since", since])
    assert "not a period like" in capsys.readouterr().err
