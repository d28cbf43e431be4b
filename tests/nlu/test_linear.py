"""The linear character n-gram intent model and its blend with DIET's ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.linear import (
    WEIGHT_ENV,
    LinearIntentClassifier,
    blend,
    fit,
    normalized_text,
    probabilities,
    within,
)

TRAINING = {
    "query_logistics": ["我的快递到哪了", "物流怎么还没更新", "快递今天能到吗", "物流信息查一下"],
    "ask_warranty_repair": [
        "冰箱坏了怎么报修",
        "保修多久",
        "电视黑屏了要修",
        "空调不制冷了找谁修",
        "订单269700000088的冰箱坏了",
        "269700000099 报修",
    ],  # fmt: skip
    "out_of_scope": ["怎么做红烧肉", "今天天气怎么样", "帮我打开微信", "唱首歌吧"],
}


@pytest.fixture()
def trained(tmp_path: Path):
    """Loads the trained component with a given config, as a loaded model would."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("linear")
    context = ExecutionContext(GraphSchema({}), "test")
    examples = [Message(data={"text": t, "intent": i}) for i, texts in TRAINING.items() for t in texts]
    LinearIntentClassifier.create({}, storage, resource, context).train(TrainingData(examples))
    return lambda **config: LinearIntentClassifier.load(config, storage, resource, context)


def diet_says(text: str, intent: str, confidence: float) -> Message:
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "out_of_scope", "confidence": 1 - confidence},
    ]
    return Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})


def test_blend_weighs_both_rankings_and_counts_a_missing_intent_as_zero() -> None:
    diet = [{"name": "a", "confidence": 0.8}, {"name": "b", "confidence": 0.2}]

    ranking = blend(diet, {"b": 0.6, "c": 0.4}, weight=0.5)

    assert ranking == [
        {"name": "a", "confidence": 0.4},
        {"name": "b", "confidence": 0.4},
        {"name": "c", "confidence": 0.2},
    ]
    assert blend(diet, {"b": 1.0}, weight=0.0)[0] == {"name": "a", "confidence": 0.8}


def test_an_intent_both_models_rank_first_keeps_diets_confidence() -> None:
    diet = [{"name": "inform", "confidence": 0.48}, {"name": "greet", "confidence": 0.3}]

    # The linear model agrees but is flatter: the blend (0.35) would fall under the answer band.
    agreed = blend(diet, {"inform": 0.22, "greet": 0.2, "deny": 0.18}, weight=0.5)
    assert agreed[0] == {"name": "inform", "confidence": 0.48}
    # Where the two disagree, the blend stands.
    disagreed = blend(diet, {"greet": 0.22, "inform": 0.2}, weight=0.5)
    assert disagreed[0] == {"name": "inform", "confidence": 0.34}
    # Linear alone is linear alone.
    assert blend(diet, {"inform": 0.22, "greet": 0.2}, weight=1.0)[0]["confidence"] == 0.22


def test_out_of_scope_first_in_the_linear_model_keeps_the_linear_confidence() -> None:
    diet = [{"name": "ask_delivery", "confidence": 0.95}, {"name": "out_of_scope", "confidence": 0.03}]

    ranking = blend(diet, {"out_of_scope": 0.61, "ask_delivery": 0.1}, weight=0.5)

    # The even blend alone would answer with delivery times (0.525 against 0.32).
    assert ranking[0] == {"name": "out_of_scope", "confidence": 0.61}
    # Another intent first in the linear model gets no such floor.
    assert blend(diet, {"greet": 0.61, "ask_delivery": 0.1}, weight=0.5)[0]["name"] == "ask_delivery"
    # Nor does out_of_scope when the component is told of no such intent.
    plain = blend(diet, {"out_of_scope": 0.61, "ask_delivery": 0.1}, weight=0.5, out_of_scope=None)
    assert plain[0]["name"] == "ask_delivery"


def test_the_linear_model_alone_reads_an_unseen_wording_by_its_characters(trained) -> None:
    component = trained(weight=1.0)

    [message] = component.process([diet_says("物流到哪了 今天能到不", "ask_warranty_repair", 0.9)])

    assert message.get("intent")["name"] == "query_logistics"
    assert [r["name"] for r in message.get("intent_ranking")][0] == "query_logistics"
    assert message.get("classifiers")["diet"]["name"] == "ask_warranty_repair"
    assert message.get("classifiers")["linear"]["name"] == "query_logistics"


