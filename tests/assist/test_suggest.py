"""Suggester against loopback stand-ins for Rasa and the action server (the real stack: tests/e2e)."""

from __future__ import annotations

import copy

import pytest

from tests.assist.fake_http import FakeHttp
from xiaoer.assist.suggest import Suggester, latest_buyer_text, rule_actions
from xiaoer.rasa_ext.client import RasaClient

RULES = """
version: "3.1"
rules:
  - rule: logistics
    steps:
      - intent: query_logistics
      - action: action_logistics
  - rule: order status
    steps:
      - intent: query_order_status
      - action: action_order_status
  - rule: installation faq
    steps:
      - intent: ask_installation
      - action: action_faq
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: human
    steps:
      - intent: request_human
      - action: action_handoff
  - rule: cancel
    steps:
      - intent: cancel_order
      - action: action_cancel_order
  - rule: fallback
    steps:
      - intent: nlu_fallback
      - action: action_fallback
  - rule: inform only after a question
    condition:
      - slot_was_set:
          - last_topic: logistics
    steps:
      - intent: inform
      - action: action_logistics
  - rule: inform
    steps:
      - intent: inform
      - action: action_inform
"""

DOMAIN = {
    "responses": {
        "utter_greet": [{"text": "您好，欢迎光临～"}],
        "utter_backend_error": [{"text": "抱歉，系统查询暂时出了点问题"}],
        "utter_ask_installation/wall_mount_fee": [{"text": "电视挂架 199 元，师傅上门安装。"}],
        "utter_ask_installation/ac_copper_pipe": [{"text": "空调铜管超出 3 米部分按米收费。"}],
    },
    "slots": {
        "order_id": {"type": "text", "mappings": [{"type": "from_entity", "entity": "order_id"}]},
        "last_topic": {"type": "text", "mappings": [{"type": "custom"}]},
    },
    "actions": ["action_logistics", "action_order_status", "action_faq", "action_cancel_order"],
}

TRACKER = {
    "sender_id": "buyer-1",
    "slots": {"order_id": None, "last_topic": None},
    "latest_message": {"text": "我的冰箱到哪了", "intent": {"name": "nlu_fallback"}},
    "paused": True,
    "events": [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "我的冰箱到哪了", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        {"event": "action", "name": "action_fallback"},
        {"event": "pause"},
        {"event": "user", "text": "EXTERNAL: x", "metadata": {"is_external": True}},
    ],
}


def parse_result(text, ranking, response_selector=None, entities=None):
    result = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.6},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.6}]
        + [{"name": n, "confidence": c} for n, c in ranking],
        "entities": entities or [],
        "routing": {"band": "suggest"},
    }
    if response_selector:
        result["response_selector"] = response_selector
    return result


def webhook(request):
    """A stand-in action server: answers from the latest message it is given."""
    action = request.body["next_action"]
    latest = request.body["tracker"]["latest_message"]
    if action == "action_logistics":
        order = request.body["tracker"]["slots"].get("order_id") or "默认订单"
        return 200, {"events": [], "responses": [{"text": f"订单 {order}：顺丰 SF1234567890，已到上海"}]}
    if action == "action_order_status":
        return 200, {"events": [], "responses": [{"response": "utter_backend_error"}]}
    if action == "action_faq":
        answer = latest["response_selector"]["ask_installation"]["response"]
        return 200, {"events": [], "responses": [{"response": answer["utter_action"], "buttons": []}]}
    if action == "action_cancel_order":
        return 200, {"events": [{"event": "pause"}], "responses": [{"text": "已为您转接人工"}]}
    return 500, {"error": "boom"}


@pytest.fixture
def fakes(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "all.yml").write_text(RULES, encoding="utf-8")
    with FakeHttp() as rasa, FakeHttp() as actions:
        rasa.route("GET", "/conversations/buyer-1/tracker", copy.deepcopy(TRACKER))
        rasa.route("GET", "/domain", DOMAIN)
        actions.route("POST", "/webhook", webhook)
        suggester = Suggester(RasaClient(rasa.url, "t"), actions.url, timeout=2, rules_dir=rules)
        yield suggester, rasa, actions


def test_rules_map_each_intent_to_its_action_unconditional_first(tmp_path):
    (tmp_path / "r.yml").write_text(RULES, encoding="utf-8")

    actions = rule_actions(tmp_path)

    assert actions["query_logistics"] == "action_logistics"
    assert actions["inform"] == "action_inform"
    assert actions["greet"] == "utter_greet"


def test_latest_buyer_text_skips_external_events():
    assert latest_buyer_text(TRACKER) == "我的冰箱到哪了"


