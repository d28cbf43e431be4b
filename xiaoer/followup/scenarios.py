"""The scenarios file (followup.yml): loaded and checked, with errors that name the bad field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from xiaoer.storeapi.contract import EVENT_TYPES, ORDER_STATUSES, PROMOTION_KINDS

PROMOTION_TRIGGER = re.compile(rf"^promotion:({'|'.join(PROMOTION_KINDS)})$")
KINDS = ("transactional", "marketing")
ENTITY_SOURCES = ("order_id", "sku", "promo_id")
SEGMENTS = ("inquired_skus", "ordered_skus", "all_known_buyers")
# Events that can count as a follow-up's conversion (conversion.events).
CONVERSION_EVENTS = ("order_created", "order_paid")
DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScenarioError(ValueError):
    """followup.yml is wrong; the message says where."""


def parse_duration(value: Any, where: str) -> timedelta:
    if value == 0 or value == "0":
        return timedelta(0)
    match = DURATION.match(str(value)) if isinstance(value, (str, int)) else None
    if not match:
        raise ScenarioError(f"{where}: {value!r} is not a duration like 30m, 12h or 3d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def parse_clock_time(value: Any, where: str) -> time:
    match = re.match(r"^(\d{1,2}):(\d{2})$", str(value))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScenarioError(f"{where}: {value!r} is not a time like 22:00")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class Conversion:
    events: Tuple[str, ...]  # event types that count as converting
    same_order: bool  # only the order the follow-up was about


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    trigger: str
    delay: timedelta
    kind: str
    intent: str
    entities: Tuple[str, ...]
    order_status: Tuple[str, ...] = ()
    no_order_since_trigger: bool = False
    promotion_active: bool = False
    segment: str | None = None
    segment_days: int = 30
    per_buyer_per_day: int | None = None
    expires: timedelta | None = None
    conversion: Conversion | None = None

    @property
    def is_promotion(self) -> bool:
        return self.trigger.startswith("promotion:")

    @property
    def promotion_kind(self) -> str | None:
        return self.trigger.split(":", 1)[1] if self.is_promotion else None


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    # "postpone": a marketing message due in quiet hours waits until they end; "skip": it is dropped.
    policy: str

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Book:
    scenarios: Tuple[Scenario, ...]
    quiet_hours: QuietHours | None
    marketing_daily_cap: int | None
    attribution_window: timedelta
    max_attempts: int
    retry_backoff: timedelta
    by_name: Dict[str, Scenario] = field(default_factory=dict, compare=False)

    def for_event(self, event_type: str) -> List[Scenario]:
        return [s for s in self.scenarios if s.trigger == event_type]

    def for_promotions(self) -> List[Scenario]:
        return [s for s in self.scenarios if s.is_promotion]


def _require(mapping: Dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise ScenarioError(f"{where}.{key}: required")
    return mapping[key]


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ScenarioError(f"{where}: {value!r} must be a whole number of at least 1")
    return value


def _scenario(raw: Any, index: int) -> Scenario:
    where = f"scenarios[{index}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: must be a mapping")
    known = {
        "name", "description", "trigger", "delay", "kind", "message", "condition", "segment",
        "limits", "expires", "conversion",
    }  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {', '.join(unknown)}")
    name = str(_require(raw, "name", where))
    if not re.match(r"^[a-z][a-z0-9_]*$", name):
        raise ScenarioError(f"{where}.name: {name!r} must be snake_case")
    where = f"scenario {name}"
    trigger = str(_require(raw, "trigger", where))
    if trigger not in EVENT_TYPES and not PROMOTION_TRIGGER.match(trigger):
        raise ScenarioError(
            f"{where}.trigger: {trigger!r} is not one of {', '.join(EVENT_TYPES)} or promotion:<kind>"
        )
    kind = str(_require(raw, "kind", where))
    if kind not in KINDS:
        raise ScenarioError(f"{where}.kind: {kind!r} must be transactional or marketing")
    message = _require(raw, "message", where)
    if not isinstance(message, dict):
        raise ScenarioError(f"{where}.message: must be a mapping with intent and entities")
    intent = str(_require(message, "intent", f"{where}.message"))
    if not re.match(r"^EXTERNAL_[a-z0-9_]+$", intent):
        raise ScenarioError(f"{where}.message.intent: {intent!r} must be an EXTERNAL_snake_case intent")
    entities = message.get("entities") or []
    if not isinstance(entities, list) or any(e not in ENTITY_SOURCES for e in entities):
        raise ScenarioError(f"{where}.message.entities: each must be one of {', '.join(ENTITY_SOURCES)}")
    condition = raw.get("condition") or {}
    if not isinstance(condition, dict):
        raise ScenarioError(f"{where}.condition: must be a mapping")
    unknown = sorted(set(condition) - {"order_status", "no_order_since_trigger", "promotion_active"})
    if unknown:
        raise ScenarioError(f"{where}.condition: unknown condition(s) {', '.join(unknown)}")
    statuses = condition.get("order_status") or []
    if isinstance(statuses, str):
        statuses = [statuses]
    bad = [s for s in statuses if s not in ORDER_STATUSES]
    if bad:
        raise ScenarioError(f"{where}.condition.order_status: unknown status(es) {', '.join(map(str, bad))}")
    needs_order = bool(statuses) or "order_id" in entities
    if needs_order and (trigger == "inquiry_without_order" or trigger.startswith("promotion:")):
        raise ScenarioError(f"{where}: trigger {trigger} has no order for order_status or order_id")
    segment = raw.get("segment")
    segment_days = 30
    if trigger.startswith("promotion:"):
        if not isinstance(segment, dict):
            raise ScenarioError(f"{where}.segment: a promotion scenario needs segment: {{buyers, days}}")
        segment_name = segment.get("buyers")
        if segment_name not in SEGMENTS:
            raise ScenarioError(
                f"{where}.segment.buyers: {segment_name!r} must be one of {', '.join(SEGMENTS)}"
            )
        segment_days = _positive_int(segment.get("days", 30), f"{where}.segment.days")
        segment = segment_name
    elif segment is not None:
        raise ScenarioError(f"{where}.segment: only promotion scenarios have a segment")
    limits = raw.get("limits") or {}
    if not isinstance(limits, dict) or set(limits) - {"per_buyer_per_day"}:
        raise ScenarioError(f"{where}.limits: only per_buyer_per_day is known")
    per_day = limits.get("per_buyer_per_day")
    conversion = None
    if raw.get("conversion") is not None:
        conv = raw["conversion"]
        if not isinstance(conv, dict):
            raise ScenarioError(f"{where}.conversion: must be a mapping with events (and same_order)")
        # Not "on": YAML reads a bare on as true.
        on = conv.get("events")
        on = [on] if isinstance(on, str) else on
        if not on or any(o not in CONVERSION_EVENTS for o in on):
            raise ScenarioError(f"{where}.conversion.events: {' and/or '.join(CONVERSION_EVENTS)}")
        same_order = bool(conv.get("same_order", False))
        if same_order and "order_id" not in entities and not statuses:
            raise ScenarioError(f"{where}.conversion.same_order: the scenario has no order")
        conversion = Conversion(tuple(on), same_order)
    return Scenario(
        name=name,
        description=str(raw.get("description") or ""),
        trigger=trigger,
        delay=parse_duration(raw.get("delay", 0), f"{where}.delay"),
        kind=kind,
        intent=intent,
        entities=tuple(entities),
        order_status=tuple(statuses),
        no_order_since_trigger=bool(condition.get("no_order_since_trigger", False)),
        promotion_active=bool(condition.get("promotion_active", False)),
        segment=segment,
        segment_days=segment_days,
        per_buyer_per_day=None
        if per_day is None
        else _positive_int(per_day, f"{where}.limits.per_buyer_per_day"),
        expires=parse_duration(raw["expires"], f"{where}.expires") if raw.get("expires") else None,
        conversion=conversion,
    )


def parse_book(data: Any) -> Book:
    if not isinstance(data, dict):
        raise ScenarioError("followup.yml: must be a mapping with settings and scenarios")
    unknown = sorted(set(data) - {"version", "settings", "scenarios"})
    if unknown:
        raise ScenarioError(f"followup.yml: unknown top-level field(s) {', '.join(unknown)}")
    settings = data.get("settings") or {}
    quiet = settings.get("quiet_hours")
    quiet_hours = None
    if quiet:
        policy = quiet.get("policy", "postpone")
        if policy not in ("postpone", "skip"):
            raise ScenarioError("settings.quiet_hours.policy: postpone or skip")
        quiet_hours = QuietHours(
            parse_clock_time(_require(quiet, "start", "settings.quiet_hours"), "settings.quiet_hours.start"),
            parse_clock_time(_require(quiet, "end", "settings.quiet_hours"), "settings.quiet_hours.end"),
            policy,
        )
    cap = settings.get("marketing_daily_cap")
    raw_scenarios = data.get("scenarios")
    if not isinstance(raw_scenarios, list) or not raw_scenarios:
        raise ScenarioError("scenarios: a list of at least one scenario")
    scenarios = tuple(_scenario(raw, i) for i, raw in enumerate(raw_scenarios))
    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"scenarios: duplicate name(s) {', '.join(duplicates)}")
    return Book(
        scenarios=scenarios,
        quiet_hours=quiet_hours,
        marketing_daily_cap=None if cap is None else _positive_int(cap, "settings.marketing_daily_cap"),
        attribution_window=parse_duration(
            settings.get("attribution_window", "24h"), "settings.attribution_window"
        ),
        max_attempts=_positive_int(settings.get("max_attempts", 5), "settings.max_attempts"),
        retry_backoff=parse_duration(settings.get("retry_backoff", "30s"), "settings.retry_backoff"),
        by_name={s.name: s for s in scenarios},
    )


def load_book(path: Path) -> Book:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return parse_book(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
