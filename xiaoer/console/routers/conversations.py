"""One conversation: transcript, panel, suggestions and the agent's replies."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from xiaoer.console.auth import Session
from xiaoer.console.deps import api_session, csrf_session, get_service, page_session
from xiaoer.console.routers.queue import console_page
from xiaoer.console.service import ConsoleService, NotFound

router = APIRouter()


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    conversation_id: str,
    request: Request,
    session: Session = Depends(page_session),
    service: ConsoleService = Depends(get_service),
):
    # Another store's agent, or an unknown id: 404, not an empty page.
    if not service.serves(session.agent) or not await run_in_threadpool(
        service.trackers.exists, conversation_id
    ):
        raise NotFound(conversation_id)
    return console_page(request, session, conversation_id)


@router.get("/api/conversations/{conversation_id}")
async def conversation(
    conversation_id: str,
    session: Session = Depends(api_session),
    service: ConsoleService = Depends(get_service),
):
    return await run_in_threadpool(service.conversation, session.agent, conversation_id)


@router.get("/api/conversations/{conversation_id}/panel")
async def panel(
    conversation_id: str,
    session: Session = Depends(api_session),
    service: ConsoleService = Depends(get_service),
):
    return await run_in_threadpool(service.panel, session.agent, conversation_id)


@router.post("/api/conversations/{conversation_id}/suggestions")
async def suggestions(
    conversation_id: str,
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    # POST: showing suggestions is recorded in the decision log.
    return {"suggestions": await run_in_threadpool(service.suggestions, session.agent, conversation_id)}


@router.post("/api/conversations/{conversation_id}/suggestions/{suggestion_id}/accept")
async def accept(
    conversation_id: str,
    suggestion_id: str,
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    await run_in_threadpool(service.accept, session.agent, conversation_id, suggestion_id)
    return {"ok": True}


@router.post("/api/conversations/{conversation_id}/suggestions/{suggestion_id}/edit")
async def edit(
    conversation_id: str,
    suggestion_id: str,
    text: str = Body("", embed=True),
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    await run_in_threadpool(service.edit, session.agent, conversation_id, suggestion_id, text)
    return {"ok": True}


@router.post("/api/conversations/{conversation_id}/suggestions/{suggestion_id}/reject")
async def reject(
    conversation_id: str,
    suggestion_id: str,
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    await run_in_threadpool(service.reject, session.agent, conversation_id, suggestion_id)
    return {"ok": True}


@router.post("/api/conversations/{conversation_id}/messages")
async def send(
    conversation_id: str,
    text: str = Body("", embed=True),
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    await run_in_threadpool(service.send, session.agent, conversation_id, text)
    return {"ok": True}


@router.post("/api/conversations/{conversation_id}/hand-back")
async def hand_back(
    conversation_id: str,
    session: Session = Depends(csrf_session),
    service: ConsoleService = Depends(get_service),
):
    await run_in_threadpool(service.hand_back, session.agent, conversation_id)
    return {"ok": True}
