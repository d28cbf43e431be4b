"""The buyer web chat page: public, talks to Rasa's socket.io channel directly.

Who the buyer is comes from a buyer token the store's site signed (docs/channels.md): a store
embeds this page as `/chat#token=<buyer token>` (a fragment never reaches a server log). Without a
token the visitor is anonymous. In development only (`make run` sets XIAOER_DEV_MODE),
`/chat?buyer=demo` mints a token for that demo buyer.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xiaoer import identity
from xiaoer.console.deps import get_service
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render

router = APIRouter()
DEV_TOKEN_SECONDS = 8 * 3600


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request, buyer: str = "", service: ConsoleService = Depends(get_service)):
    settings = service.settings
    token = ""
    if settings.dev_mode and settings.buyer_token_secret and buyer.strip():
        token = identity.mint(settings.buyer_token_secret, buyer.strip()[:64], DEV_TOKEN_SECONDS)
    return HTMLResponse(render(request, "chat.html", socket_url=settings.socket_url, buyer_token=token))
