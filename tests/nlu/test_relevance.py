"""Domain relevance: unfamiliar messages are not forced into the nearest store intent."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.relevance import DomainRelevance

TRAINING = {
    "query_logistics": ["我的快递到哪了", "物流怎么还没更新", "什么时候能送到"],
    "ask_delivery": ["你们发什么快递", "包邮吗", "偏远地区能送到吗"],
    "ask_warranty_repair": ["冰箱坏了怎么报修", "保修多久", "电视黑屏了"],
    "out_of_scope": ["怎么做红烧肉", "今天天气怎么样", "帮我打开微信", "从北京到上海坐高铁要多久"],
    "greet": ["你好", "在吗"],
}


@pytest.fixture()
def relevance(tmp_path: Path) -> DomainRelevance:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("relevance")
    context = ExecutionContext(GraphSchema({}), "test")
    component = DomainRelevance.create({}, storage, resource, context)
    examples = [Message(data={"text": t, "intent": i}) for i, texts in TRAINING.items() for t in texts]
    component.train(TrainingData(examples))
    return DomainRelevance.load({}, storage, resource, context)  # as a loaded model would


def parsed(text: str, intent: str, confidence: float, entities: list | None = None) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 0.05}]
    return Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking,
                         "entities": entities or []})  # fmt: skip


def test_an_unfamiliar_message_given_a_store_intent_becomes_out_of_scope(relevance) -> None:
    [message] = relevance.process([parsed("怎么做炸鸡腿", "ask_delivery", 0.8)])

    assert message.get("intent")["name"] == "out_of_scope"
    assert message.get("intent")["confidence"] > 0.6
    assert [r["name"] for r in message.get("intent_ranking")][:2] == ["out_of_scope", "ask_delivery"]
    signal = message.get("relevance")
    assert signal["action"] == "out_of_scope" and signal["in_domain"] < 0.35


def test_a_store_question_keeps_its_intent(relevance) -> None:
    [message] = relevance.process([parsed("我的快递怎么还没送到", "query_logistics", 0.7)])

    assert message.get("intent")["name"] == "query_logistics"
    assert message.get("relevance")["action"] == "none" and message.get("relevance")["in_domain"] >= 0.35


def test_a_store_entity_keeps_an_unfamiliar_wording_in_the_domain(relevance) -> None:
    product = {"entity": "product", "value": "HY-TV-65E7K", "extractor": "CatalogueEntityExtractor"}
    guess = {"entity": "carrier", "value": "啥", "extractor": "DIETClassifier"}

    [kept] = relevance.process([parsed("65E7K整挺好哈", "ask_product_attribute", 0.6, [product])])
    [moved] = relevance.process([parsed("怎么做炸鸡腿", "ask_delivery", 0.8, [guess])])

    assert kept.get("intent")["name"] == "ask_product_attribute" and kept.get("relevance")["store_entities"]
    assert moved.get("intent")["name"] == "out_of_scope"  # DIET's own entity guess is no evidence


def test_conversational_intents_are_left_alone_and_an_unsure_out_of_scope_is_made_sure(relevance) -> None:
    [hello] = relevance.process([parsed("哈喽哈喽", "greet", 0.5)])
    [weather] = relevance.process([parsed("后天会下冰雹吗", "out_of_scope", 0.35)])

    assert hello.get("intent") == {"name": "greet", "confidence": 0.5}
    assert weather.get("intent")["name"] == "out_of_scope" and weather.get("intent")["confidence"] > 0.6
    assert weather.get("relevance")["action"] == "confident_out_of_scope"


@pytest.mark.parametrize("text", ["qwerty zxcv", "😂😂", "<b>hi</b>"])
def test_a_message_with_nothing_to_act_on_is_left_to_routing(relevance, text) -> None:
    [message] = relevance.process([parsed(text, "out_of_scope", 0.3)])

    assert message.get("intent") == {"name": "out_of_scope", "confidence": 0.3}
    assert message.get("relevance") is None


@pytest.mark.parametrize("text", ["我的快递到哪了", "从上海到北京要多久", "冰箱保修", "你好呀"])
def test_similarities_are_the_best_cosines_to_each_side(relevance, text) -> None:
    import numpy as np

    index = relevance.index
    vector = index["vectorizer"].transform([text]).toarray().ravel()
    best = [float(np.max(index[side].toarray() @ vector, initial=0.0)) for side in ("store", "outside")]
    assert relevance.similarities(text) == pytest.approx(tuple(best), abs=1e-12)


def test_a_component_trained_in_place_uses_its_new_examples(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = DomainRelevance.create({}, storage, Resource("relevance"), context)
    examples = [Message(data={"text": t, "intent": i}) for i, texts in TRAINING.items() for t in texts]
    component.train(TrainingData(examples))
    assert component.similarities("冰箱坏了怎么报修")[0] == pytest.approx(1.0)
    component.train(TrainingData([e for e in examples if e.get("text") != "冰箱坏了怎么报修"]))
    assert component.similarities("冰箱坏了怎么报修")[0] < 0.99
