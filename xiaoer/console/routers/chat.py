"""The buyer web chat page: public, talks to Rasa's socket.io channel directly."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xiaoer.console.deps import get_service
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render

router = APIRouter()


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request, service: ConsoleService = Depends(get_service)):
    return HTMLResponse(render(request, "chat.html", socket_url=service.settings.socket_url))
