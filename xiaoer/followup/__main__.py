"""`python -m xiaoer.followup [run|report|bench]`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from xiaoer import logmask


def run() -> None:
    import uvicorn

    from xiaoer.followup.api import create_app
    from xiaoer.followup.service import Worker, build_engine
    from xiaoer.settings import FollowupSettings

    settings = FollowupSettings()
    engine = build_engine(settings)
    if not settings.reading_token:
        raise SystemExit("followup: set XIAOER_STORE_READ_TOKEN (or XIAOER_STORE_TOKEN) to read the store")
    worker = Worker(engine, settings.poll_interval, settings.start_from)
    worker.start()
    logging.getLogger("xiaoer.followup").info(
        "followup: engine up, %d scenarios from %s; pushed events on http://%s:%d/events",
        len(engine.book.scenarios), settings.scenarios_file, settings.host, settings.port,
    )  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(create_app(engine, settings.push_token or settings.store_token), host=settings.host, port=settings.port, ws="none",
                    log_level="warning")  # fmt: skip
    finally:
        worker.shutdown()


def report() -> None:
    from xiaoer.followup.db import make_engine
    from xiaoer.followup.report import render
    from xiaoer.settings import FollowupSettings

    print(render(make_engine(FollowupSettings().database_url)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.followup")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the engine (the default)")
    sub.add_parser("report", help="per-scenario sent / skipped / converted counts and converted GMV")
    bench = sub.add_parser("bench", help="ingestion and delivery benchmark on loopback")
    bench.add_argument("--events", type=int, default=100_000)
    bench.add_argument("--buyers", type=int, default=10_000)
    bench.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logmask.install()  # after basicConfig: its handler masks buyers' phones and addresses too
    if args.command in (None, "run"):
        run()
    elif args.command == "report":
        report()
    else:
        from xiaoer.followup.bench import bench as run_bench

        run_bench(args.events, args.buyers, args.database_url)


if __name__ == "__main__":
    main()
