"""followup.yml is checked on load, and its mistakes are named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from xiaoer.followup.scenarios import ScenarioError, load_book, parse_book

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "followup.yml").read_text(encoding="utf-8"))


def test_the_shipped_scenarios_load():
    book = load_book(ROOT / "followup.yml")
    assert [s.name for s in book.scenarios] == [
        "inquiry_nudge", "payment_reminder_30m", "payment_reminder_12h", "order_confirmation",
        "shipping_notice", "delivery_notice", "review_invitation", "presale_campaign",
    ]  # fmt: skip
    assert book.quiet_hours.policy == "postpone" and book.marketing_daily_cap == 2
    assert {s.name for s in book.scenarios if s.kind == "transactional"} == {
        "order_confirmation", "shipping_notice", "delivery_notice",
    }  # fmt: skip


def changed(path: str, value) -> dict:
    data = copy.deepcopy(DEFAULTS)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("scenarios.0.trigger", "order_lost", "scenario inquiry_nudge.trigger: 'order_lost' is not one of"),
        ("scenarios.0.delay", "2 hours", "scenario inquiry_nudge.delay: '2 hours' is not a duration"),
        (
            "scenarios.0.kind",
            "promo",
            "scenario inquiry_nudge.kind: 'promo' must be transactional or marketing",
        ),
        ("scenarios.1.message", {"intent": "payment_reminder"}, "must be an EXTERNAL_snake_case intent"),
        ("scenarios.1.condition", {"order_status": ["unpaid"]}, "order_status: unknown status(es) unpaid"),
        ("scenarios.1.colour", "red", "scenarios[1]: unknown field(s) colour"),
        ("scenarios.1.name", KeyError, "scenarios[1].name: required"),
        ("scenarios.1.name", "inquiry_nudge", "scenarios: duplicate name(s) inquiry_nudge"),
        ("scenarios.0.condition", {"order_status": ["created"]}, "has no order for order_status"),
        ("scenarios.7.segment", None, "a promotion scenario needs segment"),
        ("scenarios.0.limits", {"per_buyer_per_day": 0}, "must be a whole number of at least 1"),
        ("settings.quiet_hours", {"start": "25:00", "end": "08:00"}, "settings.quiet_hours.start: '25:00'"),
        ("settings.marketing_daily_cap", -1, "settings.marketing_daily_cap: -1"),
        (
            "scenarios.0.conversion",
            {"on": "order_created"},
            "conversion.events: order_created and/or order_paid",
        ),
    ],
)
def test_mistakes_are_named(path, value, message):
    with pytest.raises(ScenarioError) as error:
        parse_book(changed(path, value))
    assert message in str(error.value)


def test_unreadable_or_invalid_yaml_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read"):
        load_book(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("scenarios: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_book(bad)
