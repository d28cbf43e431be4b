"""The live catalogue in NLU: product and attribute mentions, matched against the store's products.

CatalogueIndex matches normalised text (xiaoer.text) against product aliases:
  exact       an alias anywhere in the text, spaces ignored ("我想问下65E7K的", "E7K65寸");
  parts       an alias's model parts in another order or with words between ("65寸的E7K");
  typo        one character off a long model number ("BCD-536WFK1DPU").
CatalogueSource keeps the index current: before each message it asks the store whether the
catalogue changed (StoreClient.catalogue: GET /api/products with If-None-Match, a 304 when not), so a product PUT into
the store is recognised in the very next message. When the store is down, slow, or absent (during
`rasa train`/`rasa test`) the last known catalogue is used, or none: then the trained lookup table
and DIET's entities stand. CatalogueEntityExtractor is the Rasa component doing both.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from xiaoer.nlu import attributes
from xiaoer.settings import NluSettings
from xiaoer.storeapi.client import StoreClient, StoreUnavailable
from xiaoer.text import normalize_text

logger = logging.getLogger(__name__)

Json = Dict[str, Any]
EXTRACTOR = "CatalogueEntityExtractor"
# Intents whose messages may name an attribute by a buyer's word ("多大", "几级能效"); a bare
# follow-up like "能效呢" can be classified inform.
ATTRIBUTE_INTENTS = {"ask_product_attribute", "inform"}
ATTRIBUTE_INTENT = "ask_product_attribute"
# Intents an unfamiliar product question falls into when its words are new to the classifier
# ("星河XH9的新风换气量多大" read as a pre-sale question): the catalogue then knows better.
CATALOGUE_OVERRULES = {"ask_presale", "out_of_scope"}
CATALOGUE_INTENT_KEY = "catalogue_intent"
MODEL_PART = re.compile(r"[A-Z0-9]+(?:[-/.][A-Z0-9]+)*")
# Words that may sit between a model's parts: "65寸的E7K", "E7K 65英寸".
GAP = re.compile(r"^(?:\s|寸|英寸|吋|的|款|型|型号|那款|这款)*$")
SIZE_UNIT = re.compile(r"(?:英寸|寸|吋)?")
MIN_TYPO_LENGTH = 6


@dataclass(frozen=True)
class ProductMatch:
    start: int
    end: int
    sku: str
    value: str  # the alias as the catalogue writes it
    how: str  # exact, parts or typo


@dataclass(frozen=True)
class _Alias:
    sku: str
    alias: str  # as written in the catalogue
    compact: str  # normalised, spaces removed
    parts: frozenset  # model parts, for aliases with two or more ("E7K 65寸" -> {E7K, 65})


def _compact(text: str) -> Tuple[str, List[int]]:
    """text without spaces, and each kept character's index in text."""
    kept = [(i, c) for i, c in enumerate(text) if c != " "]
    return "".join(c for _, c in kept), [i for i, _ in kept]


def _is_model_char(char: str) -> bool:
    return "A" <= char <= "Z" or "0" <= char <= "9"


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


