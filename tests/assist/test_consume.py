"""The broker consumer's batching: every event reaches the event log soon, whatever the traffic."""

from __future__ import annotations

import asyncio
from typing import List, Tuple

from xiaoer.assist.consume import batches


def run(feed, size: int = 200, seconds: float = 0.3) -> List[Tuple[list, float]]:
    """Runs `batches` while `feed(inbox)` puts messages in, then stops it; returns each batch
    with the loop time it was handed over at."""
    flushed: List[Tuple[list, float]] = []

    async def main() -> None:
        inbox: asyncio.Queue = asyncio.Queue()
        stop = asyncio.Event()

        async def flush(messages: list) -> None:
            flushed.append((messages, asyncio.get_running_loop().time()))

        consumer = asyncio.create_task(batches(inbox, stop, flush, size=size, seconds=seconds))
        await feed(inbox)
        stop.set()
        await consumer

    asyncio.run(main())
    return flushed


def test_a_steady_trickle_is_handed_over_while_it_lasts():
    # One event every 0.05 s for 1.5 s: no pause as long as the flush interval, far fewer than a batch.
    during: list = []

    async def trickle(inbox: asyncio.Queue) -> None:
        for i in range(30):
            await inbox.put(i)
            await asyncio.sleep(0.05)
        during.append(asyncio.get_running_loop().time())

    flushed = run(trickle)
    ended = during[0]
    # Batches went out while events were still coming, not only after the stream stopped.
    assert len([at for _, at in flushed if at < ended]) >= 2
    assert [m for messages, _ in flushed for m in messages] == list(range(30))


def test_a_full_batch_goes_at_once():
    async def burst(inbox: asyncio.Queue) -> None:
        for i in range(25):
            inbox.put_nowait(i)
        await asyncio.sleep(0.05)

    flushed = run(burst, size=10, seconds=30)
    assert [messages for messages, _ in flushed] == [
        list(range(10)),
        list(range(10, 20)),
        list(range(20, 25)),
    ]


def test_a_quiet_stream_hands_over_the_rest_after_the_interval_and_on_stop():
    async def two_then_quiet(inbox: asyncio.Queue) -> None:
        await inbox.put("a")
        await inbox.put("b")
        await asyncio.sleep(2.5)
        await inbox.put("c")

    # An interval no stall of the loop between reading "a" and "b" comes near (at 0.2 s, a test run
    # after the trained-model tests once split them).
    flushed = run(two_then_quiet, seconds=1.0)
    # "a" and "b" after the interval, "c" when the consumer stops.
    assert [messages for messages, _ in flushed] == [["a", "b"], ["c"]]