def test_each_candidate_runs_what_the_bot_would_run(fakes):
    suggester, rasa, actions = fakes
    rasa.route(
        "POST",
        "/model/parse",
        parse_result(
            "我的冰箱到哪了 1234567890",
            [("query_logistics", 0.55), ("greet", 0.2), ("request_human", 0.1), ("query_order_status", 0.08)],
            entities=[{"entity": "order_id", "value": "1234567890"}],
        ),
    )

    suggestions = suggester.suggest("buyer-1", "我的冰箱到哪了 1234567890")

    # The hand-over intent and the apology are not replies; what is left is ranked by confidence.
    assert [(s.intent, s.source, s.text) for s in suggestions] == [
        ("query_logistics", "action", "订单 1234567890：顺丰 SF1234567890，已到上海"),
        ("greet", "response", "您好，欢迎光临～"),
    ]
    assert [s.confidence for s in suggestions] == [0.55, 0.2]
    assert len({s.suggestion_id for s in suggestions}) == 2
    # The action saw a copy in which the buyer just said this with the candidate intent, unpaused.
    calls = {r.body["next_action"]: r.body for r in actions.requests}
    sent = calls["action_logistics"]["tracker"]
    assert sent["latest_message"]["intent"] == {"name": "query_logistics", "confidence": 0.55}
    assert sent["slots"]["order_id"] == "1234567890"
    assert sent["paused"] is False
    assert sent["events"][-2]["event"] == "user"
    assert sent["events"][-2]["parse_data"]["intent"]["name"] == "query_logistics"
    assert calls["action_logistics"]["domain"] == DOMAIN
    # Nothing was written to the real conversation.
    assert all(r.method == "GET" or r.path == "/model/parse" for r in rasa.requests)


def test_text_defaults_to_the_buyers_latest_message(fakes):
    suggester, rasa, _ = fakes
    rasa.route("POST", "/model/parse", lambda r: (200, parse_result(r.body["text"], [("greet", 0.9)])))

    [suggestion] = suggester.suggest("buyer-1")

    assert suggestion.text == "您好，欢迎光临～"
    assert [r.body for r in rasa.requests if r.path == "/model/parse"] == [{"text": "我的冰箱到哪了"}]


def test_faq_candidates_come_from_the_response_selector_ranking(fakes):
    suggester, rasa, _ = fakes
    selector = {
        "all_retrieval_intents": ["ask_installation"],
        "ask_installation": {
            "response": {"intent_response_key": "ask_installation/wall_mount_fee", "confidence": 0.7},
            "ranking": [
                {"id": 1, "confidence": 0.7, "intent_response_key": "ask_installation/wall_mount_fee"},
                {"id": 2, "confidence": 0.3, "intent_response_key": "ask_installation/ac_copper_pipe"},
            ],
        },
    }
    rasa.route(
        "POST",
        "/model/parse",
        parse_result("挂架多少钱", [("ask_installation", 0.8), ("greet", 0.1)], selector),
    )

    suggestions = suggester.suggest("buyer-1", "挂架多少钱")

    assert [(s.intent, s.source, s.text) for s in suggestions] == [
        ("ask_installation/wall_mount_fee", "faq", "电视挂架 199 元，师傅上门安装。"),
        ("ask_installation/ac_copper_pipe", "faq", "空调铜管超出 3 米部分按米收费。"),
        ("greet", "response", "您好，欢迎光临～"),
    ]
    assert [s.confidence for s in suggestions] == [pytest.approx(0.56), pytest.approx(0.24), 0.1]


def test_top_three_distinct_and_failures_skipped(fakes):
    suggester, rasa, _ = fakes
    ranking = [
        ("query_logistics", 0.3),
        ("inform", 0.25),
        ("greet", 0.2),
        ("cancel_order", 0.15),
        ("bogus", 0.1),
    ]
    rasa.route("POST", "/model/parse", parse_result("嗯", ranking))

    suggestions = suggester.suggest("buyer-1", "嗯", limit=3)

    # inform's action answers HTTP 500, cancel_order would hand over, bogus has no rule: all skipped.
    assert [s.intent for s in suggestions] == ["query_logistics", "greet"]


def test_identical_answers_are_suggested_once(fakes):
    suggester, rasa, _ = fakes
    # Both intents end in action_logistics with the same facts.
    rasa.route("POST", "/model/parse", parse_result("到哪了", [("query_logistics", 0.5), ("inform", 0.01)]))
    suggester._rules = {"query_logistics": "action_logistics", "inform": "action_logistics"}

    assert [s.intent for s in suggester.suggest("buyer-1", "到哪了")] == ["query_logistics"]


def test_an_empty_message_gets_no_suggestions(fakes):
    suggester, rasa, _ = fakes

    assert suggester.suggest("buyer-1", "   ") == []
    assert not [r for r in rasa.requests if r.path == "/model/parse"]