class CatalogueIndex:
    """Every alias of every product, ready to be found in normalised text."""

    def __init__(self, products: Iterable[Json]) -> None:
        self.products: Dict[str, Json] = {}
        self._by_first: Dict[str, List[_Alias]] = {}
        self._by_parts: Dict[frozenset, set] = {}
        self._model_parts: Dict[str, set] = {}
        for product in products:
            sku = str(product.get("sku") or "")
            if not sku:
                continue
            self.products[sku] = product
            for alias in product.get("aliases") or []:
                compact, _ = _compact(normalize_text(str(alias)))
                if not compact:
                    continue
                parts = frozenset(MODEL_PART.findall(normalize_text(str(alias))))
                entry = _Alias(sku, str(alias), compact, parts)
                self._by_first.setdefault(compact[0], []).append(entry)
                if len(parts) >= 2:
                    self._by_parts.setdefault(parts, set()).add((sku, str(alias)))
                if len(parts) == 1 and compact == next(iter(parts)):
                    self._model_parts.setdefault(compact, set()).add((sku, str(alias)))
        for entries in self._by_first.values():
            entries.sort(key=lambda a: -len(a.compact))
        names = {
            str(k) for p in self.products.values() for k in (p.get("attributes") or {}) if str(k).strip()
        }
        # Attribute names some product has that the synonym table (and so the training data) does
        # not know: a new product's new attribute is a word at once.
        self.new_attribute_names = sorted(n for n in names if not attributes.is_table_word(n))

    def __len__(self) -> int:
        return len(self.products)

    def find(self, text: str) -> List[ProductMatch]:
        """Product mentions in normalised text, in text order, never overlapping."""
        matches = self._exact(text)
        matches += self._parts(text, matches)
        matches += self._typos(text, matches)
        return sorted(matches, key=lambda m: m.start)

    def _exact(self, text: str) -> List[ProductMatch]:
        compact, where = _compact(text)
        found: List[ProductMatch] = []
        i = 0
        while i < len(compact):
            hit = None
            for entry in self._by_first.get(compact[i], ()):
                end = i + len(entry.compact)
                if not compact.startswith(entry.compact, i):
                    continue
                # A model number must not be the middle of a longer one ("165E7K").
                if _is_model_char(entry.compact[0]) and i and _is_model_char(compact[i - 1]):
                    continue
                if _is_model_char(entry.compact[-1]) and end < len(compact) and _is_model_char(compact[end]):
                    continue
                hit = entry
                break
            if hit is None:
                i += 1
                continue
            end = i + len(hit.compact)
            found.append(ProductMatch(where[i], where[end - 1] + 1, hit.sku, hit.alias, "exact"))
            i = end
        return found

    def _parts(self, text: str, taken: List[ProductMatch]) -> List[ProductMatch]:
        pieces = [m for m in MODEL_PART.finditer(text) if _free(m.start(), m.end(), taken)]
        found: List[ProductMatch] = []
        for left, right in zip(pieces, pieces[1:], strict=False):
            if not GAP.match(text[left.end() : right.start()]):
                continue
            if not _free(left.start(), right.end(), found):
                continue
            hits = self._by_parts.get(frozenset((left.group(), right.group())), set())
            if not hits:
                joined = {left.group() + right.group(), right.group() + left.group()}
                hits = {h for part in joined for h in self._model_parts.get(part, ())}
            if len({sku for sku, _ in hits}) == 1:
                sku, _ = next(iter(hits))
                value = self.canonical_alias(sku)
                end = right.end() + len(SIZE_UNIT.match(text, right.end()).group())
                found.append(ProductMatch(left.start(), end, sku, value, "parts"))
        return found

    def _typos(self, text: str, taken: List[ProductMatch]) -> List[ProductMatch]:
        found: List[ProductMatch] = []
        for piece in MODEL_PART.finditer(text):
            word = piece.group()
            if len(word) < MIN_TYPO_LENGTH or not _free(piece.start(), piece.end(), taken):
                continue
            hits = {
                sku
                for model, entries in self._model_parts.items()
                if len(model) >= MIN_TYPO_LENGTH and _one_edit_apart(word, model)
                for sku, _ in entries
            }
            if len(hits) == 1:
                sku = hits.pop()
                found.append(ProductMatch(piece.start(), piece.end(), sku, self.canonical_alias(sku), "typo"))
        return found

    def canonical_alias(self, sku: str) -> str:
        aliases = self.products.get(sku, {}).get("aliases") or []
        return str(aliases[0]) if aliases else sku


def _free(start: int, end: int, taken: Iterable[ProductMatch]) -> bool:
    return all(end <= m.start or start >= m.end for m in taken)


@dataclass(frozen=True)
class CatalogueSettings:
    store_url: str
    store_token: str
    # Seconds to wait for the store before a message is parsed with the last known catalogue.
    timeout: float
    # After a failed check, parse without asking for this long (a down store costs nothing).
    retry_after: float
    # Seconds between checks in the background; 0: check before every message (no thread).
    refresh_every: float = 0.0

    @classmethod
    def from_settings(cls, settings: NluSettings) -> CatalogueSettings:
        return cls(
            store_url=settings.store_url,
            store_token=settings.reading_token,
            timeout=settings.catalogue_timeout,
            retry_after=settings.catalogue_retry_after,
            refresh_every=settings.catalogue_refresh_seconds,
        )


