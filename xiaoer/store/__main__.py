"""`python -m xiaoer.store`: serve the store API with settings from the environment."""

from __future__ import annotations

import sys

import uvicorn

from xiaoer import logmask
from xiaoer.settings import StoreServerSettings
from xiaoer.store.app import create_app


def main() -> None:
    logmask.install()  # buyers' phones and addresses never reach the log unmasked
    settings = StoreServerSettings()
    if not settings.store_token:
        sys.exit(
            "xiaoer.store: XIAOER_STORE_TOKEN is empty. Set it to the bearer token clients must "
            "send, e.g. export XIAOER_STORE_TOKEN=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))')"
        )
    app = create_app(settings.store_database_url, settings.store_token, settings.store_read_token)
    # ws="none": the store has no websockets, and Rasa's pinned websockets lacks what
    # uvicorn's websocket protocol imports.
    uvicorn.run(app, host=settings.store_host, port=settings.store_port, ws="none")


if __name__ == "__main__":
    main()
