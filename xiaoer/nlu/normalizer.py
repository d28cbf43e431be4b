"""Rasa graph components: normalise buyer text before NLU, and give the buyer's text back after.

TextNormalizer runs first in the pipeline, on training examples and on every message, so the
classifier and extractors only ever see the canonical form (xiaoer.text). Annotated entity
spans in training data are moved onto the normalised text. OriginalTextRestorer runs after the
last entity extractor: the message's text becomes the buyer's own again, every entity's
start/end is moved back onto it (the tracker's UserUttered holds the original text), and the
normalised form stays available as `text_normalized` in the parse data.

A marketplace order or product card pasted around the buyer's words (xiaoer.nlu.cards) is taken
out of the text the classifiers see; its order number and SKU come back as order_id and product
entities on the buyer's text. A card with no words around it reads as "这个订单" / "这个商品".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.cards import CardField, card_kind, card_ranges, find_cards
from xiaoer.text import Normalized, has_content, normalize

TEXT_ORIGINAL = "text_original"
TEXT_NORMALIZED = "text_normalized"
_SPANS = "xiaoer_text_spans"  # not an output property: internal to these two components
_CARD_ENTITIES = "xiaoer_card_entities"  # entities from a card, on the buyer's text
CARD_EXTRACTOR = "xiaoer.cards"
# What a card alone asks about, as a buyer would say it.
CARD_ALONE = {"order": "这个订单", "product": "这个商品"}


def normalisation_fingerprint() -> str:
    import hashlib

    from xiaoer import text
    from xiaoer.nlu import cards
    from xiaoer.settings import KnowledgeSection

    digest = hashlib.sha256()
    regional = KnowledgeSection().vocabulary_dir / text.REGIONAL_FILE
    for path in (Path(text.__file__), Path(cards.__file__), Path(__file__), regional):
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def without_cards(normalized: Normalized, fields: List[CardField]) -> Normalized:
    """The normalised text less the cards' characters, spaces tidied; spans kept per character."""
    ranges = card_ranges(fields)
    kept = [
        (char, span)
        for char, span in zip(normalized.text, normalized.spans, strict=True)
        if not any(start <= span[0] and span[1] <= end for start, end in ranges)
    ]
    tidy: List[tuple] = []
    for char, span in kept:
        if char == " " and (not tidy or tidy[-1][0] == " "):
            continue
        tidy.append((char, span))
    while tidy and tidy[-1][0] == " ":
        tidy.pop()
    text = "".join(char for char, _ in tidy)
    if not has_content(text):
        # Nothing but the card: classify what it asks about; every character points at the card.
        whole = (min(s for s, _ in ranges), max(e for _, e in ranges))
        text = CARD_ALONE[card_kind(fields) or "order"]
        return Normalized(normalized.original, text, tuple(whole for _ in text))
    return Normalized(normalized.original, text, tuple(span for _, span in tidy))


def card_entities(fields: List[CardField]) -> List[Dict[str, Any]]:
    entities = []
    for field in fields:
        if not field.value or field.kind not in ("order", "sku"):
            continue
        entity = {
            "entity": "order_id" if field.kind == "order" else "product",
            "start": field.value_start,
            "end": field.value_end,
            "value": field.value,
            "confidence_entity": 1.0,
            "extractor": CARD_EXTRACTOR,
        }
        if field.kind == "sku":
            entity["sku"] = field.value
        entities.append(entity)
    return entities


def normalize_message(message: Message, training: bool = False) -> None:
    original = message.get(TEXT)
    if not isinstance(original, str) or not original:
        return
    if message.get(TEXT_ORIGINAL) is not None:
        return  # already normalised (a message processed twice keeps its first original)
    normalized = normalize(original)
    fields = find_cards(original)
    if fields:
        normalized = without_cards(normalized, fields)
        if not training:  # a training example's annotations are its entities
            message.set(_CARD_ENTITIES, card_entities(fields))
    if training:
        _move_training_entities(message, normalized)
    message.set(TEXT, normalized.text)
    message.set(TEXT_ORIGINAL, original, add_to_output=True)
    message.set(_SPANS, [list(span) for span in normalized.spans])


def _move_training_entities(message: Message, normalized: Normalized) -> None:
    moved = []
    for entity in message.get(ENTITIES) or []:
        start, end = normalized.from_original(entity["start"], entity["end"])
        if end <= start:
            continue  # the annotation covered only dropped characters (an emoji)
        entity = dict(entity, start=start, end=end)
        if "value" in entity and isinstance(entity["value"], str):
            entity["value"] = normalize(entity["value"]).text
        moved.append(entity)
    if message.get(ENTITIES) is not None:
        message.set(ENTITIES, moved)


def restore_message(message: Message) -> None:
    original = message.get(TEXT_ORIGINAL)
    spans = message.get(_SPANS)
    if original is None or spans is None:
        return
    normalized = Normalized(original, message.get(TEXT), tuple(tuple(s) for s in spans))
    entities = []
    for entity in message.get(ENTITIES) or []:
        start, end = normalized.to_original(entity["start"], entity["end"])
        entities.append(dict(entity, start=start, end=end))
    found = {(e.get("entity"), str(e.get("sku") or e.get("value"))) for e in entities}
    for entity in message.data.pop(_CARD_ENTITIES, None) or []:
        if (entity["entity"], entity.get("sku") or entity["value"]) not in found:
            entities.append(entity)
    if message.get(ENTITIES) is not None or entities:
        message.set(ENTITIES, entities, add_to_output=True)
    message.set(TEXT_NORMALIZED, normalized.text, add_to_output=True)
    message.set(TEXT, original)
    message.data.pop(_SPANS, None)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    is_trainable=False,
)
class TextNormalizer(GraphComponent):
    """Traditional→simplified, full→half width, upper-case Latin, whitespace and emoji."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls()

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """What the normalised training data depends on beyond config.yml: the regional table and
        the code that applies it. Rasa caches a component's output by fingerprint; without this,
        `rasa train` after an edit to either reused the old normalised examples."""
        return normalisation_fingerprint()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            normalize_message(message, training=True)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            normalize_message(message)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    is_trainable=False,
)
class OriginalTextRestorer(GraphComponent):
    """Puts the buyer's text back and moves entity positions onto it; place after extractors."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OriginalTextRestorer:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            restore_message(message)
        return messages
