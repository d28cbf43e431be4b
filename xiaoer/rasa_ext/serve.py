"""`python -m xiaoer.rasa_ext.serve`: the Rasa server, configured from xiaoer.settings.

`rasa run --auth-token …` would put the API secret in every process listing and make clients send
it in query strings. Started from here, Rasa's HTTP API takes only short-lived HS256 JWTs signed with
XIAOER_RASA_TOKEN (xiaoer.rasa_ext.client mints them), and the secret stays in the environment.
"""

from __future__ import annotations

import logging
import sys

from xiaoer.settings import RasaServerSettings

LOG_LEVEL = logging.INFO


def main() -> None:
    settings = RasaServerSettings()
    if not settings.rasa_token:
        sys.exit("xiaoer.rasa_ext.serve: XIAOER_RASA_TOKEN is empty: Rasa's HTTP API would be open to anyone")
    if not settings.model.is_file():
        sys.exit(f"xiaoer.rasa_ext.serve: no model at {settings.model}: run `make train`")

    import rasa.api
    import threadpoolctl
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from xiaoer.rasa_ext import (
        action_payload,
        diet_inference,
        endpoint_sessions,
        graph_runner,
        prediction_cache,
        sessions,
        speedups,
    )

    sessions.install(settings.session_max_turns)
    speedups.install(debug_logs=LOG_LEVEL <= logging.DEBUG)
    endpoint_sessions.install()
    action_payload.install()
    diet_inference.install()
    # NumPy's OpenBLAS splits even DIET's 12 x 128 products over every core and spin-waits on the
    # other: twice the CPU for the same wall time (measured, docs/scaling.md). Requests run side by
    # side, not one product.
    threadpoolctl.threadpool_limits(1, user_api="blas")
    # Before the model loads: its graph nodes keep the policy methods they find, and the processor
    # builds its graph runner from the class it finds.
    prediction_cache.install()
    graph_runner.install()

    configure_logging_and_warnings(LOG_LEVEL, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(LOG_LEVEL)
    rasa.api.run(
        model=str(settings.model),
        endpoints=str(settings.endpoints),
        credentials=str(settings.credentials),
        enable_api=True,
        interface=settings.rasa_interface,
        port=settings.rasa_port,
        jwt_secret=settings.rasa_token,
        jwt_method="HS256",
        response_timeout=settings.response_timeout,
    )


if __name__ == "__main__":
    main()
