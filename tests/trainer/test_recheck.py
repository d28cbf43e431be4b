"""Checking misses again with the current model: what a retrain fixed drops out of the clusters."""

from __future__ import annotations

from xiaoer.trainer.clusters import Reference
from xiaoer.trainer.mining import recheck
from xiaoer.trainer.misses import Miss


def miss(text: str, *signals: str) -> Miss:
    return Miss("buyer-1", text, 0.0, "ask_delivery", 0.3, ["utter_default"], set(signals))


def parsed(intent: str, confidence: float, key: str | None = None, band: str = "answer") -> dict:
    parse = {"intent": {"name": intent, "confidence": confidence}, "routing": {"band": band}}
    if key:
        parse["response_selector"] = {intent: {"response": {"intent_response_key": key}}}
    return parse


class FakeModel:
    """/model/parse as a table; counts its calls."""

    def __init__(self, table: dict) -> None:
        self.table, self.calls = table, []

    def __call__(self, text: str) -> dict:
        self.calls.append(text)
        return self.table.get(text, parsed("nlu_fallback", 0.2))


def test_a_taught_message_is_fixed_only_when_the_model_now_reads_it_as_its_target() -> None:
    taught = [
        Reference("买了隔天就降价怎么处理", "intent", "ask_price_protection"),
        Reference("收件人王** 138****5678 能改地址吗", "intent", "change_order"),
        Reference("能礼品包装吗", "knowledge", "ask_delivery/gift_wrap"),
    ]
    misses = [
        miss("买了隔天就降价怎么处理", "fallback"),
        miss("收件人王小明 13812345678 能改地址吗", "complained"),  # taught masked
        miss("能礼品包装吗", "agent_rejected"),
        miss("买了隔天就降价怎么处理", "rephrased"),
    ]
    model = FakeModel(
        {
            "买了隔天就降价怎么处理": parsed("ask_price_protection", 0.91),
            "收件人王小明 13812345678 能改地址吗": parsed("change_order", 0.88),
            "能礼品包装吗": parsed("ask_delivery", 0.95, key="ask_delivery/carriers"),  # the wrong entry
        }
    )

    still, fixed = recheck(misses, model, taught)

    assert fixed == 3
    assert [m.text for m in still] == ["能礼品包装吗"]


def test_an_untaught_message_is_fixed_only_if_the_model_alone_had_missed_it() -> None:
    misses = [
        miss("冰箱能放阳台吗", "low_confidence", "band:suggest"),
        miss("这个答非所问", "complained"),
        miss("啥时候到", "fallback"),
        miss("有没有优惠", "low_confidence"),
    ]
    model = FakeModel(
        {
            "冰箱能放阳台吗": parsed("ask_product", 0.8),
            "这个答非所问": parsed("complain", 0.97),
            "啥时候到": parsed("query_logistics", 0.7, band="suggest"),  # still routed to a human
            "有没有优惠": parsed("ask_promotion", 0.59),  # under the low-confidence line
        }
    )

    still, fixed = recheck(misses, model, [])

    assert fixed == 1
    assert [m.text for m in still] == ["这个答非所问", "啥时候到", "有没有优惠"]
    assert model.calls == [m.text for m in misses]
