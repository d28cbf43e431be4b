"""The console page and the queue of conversations waiting for a human."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from xiaoer.console.auth import Session
from xiaoer.console.deps import api_session, get_service, page_session
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render

router = APIRouter()


def console_page(request: Request, session: Session, conversation_id: str = "") -> HTMLResponse:
    return HTMLResponse(
        render(
            request,
            "console.html",
            agent=session.agent,
            csrf_token=session.csrf_token,
            conversation_id=conversation_id,
            timezone=request.app.state.service.settings.store_timezone,
        )
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request, session: Session = Depends(page_session)):
    return console_page(request, session)


@router.get("/api/queue")
async def queue(session: Session = Depends(api_session), service: ConsoleService = Depends(get_service)):
    return {"queue": await run_in_threadpool(service.queue, session.agent)}
