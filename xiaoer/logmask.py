"""Buyers' phone numbers, addresses and e-mail addresses masked in log records.

    mask("电话13812345678，寄到浙江省杭州市余杭区五常街道西溪八方城3幢1单元802室")
      -> "电话138****5678，寄到浙江省杭州市***"

| what | example | masked |
| --- | --- | --- |
| mainland mobile, not inside a longer number | 13812345678, 138-1234-5678, +86 138 1234 5678 | 138****5678 (+86 stays) |
| landline with its area code | 0571-88881234, (010)12345678 | 0571-****1234 |
| e-mail address | zhang.san@example.com | z***@example.com |
| street address | 北京市朝阳区望京西路48号望京新城412号楼3单元802 | 北京市朝阳区*** |
| a person's name after 收件人, 收货人, 联系人, 姓名, 我叫… | 收件人：王小明 | 收件人：王** |

Order numbers (10–16 digits) are not phone numbers: a run of digits is masked only when the whole
run is the number; a landline needs its separator ("075512345678" may be an order number). An
address is a road, estate or numbered part (号, 栋, 单元, 室…) after a province/city/district or a
road, followed by any more such parts, or three administrative parts in a row; up to its first
six characters stay, none of them a digit. A name is a common surname and one or two more
characters right after a word that introduces one; the surname stays. Masking a masked text
changes nothing.

`install()` puts the filter on the root logger, its handlers and the handler of last resort
(records of any logger that propagate pass through one of them); each process calls it at start,
after its logging is configured (xiaoer/store, console, followup `__main__`, actions/__init__.py,
xiaoer/rasa_ext/tracker_store.py). Loggers that keep their records to their own handlers
(uvicorn's "uvicorn.error" and "uvicorn.access") are not covered. Imports nothing from xiaoer:
the bottom layer.
"""

from __future__ import annotations

import logging
import re
from typing import Callable, Tuple


def _cjk_except(chars: str) -> str:
    """A character class body: the CJK block without `chars`."""
    ranges, start = [], 0x4E00
    for code in sorted(map(ord, set(chars))):
        if start < code:
            ranges.append(f"{chr(start)}-{chr(code - 1)}")
        start = code + 1
    return "".join(ranges) + f"{chr(start)}-\u9fff"


# Characters of place names: not the words around an address ("寄到", "地址是", "我的电话").
_CJK = _cjk_except("的是在到址寄送发往住我你他她给请帮麻烦改换填写吗呢了收件货电话码")
# Full-width digits and dashes, looked for as ASCII (the same length, so positions carry over).
_FOLD = str.maketrans("０１２３４５６７８９－＋（）＠．", "0123456789-+()@.")

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
# 1[3-9]x xxxx xxxx, spaces or dashes between the groups the same, with +86 / 0086 / 86- before it.
_MOBILE = re.compile(r"(?<!\d)((?:(?:\+|00)86[ -]?|86-)?)(1[3-9][0-9])([ -]?)([0-9]{4})\3([0-9]{4})(?!\d)")
# Area code 0xx / 0xxx in brackets or before a space or dash, then 7–8 digits. Without the
# separator a 0 and 10–11 digits may be an order number: left alone.
_LANDLINE = re.compile(r"(?<!\d)(\(0[1-9][0-9]{1,2}\)\s?|0[1-9][0-9]{1,2}[ -])([0-9]{3,4})([0-9]{4})(?!\d)")

