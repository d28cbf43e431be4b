"""Request dependencies: the service, the signed-in agent, CSRF checks."""

from __future__ import annotations

from fastapi import Depends, HTTPException, Request

from xiaoer.console.auth import Session, csrf_matches
from xiaoer.console.service import ConsoleService

SESSION_COOKIE = "xiaoer_console_session"
LOGIN_CSRF_COOKIE = "xiaoer_console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """A page asked for without a valid session: redirect to the login page."""


def get_service(request: Request) -> ConsoleService:
    return request.app.state.service


def current_session(request: Request, service: ConsoleService = Depends(get_service)) -> Session | None:
    return service.agents.session(request.cookies.get(SESSION_COOKIE))


def page_session(session: Session | None = Depends(current_session)) -> Session:
    if session is None:
        raise LoginRequired()
    return session


def api_session(session: Session | None = Depends(current_session)) -> Session:
    if session is None:
        raise HTTPException(status_code=401, detail="请先登录")
    return session


def csrf_session(request: Request, session: Session = Depends(api_session)) -> Session:
    """Every state-changing API call carries the session's CSRF token in a header."""
    if not csrf_matches(session.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong; reload the page")
    return session


def trainer_page_session(session: Session = Depends(page_session)) -> Session:
    if not session.agent.is_trainer:
        raise HTTPException(status_code=403, detail="需要训练师权限")
    return session


def trainer_session(session: Session = Depends(api_session)) -> Session:
    if not session.agent.is_trainer:
        raise HTTPException(status_code=403, detail="需要训练师权限")
    return session


def trainer_csrf_session(session: Session = Depends(csrf_session)) -> Session:
    if not session.agent.is_trainer:
        raise HTTPException(status_code=403, detail="需要训练师权限")
    return session
