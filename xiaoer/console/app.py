"""The console's FastAPI application: create_app(service)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from xiaoer import __version__
from xiaoer.console.deps import LoginRequired
from xiaoer.console.routers import auth, chat, conversations, dashboard, health, queue, stream, training
from xiaoer.console.service import BadInput, Conflict, ConsoleService, NotFound, Unavailable
from xiaoer.console.training import TrainingUnavailable
from xiaoer.trainer.edits import EditRefused

HERE = Path(__file__).resolve().parent

SECURITY_HEADERS = {
    # Scripts only from our own origin (no inline script): injected markup cannot run.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "media-src 'self' https:; connect-src 'self' http: https: ws: wss:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def create_app(service: ConsoleService) -> FastAPI:
    app = FastAPI(title="Xiaoer agent console", version=__version__, docs_url=None, redoc_url=None)
    app.state.service = service
    # Autoescape everything: buyer text only ever reaches pages as escaped text.
    app.state.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (health, auth, queue, conversations, stream, chat, dashboard, training):
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return JSONResponse({"detail": "没有这个会话"}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        return JSONResponse({"detail": "这条建议已经处理过了"}, status_code=409)

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(EditRefused)
    async def edit_refused(request: Request, exc: EditRefused):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(TrainingUnavailable)
    async def training_unavailable(request: Request, exc: TrainingUnavailable):
        return JSONResponse({"detail": f"读取失败：{exc}"}, status_code=503)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable):
        return JSONResponse({"detail": "机器人服务暂时没有响应，请稍后重试"}, status_code=503)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/") or request.url.path in (
            "/login",
            "/",
            "/dashboard",
            "/trainer",
        ):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
