"""Store API v1 bodies (pydantic v1) and the value types they are built from.

The reference backend validates what it is sent with these; clients and tests build valid bodies
with them."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Dict, List, Literal, Tuple

from pydantic import BaseModel, Extra, StrictBool, conint, conlist, root_validator, validator

from xiaoer.storeapi.contract import EVENT_TYPES, ID_LENGTH, ORDER_STATUSES, PROMOTION_KINDS
from xiaoer.storeapi.values import parse_time, parse_yuan

MAX_COUNT = 2**31 - 1  # PostgreSQL integer
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Text(str):
    """Any string PostgreSQL can store: no NUL characters."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string")

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError("must be a string")
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class Name(Text):
    """A non-empty string, surrounding whitespace removed."""

    @classmethod
    def validate(cls, value: Any) -> str:
        value = super().validate(value).strip()
        if not value:
            raise ValueError("must not be empty")
        return value


class Id(Text):
    """An identifier: sku, buyer, order, promotion or event id."""

    @classmethod
    def validate(cls, value: Any) -> str:
        value = super().validate(value)
        if not 1 <= len(value) <= ID_LENGTH:
            raise ValueError(f"must be 1 to {ID_LENGTH} characters long")
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class Time(datetime):
    """ISO 8601 text with a UTC offset, parsed to an aware UTC datetime."""

    @classmethod
    def __get_validators__(cls):
        yield parse_time

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string", format="date-time")


class Money(Decimal):
    """Yuan as a JSON number with at most 2 decimal places."""

    @classmethod
    def __get_validators__(cls):
        yield parse_yuan

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="number", minimum=0)


class AttributeValue:
    """A product attribute: text ("4K") or a finite number (65)."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(anyOf=[{"type": "string"}, {"type": "number"}])

    @classmethod
    def validate(cls, value: Any) -> Any:
        if isinstance(value, str):
            return Text.validate(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        raise ValueError("must be a string or a finite number")


Count = conint(strict=True, ge=0, le=MAX_COUNT)


class Body(BaseModel):
    """A PUT/POST body: unknown fields are errors; fields the server computes are ignored."""

    read_only: ClassVar[Tuple[str, ...]] = ()

    class Config:
        extra = Extra.forbid

    @classmethod
    def validate(cls, value: Any) -> Body:
        # pydantic v1 would build a model from a list of pairs; JSON objects only.
        if not isinstance(value, (dict, cls)):
            raise TypeError("must be a JSON object")
        return super().validate(value)

    @root_validator(pre=True)
    def drop_read_only(cls, values: dict) -> dict:
        # Lets a client PUT back what it got from GET.
        return {k: v for k, v in values.items() if k not in cls.read_only}


class ProductIn(Body):
    sku: Id | None = None  # optional echo of the path's sku
    name: Name
    category: Name
    price: Money
    stock: Count
    aliases: List[Name]
    attributes: Dict[Name, AttributeValue]
    image_url: Text | None = None
    video_url: Text | None = None
    detail_image_url: Text | None = None

    @validator("attributes", pre=True)
    def attributes_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):  # pydantic v1 would accept a list of pairs
            raise TypeError("must be a JSON object")
        return value


class BuyerIn(Body):
    buyer_id: Id | None = None
    nickname: Name
    phone: Text | None = None
    marketing_opt_out: StrictBool = False


class OrderItem(Body):
    sku: Id
    qty: conint(strict=True, ge=1, le=MAX_COUNT)
    unit_price: Money


class OrderIn(Body):
    read_only = ("total", "updated_at")

    order_id: Id | None = None
    buyer_id: Id
    items: conlist(OrderItem, min_items=1)
    status: Literal[ORDER_STATUSES]
    created_at: Time
    paid_at: Time | None = None
    address: Text | None = None

    @validator("paid_at")
    def paid_after_created(cls, value, values):
        created = values.get("created_at")
        if value is not None and created is not None and value < created:
            raise ValueError("must not be before created_at")
        return value


class TrackingEvent(Body):
    time: Time
    location: Text
    description: Name


class ShipmentIn(Body):
    order_id: Id | None = None
    carrier: Name
    tracking_no: Name
    eta: Time | None = None
    events: List[TrackingEvent]


class PromotionIn(Body):
    promo_id: Id | None = None
    title: Name
    description: Text
    kind: Literal[PROMOTION_KINDS]
    starts_at: Time
    ends_at: Time
    skus: List[Id]

    @validator("ends_at")
    def ends_after_start(cls, value, values):
        start = values.get("starts_at")
        if start is not None and value <= start:
            raise ValueError("must be after starts_at")
        return value


class EventIn(Body):
    event_id: Id
    type: Literal[EVENT_TYPES]
    buyer_id: Id
    order_id: Id | None = None
    sku: Id | None = None
    at: Time
