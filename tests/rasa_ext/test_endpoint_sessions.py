"""Rasa's endpoint calls reuse one kept session (and its connection) instead of one per call."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from xiaoer.rasa_ext import endpoint_sessions


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", endpoint_sessions._ORIGINAL_SESSION)
    endpoint_sessions.install()


async def serving(handler_log: list) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        handler_log.append(
            (request.transport.get_extra_info("peername")[1], request.headers.get("Authorization"), body)
        )
        return web.json_response({"events": [], "responses": [{"text": f"got {body['n']}"}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def port_of(runner: web.AppRunner) -> int:
    return runner.addresses[0][1]


async def close(config: EndpointConfig) -> None:
    async with config.session() as session:
        await session.close()


def test_calls_share_one_connection_and_keep_headers_and_auth(installed):
    seen: list = []

    async def go():
        runner = await serving(seen)
        config = EndpointConfig(
            f"http://127.0.0.1:{port_of(runner)}/webhook", basic_auth={"username": "u", "password": "p"}
        )
        answers = [await config.request(json={"n": n}) for n in range(3)]
        await close(config)
        await runner.cleanup()
        return answers

    answers = asyncio.run(go())
    assert [a["responses"][0]["text"] for a in answers] == ["got 0", "got 1", "got 2"]
    assert len({peer_port for peer_port, _, _ in seen}) == 1  # one TCP connection for all three
    assert all(auth and auth.startswith("Basic ") for _, auth, _ in seen)


def test_a_closed_session_is_replaced(installed):
    seen: list = []

    async def go():
        runner = await serving(seen)
        config = EndpointConfig(f"http://127.0.0.1:{port_of(runner)}/webhook")
        await config.request(json={"n": 1})
        await close(config)
        answer = await config.request(json={"n": 2})
        await close(config)
        await runner.cleanup()
        return answer

    assert asyncio.run(go())["responses"][0]["text"] == "got 2"
    assert len({peer_port for peer_port, _, _ in seen}) == 2


def test_each_event_loop_gets_its_own_session(installed):
    config = EndpointConfig("http://127.0.0.1:9/webhook")

    async def kept():
        async with config.session() as first, config.session() as again:
            return first, again

    first, again = asyncio.run(kept())  # left open: its loop is gone, the next loop must not use it
    assert first is again and not first.closed
    second, _ = asyncio.run(kept())
    assert second is not first
    asyncio.run(second.close())


def test_outside_an_event_loop_rasas_own_session_is_made(installed, monkeypatch):
    made = object()
    monkeypatch.setattr(endpoint_sessions, "_ORIGINAL_SESSION", lambda config: made)
    assert endpoint_sessions.session(EndpointConfig("http://127.0.0.1:9/webhook")) is made
