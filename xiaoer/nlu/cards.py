"""Order and product cards that marketplace chat widgets paste around a buyer's words.

    咨询订单号:261105873012 订单金额:3999.00 下单时间:2026-11-11 00:01:02 今天能到吗
    商品编号:100012345 商品名称:海信 65E7K 65英寸 有货吗

A card's fields say which order or product the buyer means; the words around it say what they
want. find_cards() returns the fields with their positions, so the normaliser can take the card
out of the text the classifiers see ("今天能到吗") and give its order number and SKU back as
entities. Only a label followed by a value of the label's kind counts ("价格:多少钱" is a buyer
asking, not a card), and a widget's unfilled placeholders ({订单号}, [商品名称], ***) count as values.

A button payload the bot never offered reads the same way. The channels pass a stale or forged
"/choose_order{"order_id":"…"}" on as plain text ("／choose_order{…}", xiaoer.rasa_ext.guard); its
syntax is noise to a classifier, but its order number or SKU is what the buyer points at, and
the actions check that order against the signed buyer like any other.
Pure functions over text: no Rasa here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Tuple

from xiaoer.text import to_simplified

_PLACEHOLDER = (
    r"(?:\{[^{}\n]{0,30}\}|\[[^\[\]\n]{0,30}\]|【[^【】\n]{0,30}】|<[^<>\n]{0,30}>|[xX*#]{3,}|-{2,})"
)
_ID = rf"(?:{_PLACEHOLDER}|[A-Za-z0-9][A-Za-z0-9-]{{3,39}})"
_AMOUNT = rf"(?:{_PLACEHOLDER}|[¥￥]?\s?\d+(?:[.,]\d+)*\s?元?)"
_TIME = (
    rf"(?:{_PLACEHOLDER}|\d{{4}}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?"
    r"(?:[ T]?\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?)"
)
_WORD = rf"(?:{_PLACEHOLDER}|[^\s:：]{{1,12}})"
_NAME = rf"(?:{_PLACEHOLDER}|[^\n:：]+)"  # cut at the next label, the line's end or the question

# label → (kind, value pattern). Labels are matched in simplified characters.
FIELDS = {
    "订单号": ("order", _ID),
    "订单编号": ("order", _ID),
    "订单号码": ("order", _ID),
    "订单金额": ("info", _AMOUNT),
    "实付金额": ("info", _AMOUNT),
    "实付款": ("info", _AMOUNT),
    "商品价格": ("info", _AMOUNT),
    "价格": ("info", _AMOUNT),
    "下单时间": ("info", _TIME),
    "付款时间": ("info", _TIME),
    "成交时间": ("info", _TIME),
    "订单状态": ("info", _WORD),
    "数量": ("info", rf"(?:{_PLACEHOLDER}|\d+\s?[件台个]?)"),
    "商品编号": ("sku", _ID),
    "商品ID": ("sku", _ID),
    "商品id": ("sku", _ID),
    "SKU": ("sku", _ID),
    "sku": ("sku", _ID),
    "商品名称": ("name", _NAME),
    "商品标题": ("name", _NAME),
    "规格": ("info", _WORD),
}
_LABELS = "|".join(sorted((re.escape(label) for label in FIELDS), key=len, reverse=True))
_FIELD = re.compile(rf"(?:咨询|询问)?(?P<label>{_LABELS})\s*[:：]\s*")
# Where a product name pasted on the buyer's line gives way to the buyer's own question.
_QUESTION = re.compile(
    r"\s+(?=\S*(?:吗|嘛|么|呢|\?|？|怎么|能不能|可不可以|可以|多少|几|什么|有没有|没有|没))"
)


# A button payload passed on as text: "/intent{json}" or with the guard's full-width slash.
_PAYLOAD = re.compile(r"(?:^|(?<=\s))[/／][A-Za-z_][A-Za-z0-9_]*\{[^{}\n]{0,300}\}")
_PAYLOAD_KEYS = {"order_id": ("订单号", "order"), "sku": ("商品编号", "sku")}
_PAYLOAD_VALUE = re.compile(r'"(?P<key>order_id|sku)"\s*:\s*"?(?P<value>[A-Za-z0-9-]{4,40})"?')


@dataclass(frozen=True)
class CardField:
    label: str
    kind: str  # order | sku | name | info
    value: str  # "" for a placeholder: the widget had nothing to fill in
    start: int  # the field, label included, in the text given to find_cards
    end: int
    value_start: int
    value_end: int


def is_placeholder(value: str) -> bool:
    return re.fullmatch(_PLACEHOLDER, value) is not None


def find_cards(text: str) -> List[CardField]:
    """Every card field in `text`, in order; positions are `text`'s own (same length in t2s)."""
    return sorted(_card_fields(text) + _payload_fields(text), key=lambda f: (f.start, f.value_start))


def _payload_fields(text: str) -> List[CardField]:
    """A button payload holding an order number or SKU: the payload as one field of its own (so
    its syntax is taken out) and each value as an order or SKU field inside it."""
    fields: List[CardField] = []
    for payload in _PAYLOAD.finditer(text):
        values = list(_PAYLOAD_VALUE.finditer(text, payload.start(), payload.end()))
        if not values:
            continue  # "/greet{}": nothing it points at; left as the buyer's text
        start, end = payload.span()
        fields.append(CardField("payload", "info", payload.group(0), start, end, start, end))
        for found in values:
            label, kind = _PAYLOAD_KEYS[found.group("key")]
            value_start, value_end = found.span("value")
            fields.append(CardField(label, kind, found.group("value"), start, end, value_start, value_end))
    return fields


def _card_fields(text: str) -> List[CardField]:
    simplified = to_simplified(text)
    labels = list(_FIELD.finditer(simplified))
    fields: List[CardField] = []
    for i, found in enumerate(labels):
        label = found.group("label")
        kind, pattern = FIELDS[label]
        limit = labels[i + 1].start() if i + 1 < len(labels) else len(simplified)
        line_end = simplified.find("\n", found.end())
        if line_end != -1:
            limit = min(limit, line_end)
        value = re.match(pattern, simplified[found.end() : limit])
        if value is None or not value.group(0).strip():
            continue
        value_start, value_end = found.end(), found.end() + len(value.group(0).rstrip())
        if kind == "name" and i + 1 == len(labels) and not is_placeholder(value.group(0)):
            question = _QUESTION.search(simplified, value_start, value_end)
            if question:
                value_end = question.start()
        written = text[value_start:value_end].strip()
        fields.append(
            CardField(
                label,
                kind,
                "" if is_placeholder(written) else written,
                found.start(),
                value_end,
                value_start,
                value_end,
            )
        )
    return fields


def card_ranges(fields: List[CardField]) -> List[Tuple[int, int]]:
    """The text a classifier should not see: every field, and a product name's label only when
    the card has no SKU (the name is then how the catalogue matcher finds the product)."""
    has_sku = any(f.kind == "sku" and f.value for f in fields)
    ranges = []
    for field in fields:
        if field.kind == "name" and field.value and not has_sku:
            ranges.append((field.start, field.value_start))
        else:
            ranges.append((field.start, field.end))
    return ranges


def card_kind(fields: List[CardField]) -> str | None:
    """ "order" or "product": what a card on its own asks about (None: no card)."""
    if any(f.kind == "order" for f in fields):
        return "order"
    if any(f.kind in ("sku", "name") for f in fields):
        return "product"
    return None