_ADMIN = f"[{_CJK}]{{2,6}}?(?:省|自治区|特别行政区|市|自治州|州|盟|区|县|旗|镇|乡|街道)"
_ROAD = f"[{_CJK}0-9A-Za-z]{{1,10}}?(?:大道|大街|路|街|巷|胡同)"
_ESTATE = f"[{_CJK}]{{2,8}}?(?:小区|花园|公寓|大厦|家园|广场|新村|苑)"
_NUMBER = f"[{_CJK}]{{0,8}}?[-#]?[0-9A-Za-z]{{1,6}}(?:号院|号楼|号|栋|幢|座|单元|楼|层|室|户|弄|房)"
_PART = f"(?:{_ESTATE}|{_NUMBER})"
_TAIL = "(?:[-#]?[0-9]{1,6})?"
_ADDRESS = re.compile(
    f"(?:{_ADMIN}){{1,4}}(?:{_ROAD}|{_PART}){_PART}*{_TAIL}"
    f"|{_ROAD}{_PART}+{_TAIL}"
    f"|{_ESTATE}{_NUMBER}+{_TAIL}"
    f"|(?:{_ADMIN}){{3,4}}"
)
# A text without any of these has no address: the address pattern is not tried on it.
_ADDRESS_MARKS = re.compile("[省区市州盟县旗镇乡街道路巷同园寓厦场村苑号楼栋幢座元层室户弄房]")
_KEEP = re.compile(r"\D{0,6}")  # an address keeps up to six leading characters, no digit

# The hundred-odd commonest surnames (two-character ones first), after a word that introduces a
# name: "我叫了快递" has no name, "我叫李明" has.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|慕容|[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
    "董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝]"
)
_NAME = re.compile(
    r"(收件人|收货人|联系人|签收人|姓名|名字|我叫|本人|寄件人)((?:是|叫|为)?[:：]?\s?)"
    f"({_SURNAMES})([\u4e00-\u9fff]{{1,2}})"
)


# Each takes the group texts as the buyer wrote them (full width stays full width).
Replace = Callable[[Tuple[str, ...]], str]


def _mobile(groups: Tuple[str, ...]) -> str:
    return f"{groups[1]}{groups[2]}****{groups[5]}"


def _landline(groups: Tuple[str, ...]) -> str:
    return f"{groups[1]}****{groups[3]}"


def _email(groups: Tuple[str, ...]) -> str:
    return f"{groups[1]}***@{groups[2]}"


def _name(groups: Tuple[str, ...]) -> str:
    return f"{groups[1]}{groups[2]}{groups[3]}{'*' * len(groups[4])}"


def _address(groups: Tuple[str, ...]) -> str:
    kept = _KEEP.match(groups[0].translate(_FOLD)).group()
    return groups[0] if len(kept) == len(groups[0]) else f"{groups[0][: len(kept)]}***"


def _substitute(text: str, pattern: re.Pattern[str], replace: Replace) -> str:
    """`pattern` looked for in the folded text, replacements put into the text as it is."""
    pieces, done = [], 0
    for match in pattern.finditer(text.translate(_FOLD)):
        groups = tuple(text[slice(*match.span(g))] for g in range(pattern.groups + 1))
        pieces += [text[done : match.start()], replace(groups)]
        done = match.end()
    return "".join(pieces) + text[done:] if pieces else text


def mask(text: str) -> str:
    """The text with phone numbers, e-mail addresses, street addresses and names masked."""
    if "@" in text or "＠" in text:
        text = _substitute(text, _EMAIL, _email)
    text = _substitute(_substitute(text, _MOBILE, _mobile), _LANDLINE, _landline)
    if _ADDRESS_MARKS.search(text):
        text = _substitute(text, _ADDRESS, _address)
    return _substitute(text, _NAME, _name)


class MaskFilter(logging.Filter):
    """Rewrites a record's message (and its traceback text) masked; never drops a record."""

    MARK = "xiaoer_masked"  # set on a record once masked: the root logger and each handler see it

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, self.MARK, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as logging does
            return True
        record.msg, record.args = mask(message), ()
        if record.exc_info and not record.exc_text:
            try:
                record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            except Exception:
                pass
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        setattr(record, self.MARK, True)
        return True


_FILTER = MaskFilter()


def install() -> MaskFilter:
    """Masks every record reaching the root logger's handlers (or, with none, the last resort).

    Idempotent; handlers added to the root logger afterwards need another call.
    """
    root = logging.getLogger()
    for target in (root, *root.handlers, logging.lastResort):
        if target is not None and not any(isinstance(f, MaskFilter) for f in target.filters):
            target.addFilter(_FILTER)
    return _FILTER