class CatalogueSource:
    """The store's current catalogue, re-read only when its ETag changes.

    With `refresh_every` a background thread asks the store that often and a message never waits
    for it (a PUT product is known within that time); without, every message asks first.
    """

    def __init__(self, settings: CatalogueSettings, client: StoreClient | None = None):
        self.settings = settings
        self._client = client
        self._etag: str | None = None
        self._index: CatalogueIndex | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._refresher: threading.Thread | None = None
        self._stop = threading.Event()

    def current(self) -> CatalogueIndex | None:
        """The catalogue to parse a message with: the newest known one."""
        if self.settings.refresh_every <= 0:
            return self.check()
        if self._refresher is None:
            self.check()  # the first message gets a catalogue; later ones never wait
            self._start_refresher()
        return self._index

    def _start_refresher(self) -> None:
        with self._lock:
            if self._refresher is not None:
                return
            self._refresher = threading.Thread(target=self._refresh_loop, name="catalogue", daemon=True)
            self._refresher.start()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.settings.refresh_every):
            try:
                self.check()
            except Exception:  # the thread must outlive any surprise; messages use the last one
                logger.exception("catalogue refresh failed")

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> CatalogueIndex | None:
        """Ask the store now (unless it failed within retry_after); the newest known catalogue."""
        with self._lock:
            if time.monotonic() >= self._down_until:
                try:
                    self._refresh()
                except StoreUnavailable as exc:
                    if self._down_until == 0.0 or self._index is None:
                        logger.warning("catalogue check failed, using the last known one: %s", exc)
                    self._down_until = time.monotonic() + self.settings.retry_after
                else:
                    self._down_until = 0.0
            return self._index

    def _refresh(self) -> None:
        if self._client is None:
            # One attempt: a parse waits for the store no longer than the timeout.
            self._client = StoreClient(
                self.settings.store_url, self.settings.store_token, self.settings.timeout, read_attempts=1
            )
        answer = self._client.catalogue(self._etag if self._index is not None else None)
        if answer.products is None:
            return
        self._index = CatalogueIndex(answer.products)
        self._etag = answer.etag
        logger.info("catalogue loaded: %d products", len(self._index))


def product_entities(text: str, index: CatalogueIndex) -> List[Json]:
    return [
        {
            "entity": "product",
            "start": m.start,
            "end": m.end,
            "value": m.value,
            "sku": m.sku,
            "match": m.how,
            "confidence_entity": 1.0,
            "extractor": EXTRACTOR,
        }
        for m in index.find(text)
    ]


def attribute_value(names: Tuple[str, ...], products: List[Json], word: str) -> str:
    """The display name a word means: the only one, or the first the products in view have
    (the named product's, else those of the category the text names)."""
    for product in products:
        owned = [n for n in names if n in (product.get("attributes") or {})]
        if owned:
            return owned[0]
    return names[0] if len(names) == 1 else word


def _names_something(entity: Json) -> bool:
    value = entity.get("value")
    return not isinstance(value, str) or any(ch.isalnum() for ch in value)


