"""Live updates by server-sent events: the queue, and the open conversation's transcript."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from xiaoer.console.auth import Session
from xiaoer.console.deps import api_session, get_service
from xiaoer.console.service import ConsoleService, NotFound

router = APIRouter()

HEARTBEAT_SECONDS = 15.0


def _event(name: str, data) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/api/stream")
async def stream(
    request: Request,
    conversation_id: str = "",
    session: Session = Depends(api_session),
    service: ConsoleService = Depends(get_service),
):
    agent = session.agent
    if conversation_id and (
        not service.serves(agent) or not await run_in_threadpool(service.trackers.exists, conversation_id)
    ):
        raise NotFound(conversation_id)

    async def events():
        last_queue = None
        last_event_id = None
        idle = 0.0
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            # The session may expire or be closed while the page stays open.
            if await run_in_threadpool(service.agents.session, session.token) is None:
                yield _event("logout", {})
                return
            queue = await run_in_threadpool(service.queue, agent)
            signature = [(q["conversation_id"], q["waiting_since"], q["last_event_id"]) for q in queue]
            if signature != last_queue:
                last_queue = signature
                yield _event("queue", queue)
                idle = 0.0
            if conversation_id:
                event_id = await run_in_threadpool(service.trackers.last_event_id, conversation_id)
                if event_id != last_event_id:
                    last_event_id = event_id
                    conversation = await run_in_threadpool(service.conversation, agent, conversation_id)
                    yield _event("conversation", conversation)
                    idle = 0.0
            if idle >= HEARTBEAT_SECONDS:
                yield ": keep-alive\n\n"
                idle = 0.0
            await asyncio.sleep(service.settings.poll_seconds)
            idle += service.settings.poll_seconds

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
