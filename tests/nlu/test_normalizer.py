"""The Rasa components: training examples normalised with their entities, messages restored."""

from __future__ import annotations

from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.normalizer import (
    TEXT_NORMALIZED,
    TEXT_ORIGINAL,
    OriginalTextRestorer,
    TextNormalizer,
)


def components():
    return TextNormalizer.create({}, None, None, None), OriginalTextRestorer.create({}, None, None, None)


def annotated(text: str, *spans) -> Message:
    entities = []
    for piece, entity, value in spans:
        start = text.index(piece)
        entities.append({"start": start, "end": start + len(piece), "value": value, "entity": entity})
    return Message(data={TEXT: text, "intent": "ask_product_attribute", ENTITIES: entities})


def test_training_examples_are_normalised_and_their_entities_follow() -> None:
    normalizer, _ = components()
    example = annotated(
        "😡😡我要問 ６５ｅ７ｋ 的[刷新率]",
        ("６５ｅ７ｋ", "product", "６５ｅ７ｋ"),
        ("刷新率", "attribute", "刷新率"),
    )
    plain = annotated("這台電視多大", ("多大", "attribute", "屏幕尺寸"))
    no_text = Message(data={"intent": "greet"})
    data = TrainingData([example, plain, no_text])
    normalizer.process_training_data(data)

    assert example.get(TEXT) == "生气生气我要问 65E7K 的[刷新率]"
    product, attribute = example.get(ENTITIES)
    assert example.get(TEXT)[product["start"] : product["end"]] == "65E7K"
    assert product["value"] == "65E7K"
    assert example.get(TEXT)[attribute["start"] : attribute["end"]] == "刷新率"
    assert plain.get(TEXT) == "这台电视多大"
    assert plain.get(ENTITIES)[0]["value"] == "屏幕尺寸"  # an explicit value stays
    assert no_text.get(TEXT) is None
    # Processing twice (the graph may) changes nothing more.
    normalizer.process_training_data(data)
    assert example.get(TEXT) == "生气生气我要问 65E7K 的[刷新率]"


def test_entity_on_an_emoji_only_is_dropped_not_misplaced() -> None:
    normalizer, _ = components()
    dropped = annotated("好的🎉", ("🎉", "attribute", "x"))
    mapped = annotated("好的😡", ("😡", "attribute", "生气"))
    normalizer.process_training_data(TrainingData([dropped, mapped]))
    assert dropped.get(TEXT) == "好的" and dropped.get(ENTITIES) == []
    assert mapped.get(TEXT) == "好的生气"
    assert mapped.get(ENTITIES) == [{"start": 2, "end": 4, "value": "生气", "entity": "attribute"}]


def test_message_round_trip_keeps_the_buyer_text_and_moves_entities_back() -> None:
    normalizer, restorer = components()
    typed = "  這款🎉６５Ｅ７Ｋ  刷新率多少"
    message = Message(data={TEXT: typed})
    normalizer.process([message])
    seen = message.get(TEXT)
    assert seen == "这款 65E7K 刷新率多少"
    assert message.get(TEXT_ORIGINAL) == typed
    # An extractor finds the product in the normalised text...
    start = seen.index("65E7K")
    message.set(ENTITIES, [{"entity": "product", "start": start, "end": start + 5, "value": "65E7K"}])
    restorer.process([message])
    # ...and the parse result points into what the buyer typed.
    assert message.get(TEXT) == typed
    assert message.get(TEXT_NORMALIZED) == seen
    (entity,) = message.get(ENTITIES)
    assert typed[entity["start"] : entity["end"]] == "６５Ｅ７Ｋ"
    assert entity["value"] == "65E7K"
    out = message.as_dict(only_output_properties=True)
    assert out[TEXT_ORIGINAL] == typed and out[TEXT_NORMALIZED] == seen
    assert "xiaoer_text_spans" not in message.data


def test_empty_message_passes_through() -> None:
    normalizer, restorer = components()
    message = Message(data={TEXT: ""})
    restorer.process(normalizer.process([message]))
    assert message.get(TEXT) == ""


def test_rasas_cache_key_follows_the_regional_table(tmp_path, monkeypatch) -> None:
    # Rasa reuses a component's cached output while its fingerprint holds: an edited table must
    # change it, or `rasa train` keeps training on the old normalised examples.
    shipped = TextNormalizer.fingerprint_addon({})
    assert TextNormalizer.fingerprint_addon({}) == shipped
    (tmp_path / "regional.yml").write_text("regional:\n  冷氣: 空调\n", encoding="utf-8")
    monkeypatch.setenv("XIAOER_VOCABULARY_DIR", str(tmp_path))
    assert TextNormalizer.fingerprint_addon({}) != shipped
