"""`python -m xiaoer.assist.consume`: Rasa's events from RabbitMQ into the metrics' event log.

Reads XIAOER_BROKER_URL's queue XIAOER_BROKER_QUEUE (the one endpoints.yml's pika broker publishes
to), in batches; a batch is acknowledged only once it is in the database, so a crash loses nothing
(redelivered events are recognised and kept once).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Awaitable, Callable

from xiaoer import logmask
from xiaoer.assist.events import EventLog
from xiaoer.settings import AssistSettings

logger = logging.getLogger("xiaoer.assist.consume")
BATCH = 200
FLUSH_SECONDS = 0.5


async def batches(
    inbox: asyncio.Queue,
    stop: asyncio.Event,
    flush: Callable[[list], Awaitable[None]],
    size: int = BATCH,
    seconds: float = FLUSH_SECONDS,
) -> None:
    """Hands `flush` what arrives in `inbox`, in batches of up to `size`, each at most `seconds`
    after its first message arrived; the rest once `stop` is set.

    Waiting for a pause in the stream instead held a steady trickle of events back (every gap
    shorter than `seconds`) until `size` of them had come.
    """
    loop = asyncio.get_running_loop()
    pending: list = []
    oldest = 0.0  # when the first pending message arrived

    async def hand_over() -> None:
        if pending:
            await flush(list(pending))
            pending.clear()

    while not stop.is_set():
        wait = seconds - (loop.time() - oldest) if pending else seconds
        try:
            message = await asyncio.wait_for(inbox.get(), max(wait, 0.0))
        except asyncio.TimeoutError:
            await hand_over()
            continue
        if not pending:
            oldest = loop.time()
        pending.append(message)
        if len(pending) >= size or loop.time() - oldest >= seconds:
            await hand_over()
    await hand_over()


async def consume(settings: AssistSettings, stop: asyncio.Event) -> None:
    import aio_pika

    log = EventLog(settings.assist_database_url)
    connection = await aio_pika.connect_robust(settings.broker_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=BATCH)
        queue = await channel.declare_queue(settings.broker_queue, durable=True)

        async def flush(messages: list) -> None:
            events = []
            for message in messages:
                try:
                    events.append(json.loads(message.body))
                except ValueError:
                    logger.warning("consume: a message that is not JSON was dropped")
            added = await asyncio.to_thread(log.add, events)
            await messages[-1].ack(multiple=True)
            logger.debug("consume: %d events, %d new", len(events), added)

        inbox: asyncio.Queue = asyncio.Queue()
        tag = await queue.consume(inbox.put)
        try:
            await batches(inbox, stop, flush)
        finally:
            await queue.cancel(tag)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logmask.install()
    settings = AssistSettings()
    if not settings.broker_url:
        raise SystemExit("xiaoer.assist.consume: set XIAOER_BROKER_URL (amqp://…)")
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        logger.info(
            "consume: %s queue %s → assist database",
            settings.broker_url.split("@")[-1],
            settings.broker_queue,
        )
        await consume(settings, stop)

    asyncio.run(run())


if __name__ == "__main__":
    main()
