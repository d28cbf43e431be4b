"""The overlap check: entity markup, training-text extraction and overlaps (keys: tests/test_text.py)."""

from xiaoer.evaluation.overlap import (
    find_overlaps,
    knowledge_questions,
    strip_entity_markup,
    training_examples,
)


def test_entity_markup_is_stripped_to_the_text():
    assert strip_entity_markup("[65E7K](product)的[刷新率](attribute)") == "65E7K的刷新率"
    assert strip_entity_markup('電視[重量]{"entity": "attribute", "value": "重量"}多少') == "電視重量多少"
    assert strip_entity_markup("no markup [here]") == "no markup [here]"


def test_training_examples_read_intent_examples_only(tmp_path):
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "a.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: ask_stock\n    examples: |\n      - [65E7K](product)有货吗\n      - 还有吗\n'
        "  - regex: order_id\n    examples: |\n      - \\d{10,16}\n"
        "  - lookup: product\n    examples: |\n      - 65E7K\n",
        encoding="utf-8",
    )
    (tmp_path / "rules.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")
    examples = [(text, intent) for text, intent, _ in training_examples(tmp_path)]
    assert examples == [("65E7K有货吗", "ask_stock"), ("还有吗", "ask_stock")]


def test_knowledge_questions_include_question_and_variants(tmp_path):
    (tmp_path / "installation.yml").write_text(
        "category: installation\nintent: ask_installation\nentries:\n"
        "  - id: wall_mount_fee\n    question: 挂架收费吗\n    variants: [挂架要钱吗, 装挂架多少钱]\n    answers: [{text: x}]\n",
        encoding="utf-8",
    )
    rows = [(text, intent, entry) for text, intent, entry, _ in knowledge_questions(tmp_path)]
    assert rows == [
        ("挂架收费吗", "ask_installation", "wall_mount_fee"),
        ("挂架要钱吗", "ask_installation", "wall_mount_fee"),
        ("装挂架多少钱", "ask_installation", "wall_mount_fee"),
    ]
    assert list(knowledge_questions(tmp_path / "missing")) == []


def test_find_overlaps_reports_normalised_equal_texts_with_both_sources():
    overlaps = find_overlaps(
        [("有貨嗎？", "intents.yml:3"), ("全新的问题", "intents.yml:5")],
        [("有货吗", "products.yml (ask_stock)"), ("别的", "x.yml (greet)")],
    )
    assert overlaps == [
        {
            "heldout": "有貨嗎？",
            "heldout_source": "intents.yml:3",
            "training": "有货吗",
            "training_source": "products.yml (ask_stock)",
        }
    ]
