"""Routing by confidence: each band, the ambiguity rule, thresholds from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from xiaoer.nlu.routing import ANSWER_ENV, SUGGEST_ENV, RoutingClassifier

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {"answer_threshold": 0.6, "suggest_threshold": 0.3, "ambiguity_threshold": 0.05}


@pytest.fixture(autouse=True)
def no_threshold_env(monkeypatch):
    monkeypatch.delenv(ANSWER_ENV, raising=False)
    monkeypatch.delenv(SUGGEST_ENV, raising=False)


def parsed(*ranking: tuple[str, float], text: str = "洗衣机能静音吗") -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    return message


def route(message: Message, config: dict | None = None) -> dict:
    [out] = RoutingClassifier(config or CONFIG).process([message])
    return out.as_dict(only_output_properties=True)


def test_confident_prediction_is_answered_by_the_bot():
    parse = route(parsed(("query_logistics", 0.91), ("urge_shipment", 0.05)))

    assert parse["intent"] == {"name": "query_logistics", "confidence": 0.91}
    assert parse["routing"]["band"] == "answer"
    assert [i["name"] for i in parse["intent_ranking"]] == ["query_logistics", "urge_shipment"]


def test_middle_band_becomes_nlu_fallback_keeping_the_original_ranking():
    parse = route(parsed(("ask_product_attribute", 0.45), ("ask_stock", 0.2)))

    assert parse["intent"]["name"] == "nlu_fallback"
    assert parse["routing"] == {
        "band": "suggest",
        "intent": "ask_product_attribute",
        "confidence": 0.45,
        "ambiguous": False,
        "answer_threshold": 0.6,
        "suggest_threshold": 0.3,
    }
    assert [i["name"] for i in parse["intent_ranking"]] == [
        "nlu_fallback",
        "ask_product_attribute",
        "ask_stock",
    ]


def test_below_the_suggest_threshold_hands_over():
    parse = route(parsed(("out_of_scope", 0.22), ("inform", 0.2)))

    assert parse["intent"]["name"] == "nlu_fallback"
    assert parse["routing"]["band"] == "handover"
    assert parse["routing"]["intent"] == "out_of_scope"


@pytest.mark.parametrize(
    "confidence, band",
    [(0.6, "answer"), (0.5999, "suggest"), (0.3, "suggest"), (0.2999, "handover")],
)
def test_band_edges_are_inclusive_from_below(confidence, band):
    assert route(parsed(("greet", confidence)))["routing"]["band"] == band


def test_two_close_store_intents_get_a_clarifying_question_even_when_confident():
    parse = route(parsed(("cancel_order", 0.63), ("change_order", 0.61)))

    assert parse["intent"]["name"] == "nlu_fallback"
    assert parse["routing"]["band"] == "clarify"
    assert parse["routing"]["ambiguous"] is True
    assert parse["routing"]["options"] == ["cancel_order", "change_order"]


@pytest.mark.parametrize(
    "ranking",
    [
        (("query_logistics", 0.5), ("ask_delivery", 0.2)),  # the runner-up under the suggest threshold
        (("query_logistics", 0.55), ("ask_delivery", 0.34)),  # too far apart to be a close call
        (("greet", 0.5), ("ask_delivery", 0.45)),  # a greeting is not a question to choose
        (("ask_delivery", 0.5), ("out_of_scope", 0.45)),
    ],
)
def test_no_clarifying_question_when_it_would_not_help(ranking):
    assert route(parsed(*ranking))["routing"]["band"] == "suggest"


def test_two_close_store_intents_in_the_middle_band_are_asked_about():
    parse = route(parsed(("query_logistics", 0.45), ("ask_delivery", 0.4)))

    assert parse["routing"]["band"] == "clarify"
    assert parse["routing"]["options"] == ["query_logistics", "ask_delivery"]


def test_thresholds_come_from_the_environment_without_retraining(monkeypatch):
    message = parsed(("ask_promotion", 0.5), ("ask_price_protection", 0.1))
    assert route(message)["routing"]["band"] == "suggest"

    monkeypatch.setenv(ANSWER_ENV, "0.4")
    monkeypatch.setenv(SUGGEST_ENV, "0.2")
    parse = route(parsed(("ask_promotion", 0.5), ("ask_price_protection", 0.1)))

    assert parse["intent"]["name"] == "ask_promotion"
    assert parse["routing"]["band"] == "answer"
    assert (parse["routing"]["answer_threshold"], parse["routing"]["suggest_threshold"]) == (0.4, 0.2)


@pytest.mark.parametrize("raw", ["abc", "1.5", "-0.1"])
def test_a_bad_environment_value_keeps_the_configured_threshold(monkeypatch, raw):
    monkeypatch.setenv(ANSWER_ENV, raw)

    assert RoutingClassifier(CONFIG).answer_threshold == 0.6


def test_suggest_threshold_above_answer_threshold_leaves_no_middle_band(monkeypatch):
    monkeypatch.setenv(SUGGEST_ENV, "0.9")
    routing = RoutingClassifier(CONFIG)

    assert routing.suggest_threshold == routing.answer_threshold == 0.6
    assert route(parsed(("greet", 0.59)))["routing"]["band"] == "handover"


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "😂😂😂", "？？？", "hello there", "   "])
def test_an_unsure_message_with_nothing_to_act_on_is_unclear_not_for_an_agent(text):
    for confidence in (0.44, 0.1):
        parse = route(parsed(("bot_challenge", confidence), ("greet", 0.02), text=text))

        assert parse["intent"]["name"] == "nlu_fallback"
        assert parse["routing"]["band"] == "unclear"


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b></b>"])
def test_markup_is_never_an_answer_however_sure_the_classifier_is(text):
    parse = route(parsed(("bot_challenge", 0.97), ("greet", 0.01), text=text))
    assert parse["intent"]["name"] == "nlu_fallback" and parse["routing"]["band"] == "unclear"


@pytest.mark.parametrize(
    "text", ["在吗？？", "65e7k", "261105873012", "<b>退货</b>", "RS-600 ok?", "X1", "1.5P"]
)
def test_an_unsure_message_with_chinese_or_a_model_or_order_number_still_goes_to_an_agent(text):
    assert route(parsed(("ask_stock", 0.44), text=text))["routing"]["band"] == "suggest"
    assert route(parsed(("ask_stock", 0.1), text=text))["routing"]["band"] == "handover"


def test_a_confident_message_without_chinese_is_answered():
    parse = route(parsed(("greet", 0.97), ("thank", 0.01), text="hello"))

    assert parse["intent"]["name"] == "greet"
    assert parse["routing"]["band"] == "answer"


def test_a_message_without_an_intent_is_left_alone():
    message = Message(data={"text": "x"})

    [out] = RoutingClassifier(CONFIG).process([message])

    assert out.get("routing") is None and out.get("intent") is None


def test_config_yml_uses_the_routing_component_instead_of_fallback_classifier():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    names = [c["name"] for c in pipeline]

    assert "FallbackClassifier" not in names
    routing = next(c for c in pipeline if c["name"] == "xiaoer.nlu.routing.RoutingClassifier")
    assert 0 < routing["suggest_threshold"] < routing["answer_threshold"] < 1
    # It reads the intent ranking, so it must come after every intent classifier.
    assert names.index(routing["name"]) > names.index("DIETClassifier")


def test_gibberish_read_confidently_as_out_of_scope_is_asked_to_be_rephrased():
    assert route(parsed(("out_of_scope", 0.9), text="qwerty zxcv"))["routing"]["band"] == "unclear"
    assert route(parsed(("affirm", 0.9), text="ok"))["routing"]["band"] == "answer"
