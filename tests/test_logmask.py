"""Buyers' phone numbers, addresses, e-mail addresses and names masked in log records (xiaoer/logmask.py)."""

from __future__ import annotations

import io
import logging

import pytest

from xiaoer import logmask
from xiaoer.logmask import MaskFilter, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的手机13812345678，麻烦尽快发货", "我的手机138****5678，麻烦尽快发货"),
        ("电话是138-1234-5678", "电话是138****5678"),
        ("+86 139 1234 5678", "+86 139****5678"),
        ("+8615012345678 打这个", "+86150****5678 打这个"),
        ("全角１３８１２３４５６７８也算", "全角１３８****５６７８也算"),
        ("座机0571-88881234，转分机", "座机0571-****1234，转分机"),
        ("（010）62345678", "（010）****5678"),
        ("邮箱zhang.san@example.com谢谢", "邮箱z***@example.com谢谢"),
        ("北京市朝阳区望京西路48号望京新城412号楼3单元802", "北京市朝阳区***"),
        ("广东省深圳市南山区科苑南路3099号海岸城花园B栋1705", "广东省深圳市***"),
        ("寄到：重庆市渝北区新南路6号紫都城5栋2304，谢谢", "寄到：重庆市渝北区***，谢谢"),
        ("地址 文一西路998号西溪蓝海花园6幢2单元1202室", "地址 文一西路***"),
        ("浙江省杭州市余杭区", "浙江省杭州市***"),
        ("收件人：王小明 明天送", "收件人：王** 明天送"),
        ("我叫李明，订单到哪了", "我叫李*，订单到哪了"),
        ("姓名 欧阳娜娜", "姓名 欧阳**"),
        ("联系人是张三", "联系人是张*"),
    ],
)
def test_masks(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert mask(masked) == masked  # masking twice changes nothing


def test_several_in_one_message() -> None:
    text = "收件人张三 13812345678 / 0755-26781234，地址：上海市浦东新区张杨路1200弄金桥花园15号601室，邮箱 zs@qq.com"
    assert mask(text) == "收件人张* 138****5678 / 0755-****1234，地址：上海市浦东新***，邮箱 z***@qq.com"


@pytest.mark.parametrize(
    "text",
    [
        "订单2611033456789012到哪了",  # 16 digits, "13345678901" inside
        "订单号 261103345678 和 2611033456789",
        "1381234567890",  # 13 digits starting like a mobile
        "12345678901 不是手机",  # 11 digits, but 12x is no mobile prefix
        "0123456789",
        "075512345678",  # no separator after the area code: may be an order number
        "这台冰箱多少升？能效几级？",
        "北京市朝阳区能送吗",  # a city and a district: nothing beyond the first six characters
        "我3号下的单，什么时候到上海市",
        "这两款有什么区别",
        "store: GET /api/orders/2611033456789 answered 503; trying once more",
        "routing bands: answer >= 0.45, suggest >= 0.25, ambiguity < 0.1",
        "65E7K 和 75E7K 哪个好",
        "我叫了快递还没来",  # 我叫 without a surname after it
        "本人已签收",
        "",
    ],
)
def test_nothing_else_is_touched(text: str) -> None:
    assert mask(text) == text


@pytest.fixture
def root_filters():
    """Restores the root logger's, its handlers' and the last resort's filters after the test."""
    root = logging.getLogger()
    targets = [root, *root.handlers, logging.lastResort]
    saved = {id(t): list(t.filters) for t in targets if t is not None}
    yield root
    for target in [root, *root.handlers, logging.lastResort]:
        if target is not None:
            target.filters[:] = saved.get(
                id(target), [f for f in target.filters if not isinstance(f, MaskFilter)]
            )


def test_a_record_through_a_real_logger_comes_out_masked(root_filters, caplog) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root_filters.addHandler(handler)
    try:
        logmask.install()
        logger = logging.getLogger("xiaoer.test_logmask")
        logger.setLevel(logging.INFO)
        logger.warning("buyer %s says %r", "demo", "电话13812345678，送到北京市朝阳区望京西路48号3单元802")
        try:
            raise ValueError("bad phone 13912345678")
        except ValueError:
            logger.exception("order %s failed", "2611033456789012")
        logging.warning("root itself: %s", "zhang@example.com")
    finally:
        root_filters.removeHandler(handler)
    out = stream.getvalue()
    assert "WARNING xiaoer.test_logmask buyer demo says '电话138****5678，送到北京市朝阳区***'" in out
    assert "ValueError: bad phone 139****5678" in out
    assert "order 2611033456789012 failed" in out
    assert "root itself: z***@example.com" in out
    assert "13812345678" not in out and "13912345678" not in out and "望京西路" not in out
    # caplog's handler was on the root logger at install(): it saw the masked records too.
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert [r.args for r in caplog.records] == [(), (), ()]


def test_install_twice_adds_one_filter(root_filters) -> None:
    handler = logging.StreamHandler(io.StringIO())
    root_filters.addHandler(handler)
    try:
        first, second = logmask.install(), logmask.install()
        assert first is second
        for target in (root_filters, handler, logging.lastResort):
            assert sum(isinstance(f, MaskFilter) for f in target.filters) == 1
    finally:
        root_filters.removeHandler(handler)


def test_a_record_is_masked_once_and_never_dropped() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call %s", ("北京市朝阳区望京西路48号",), None)
    assert MaskFilter().filter(record) and record.getMessage() == "call 北京市朝阳区***"
    assert MaskFilter().filter(record) and record.getMessage() == "call 北京市朝阳区***"
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "%d apples", ("many",), None)
    assert MaskFilter().filter(broken) and broken.args == ("many",)  # the handler reports it
