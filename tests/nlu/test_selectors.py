"""The entry selector: a linear model over knowledge entries, for the intents in view."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.selectors import LinearResponseSelector, intents_in_view

ENTRIES = {
    "ask_delivery/carriers": ["发什么快递", "能发顺丰吗", "用哪家物流"],
    "ask_delivery/remote_area": ["偏远地区送吗", "新疆能送到吗", "山区包邮吗"],
    "ask_installation/wall_mount_fee": ["挂架安装收费吗", "上墙要加钱吗"],
    "ask_installation/install_video": ["有安装视频吗", "安装教程在哪看"],
}


def message(text: str, *ranking: str) -> Message:
    return Message(
        data={
            "text": text,
            "intent": {"name": ranking[0], "confidence": 0.9} if ranking else None,
            "intent_ranking": [{"name": name, "confidence": 0.1} for name in ranking],
        }
    )


@pytest.fixture()
def selector(tmp_path: Path) -> LinearResponseSelector:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    examples = [
        Message(data={"text": t, "intent": k.split("/")[0], "intent_response_key": k})
        for k, texts in ENTRIES.items()
        for t in texts
    ]
    examples.append(Message(data={"text": "你好", "intent": "greet"}))  # not an entry: not learnt
    LinearResponseSelector.create({}, storage, Resource("entries"), context).train(TrainingData(examples))
    return LinearResponseSelector.load({}, storage, Resource("entries"), context)


def test_picks_the_entry_of_the_predicted_intent_as_rasas_selector_reports_it(selector) -> None:
    [parsed] = selector.process([message("顺丰能发不", "ask_delivery", "greet")])

    output = parsed.get("response_selector")
    assert output["all_retrieval_intents"] == ["ask_delivery", "ask_installation"]
    assert list(output) == ["all_retrieval_intents", "ask_delivery"]  # greet is no retrieval intent
    response = output["ask_delivery"]["response"]
    assert response["intent_response_key"] == "ask_delivery/carriers"
    assert response["utter_action"] == "utter_ask_delivery/carriers"
    ranking = output["ask_delivery"]["ranking"]
    assert [r["intent_response_key"] for r in ranking] == [
        "ask_delivery/carriers",
        "ask_delivery/remote_area",
    ]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert response["confidence"] == ranking[0]["confidence"] > 0.5


def test_runner_up_intents_in_view_get_their_pick_too(selector) -> None:
    [parsed] = selector.process([message("上墙收钱吗", "ask_delivery", "greet", "ask_installation", "deny")])

    output = parsed.get("response_selector")
    assert set(output) == {"all_retrieval_intents", "ask_delivery", "ask_installation"}
    assert output["ask_installation"]["response"]["intent_response_key"] == "ask_installation/wall_mount_fee"


def test_an_intent_out_of_view_or_without_entries_gets_no_selection(selector) -> None:
    out_of_view = message("上墙收钱吗", "greet", "deny", "affirm", "ask_installation")
    blank = message("   ", "ask_delivery")

    selector.process([out_of_view, blank])

    assert out_of_view.get("response_selector") is None
    assert blank.get("response_selector") is None


def test_an_untrained_selector_leaves_messages_alone(tmp_path: Path) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    untrained = LinearResponseSelector.load({}, LocalModelStorage(tmp_path), Resource("none"), context)

    [parsed] = untrained.process([message("顺丰能发不", "ask_delivery")])

    assert parsed.get("response_selector") is None


def test_intents_in_view() -> None:
    assert intents_in_view(message("x", "a", "b", "c", "d"), 3) == ["a", "b", "c"]
    unranked = Message(data={"text": "x", "intent": {"name": "a", "confidence": 0.9}})
    assert intents_in_view(unranked, 3) == ["a"]
    assert intents_in_view(Message(data={"text": "x"}), 3) == []


def test_the_intent_model_starts_the_entry_fit_and_the_selector_takes_it(tmp_path: Path) -> None:
    """Rasa trains the intent model, then the selector: the selector's fit starts with the first and
    comes out as the selector's own fit would."""
    from rasa.engine.graph import SchemaNode

    from xiaoer.nlu import linear
    from xiaoer.nlu.linear import LinearIntentClassifier

    examples = [
        Message(data={"text": t, "intent": k.split("/")[0], "intent_response_key": k})
        for k, texts in ENTRIES.items()
        for t in texts
    ] + [Message(data={"text": t, "intent": "greet"}) for t in ("你好", "在吗", "哈喽")]
    config = {"C": 5}
    graph = GraphSchema({"train_selector": SchemaNode({}, LinearResponseSelector, "create", "train", config)})
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph, "test")

    LinearIntentClassifier.create({}, storage, Resource("intents"), context).train(TrainingData(examples))
    assert len(linear._AHEAD) == 1
    ahead = next(iter(linear._AHEAD.values()))
    selector = LinearResponseSelector.create(config, storage, Resource("entries"), context)
    selector.train(TrainingData(examples))
    assert not linear._AHEAD
    assert selector.state is ahead.result()

    alone = LinearResponseSelector.create(
        config, storage, Resource("alone"), ExecutionContext(GraphSchema({}), "t")
    )
    alone.train(TrainingData(examples))
    assert (alone.state["model"].coef_ == selector.state["model"].coef_).all()
    assert (alone.state["model"].intercept_ == selector.state["model"].intercept_).all()
    assert alone.state["vectorizer"].vocabulary_ == selector.state["vectorizer"].vocabulary_


def test_without_a_selector_in_the_graph_nothing_is_started(tmp_path: Path) -> None:
    from xiaoer.nlu import linear
    from xiaoer.nlu.linear import LinearIntentClassifier

    examples = [Message(data={"text": t, "intent": i}) for i, t in (("greet", "你好"), ("bye", "再见"))]
    context = ExecutionContext(GraphSchema({}), "test")
    storage = LocalModelStorage(tmp_path)
    LinearIntentClassifier.create({}, storage, Resource("intents"), context).train(TrainingData(examples))
    assert not linear._AHEAD