def test_a_confident_diet_outweighs_an_unsure_linear_model_in_the_blend(trained) -> None:
    component = trained(weight=0.5)
    # DIET is sure; the few shared characters leave the linear model split three ways.
    [message] = component.process([diet_says("修一下", "ask_warranty_repair", 0.99)])

    assert message.get("intent")["name"] == "ask_warranty_repair"
    assert message.get("intent")["confidence"] > 0.5


def test_weight_zero_keeps_diets_ranking_but_reports_both(trained) -> None:
    component = trained(weight=0.0)
    original = diet_says("物流到哪了", "ask_warranty_repair", 0.9)
    ranking = list(original.get("intent_ranking"))

    [message] = component.process([original])

    assert message.get("intent_ranking") == ranking
    assert message.get("classifiers")["linear"]["name"] == "query_logistics"


def test_the_environment_overrides_the_weight_at_load(trained, monkeypatch) -> None:
    monkeypatch.setenv(WEIGHT_ENV, "0")
    assert trained(weight=1.0).weight == 0.0
    # A mistyped override must not stop Rasa: the configured weight stands.
    monkeypatch.setenv(WEIGHT_ENV, "1.5")
    assert trained(weight=0.3).weight == 0.3
    monkeypatch.delenv(WEIGHT_ENV)
    with pytest.raises(ValueError, match="0..1"):
        trained(weight=1.5)


def test_an_untrained_or_blank_message_is_left_as_it_is(tmp_path: Path, trained) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    untrained = LinearIntentClassifier.load(
        {}, LocalModelStorage(tmp_path / "empty"), Resource("none"), context
    )
    message = diet_says("物流到哪了", "ask_warranty_repair", 0.9)

    assert untrained.process([message])[0].get("intent")["name"] == "ask_warranty_repair"
    [blank] = trained(weight=1.0).process([diet_says("   ", "greet", 0.5)])
    assert blank.get("intent")["name"] == "greet" and blank.get("classifiers") is None


def test_within_rescales_one_intents_entries_and_ignores_a_prefix_lookalike() -> None:
    entries = {"ask_delivery/a": 0.2, "ask_delivery/b": 0.2, "ask_delivery_x/c": 0.6}

    assert within(entries, "ask_delivery") == {"ask_delivery/a": 0.5, "ask_delivery/b": 0.5}
    assert within(entries, "ask_payment") == {}


def test_an_order_number_does_not_drown_the_words(trained) -> None:
    component = trained(weight=1.0)
    numbered = diet_says("订单269700000001物流到哪了", "ask_warranty_repair", 0.9)
    plain = diet_says("订单物流到哪了", "ask_warranty_repair", 0.9)

    component.process([numbered, plain])

    # Its digits appear only in repair examples: read digit by digit, they would pull it there.
    assert numbered.get("intent")["name"] == plain.get("intent")["name"] == "query_logistics"
    assert numbered.get("intent")["confidence"] > 0.5


def test_long_digit_runs_become_one_mark_and_short_numbers_stay() -> None:
    assert normalized_text(Message(data={"text": "订单269700000001到哪了 42码有吗"})).startswith(
        "订单#到哪了"
    )
    assert "42" in normalized_text(Message(data={"text": "订单269700000001到哪了 42码有吗"}))
    assert normalized_text(Message(data={"text": "电话13800138000"})) == "电话#"


def test_probabilities_are_sklearns_to_the_last_bit_with_the_weights_laid_out_for_one_row() -> None:
    texts = [t for examples in TRAINING.values() for t in examples]
    labels = [i for i, examples in TRAINING.items() for _ in examples]
    state = fit(texts, labels, LinearIntentClassifier.get_default_config())
    asked = ["快递到哪了", "空调坏了", "", "完全没见过的字词龘靐"]
    expected = state["model"].predict_proba(state["vectorizer"].transform(asked))

    got = probabilities(state, asked)

    assert state["model"].coef_.flags["F_CONTIGUOUS"]  # no copy of the weights per message
    for row, probs in zip(expected, got, strict=True):
        assert probs == dict(zip(state["model"].classes_, map(float, row), strict=True))


def test_a_two_intent_model_gets_sklearns_own_one_vs_rest_probabilities() -> None:
    chosen = {i: TRAINING[i] for i in ("query_logistics", "out_of_scope")}
    texts = [t for examples in chosen.values() for t in examples]
    labels = [i for i, examples in chosen.items() for _ in examples]
    state = fit(texts, labels, LinearIntentClassifier.get_default_config())
    asked = ["快递到哪了", "唱首歌"]
    expected = state["model"].predict_proba(state["vectorizer"].transform(asked))

    got = probabilities(state, asked)

    assert [list(p.values()) for p in got] == expected.tolist()
    assert got[0]["query_logistics"] > 0.5 > got[1]["query_logistics"]