def merge_entities(
    text: str, entities: List[Json], index: CatalogueIndex | None, add_attributes: bool = True
) -> List[Json]:
    """Other extractors' entities with the catalogue's products and canonical attributes.

    A catalogue product replaces any product entity it overlaps (same mention, canonical value);
    an attribute word gives its display name to the overlapping attribute entity, or adds one
    when `add_attributes` (the message asks about a product's attributes).
    """
    # DIET sometimes tags a lone "/" or "?" as a product; a mention without a letter, digit or
    # Chinese character names nothing.
    result = [dict(e) for e in entities if _names_something(e)]
    named: List[Json] = []
    if index is not None and len(index):
        found = product_entities(text, index)
        # A catalogue product replaces the product entities it overlaps, and no attribute lies
        # inside a product's name (DIET may tag "XH9" of "XH9-PRO几级能效" as one).
        result = [
            e
            for e in result
            if e.get("entity") not in ("product", "attribute")
            or all(e["end"] <= f["start"] or e["start"] >= f["end"] for f in found)
        ]
        result += found
        named = [index.products[f["sku"]] for f in found]
        category = attributes.category_in(text)
        if not named and category:
            named = [p for p in index.products.values() if p.get("category") == category]
    products = [e for e in result if e.get("entity") == "product"]
    mentions = attributes.find_mentions(text)
    if index is not None and not any(len(names) == 1 for _, _, names in mentions):
        # Nothing specific from the table: an attribute name only the live catalogue has, where
        # the text asks about it ("待机功耗多少"; not "零冷水款", which names the product).
        asked = attributes.asked_names(text, index.new_attribute_names)
        if asked:
            mentions = attributes.find_mentions(text, asked)
    if any(len(names) == 1 for _, _, names in mentions):
        # "冷藏室多大": the specific word says what "多大" is about.
        mentions = [m for m in mentions if len(m[2]) == 1]
    for start, end, names in mentions:
        if any(not (end <= p["start"] or start >= p["end"]) for p in products):
            continue  # "十字门冰箱" is a product's name, not a question about doors
        word = text[start:end]
        value = attribute_value(names, named, word)
        overlapping = [
            e
            for e in result
            if e.get("entity") == "attribute" and not (end <= e["start"] or start >= e["end"])
        ]
        if overlapping:
            for entity in overlapping:
                # The whole mention, whatever part of it DIET tagged ("几级能效", not "能效").
                entity["start"], entity["end"] = min(start, entity["start"]), max(end, entity["end"])
                if (value != word or len(names) == 1) and entity.get("value") != value:
                    entity["value"] = value
                    entity["processors"] = [*entity.get("processors", []), EXTRACTOR]
            continue
        if not add_attributes:
            continue
        result.append(
            {
                "entity": "attribute",
                "start": start,
                "end": end,
                "value": value,
                "confidence_entity": 1.0,
                "extractor": EXTRACTOR,
            }
        )
    return sorted(result, key=lambda e: (e["start"], e["end"]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CatalogueEntityExtractor(GraphComponent):
    """Fills `product` and `attribute` from the live catalogue; place after the extractors."""

    def __init__(self, source: CatalogueSource) -> None:
        self.source = source

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogueEntityExtractor:
        # Settings only: the store is first asked when a message arrives, never while training.
        return cls(CatalogueSource(CatalogueSettings.from_settings(NluSettings())))

    def process(self, messages: List[Message]) -> List[Message]:
        index = self.source.current() if messages else None
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            # "收到屏幕裂了怎么退货" names no attribute: attribute words only count in product questions.
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            entities = merge_entities(
                text, message.get(ENTITIES) or [], index, add_attributes=intent in ATTRIBUTE_INTENTS
            )
            named = asked_new_attributes(text, entities, index) if intent in CATALOGUE_OVERRULES else []
            if named:
                overrule_intent(message, intent, named)
                entities = merge_entities(text, message.get(ENTITIES) or [], index, add_attributes=True)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


def asked_new_attributes(text: str, entities: List[Json], index: CatalogueIndex | None) -> List[str]:
    """Attribute names of a product the text names, that only the live catalogue knows, asked about."""
    if index is None:
        return []
    new = set(index.new_attribute_names)
    skus = [e["sku"] for e in entities if e.get("entity") == "product" and e.get("sku") in index.products]
    names = [str(n) for sku in skus for n in index.products[sku].get("attributes") or {} if str(n) in new]
    return attributes.asked_names(text, dict.fromkeys(names))


def overrule_intent(message: Message, intent: str | None, names: List[str]) -> None:
    """A named product's own attribute name makes the message an attribute question."""
    ask = {INTENT_NAME_KEY: ATTRIBUTE_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != ATTRIBUTE_INTENT]
    message.set(INTENT, ask, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [dict(ask), *ranking], add_to_output=True)
    message.set(CATALOGUE_INTENT_KEY, {"overruled": intent, "attributes": names}, add_to_output=True)
