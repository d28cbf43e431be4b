"""`python -m xiaoer.nlu.bench_mentions`: the attribute-word matcher on long messages.

Times `xiaoer.nlu.attributes.find_mentions` (the median of a few runs) on realistic buyer text
repeated to 1 KB, 10 KB, 100 KB and 1 MB of characters, and, in the same run, the quadratic
matcher it replaced on the sizes where that one finishes in reasonable time (up to 16 KB), as the
baseline. Needs nothing running: the vocabulary is read from vocabulary/ (XIAOER_VOCABULARY_DIR).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, Iterable, List, NamedTuple, Sequence, Tuple

from xiaoer.nlu import attributes
from xiaoer.text import compact, normalize_text

SIZES = (1_000, 10_000, 100_000, 1_000_000)
BASELINE_UP_TO = 16_000  # the replaced matcher took 0.94 s on 16,000 characters
RUNS = 3

# What buyers write about products, orders and after-sales, with the attribute words in it.
BUYER_TEXT = normalize_text(
    "你好，在吗？这台冰箱多少升的，冷藏室多大，能效几级？耗电吗。"
    "65E7K电视多大尺寸，刷新率多少Hz，是4K的吗，有没有MiniLED背光？"
    "我的订单到哪了，什么时候发货，能不能发顺丰。"
    "空调几匹的，适用面积多大，一晚上耗电多少？"
    "洗衣机容量多少公斤，有烘干吗，尺寸长宽高是多少，我家阳台只有60厘米宽。"
    "买了三天了还没到，催一下，谢谢亲！"
)

Mentions = List[Tuple[int, int, Tuple[str, ...]]]


class Row(NamedTuple):
    characters: int
    seconds: float  # find_mentions, median
    baseline_seconds: float | None  # the replaced quadratic matcher, median; None: not run

    @property
    def per_character(self) -> float:
        return self.seconds / self.characters


def quadratic_find_mentions(text: str, extra_names: Iterable[str] = ()) -> Mentions:
    """The matcher find_mentions replaced (one `str.find` scan per word, every candidate checked
    against every word taken so far, the text before each one-character word copied): the baseline.
    tests/nlu/test_mentions.py keeps its own copy as the reference results must equal."""
    tables = attributes._tables()
    extra = {}
    for name in extra_names:
        word = compact(name)
        if word and word not in tables.by_word:
            extra[word] = (name,)
    words = (
        tuple(sorted((*tables.words, *extra.items()), key=lambda p: -len(p[0]))) if extra else tables.words
    )
    taken: Mentions = []
    for word, names in words:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            free = all(end <= s or start >= e for s, e, _ in taken)
            if free and (len(word) > 1 or attributes.QUESTION_PREFIX.search(text[:start])):
                taken.append((start, end, names))
            start = text.find(word, end)
    merged: Mentions = []
    for start, end, names in sorted(taken):
        if merged and merged[-1][1] == start and set(merged[-1][2]) & set(names):
            last = merged.pop()
            merged.append((last[0], end, tuple(n for n in last[2] if n in names)))
        else:
            merged.append((start, end, names))
    return merged


def buyer_text(characters: int) -> str:
    """BUYER_TEXT repeated and cut to exactly `characters` characters."""
    return (BUYER_TEXT * (characters // len(BUYER_TEXT) + 1))[:characters]


def median_time(matcher: Callable[[str], Mentions], text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        matcher(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(
    sizes: Sequence[int] = SIZES, runs: int = RUNS, baseline_up_to: int = BASELINE_UP_TO
) -> List[Row]:
    """One row per size; the baseline only where the size is at most `baseline_up_to`."""
    attributes.find_mentions(BUYER_TEXT)  # vocabulary and automaton built before timing
    rows = []
    for size in sizes:
        text = buyer_text(size)
        seconds = median_time(attributes.find_mentions, text, runs)
        baseline = median_time(quadratic_find_mentions, text, runs) if size <= baseline_up_to else None
        rows.append(Row(size, seconds, baseline))
    return rows


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.1f} ms"


def _ns(seconds: float | None, characters: int) -> str:
    return "—" if seconds is None else f"{seconds / characters * 1e9:,.0f} ns"


def table(rows: Sequence[Row], runs: int) -> str:
    lines = [
        f"| characters | find_mentions (median of {runs}) | per character | replaced matcher | per character |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        cells = (
            f"{row.characters:,}",
            _ms(row.seconds),
            _ns(row.seconds, row.characters),
            _ms(row.baseline_seconds) if row.baseline_seconds is not None else "not run",
            _ns(row.baseline_seconds, row.characters),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xiaoer.nlu.bench_mentions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="text sizes in characters")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per size (the median is shown)")
    parser.add_argument(
        "--baseline-up-to", type=int, default=BASELINE_UP_TO, help="largest size the replaced matcher runs on"
    )
    args = parser.parse_args(argv)
    print(
        f"buyer text: {len(BUYER_TEXT)} characters, {len(attributes.find_mentions(BUYER_TEXT))} mentions, repeated"
    )
    print(table(measure(args.sizes, args.runs, args.baseline_up_to), args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
