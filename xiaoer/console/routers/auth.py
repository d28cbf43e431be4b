"""Log in and out. The login form is CSRF-protected by a double-submit cookie."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from xiaoer.console.auth import csrf_matches
from xiaoer.console.deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, current_session, get_service
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render

router = APIRouter()


def _login_page(
    request: Request, service: ConsoleService, error: str = "", status: int = 200, headers: dict | None = None
):
    token = secrets.token_urlsafe(32)
    page = HTMLResponse(
        render(request, "login.html", csrf_token=token, error=error), status_code=status, headers=headers
    )
    page.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
        secure=service.settings.secure_cookies, max_age=3600,
    )  # fmt: skip
    return page


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, service: ConsoleService = Depends(get_service), session=Depends(current_session)
):
    if session is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, service)


@router.post("/login")
def login(
    request: Request,
    login: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    service: ConsoleService = Depends(get_service),
):
    # Every attempt counts, per login and per client address, before anything is checked: a
    # refused guess costs no hash and says nothing about the login or the password.
    address = request.client.host if request.client else ""
    attempt = service.login_attempt(login, address)
    if not attempt.allowed:
        wait = attempt.retry_after_header
        return _login_page(
            request, service, f"尝试次数过多，请 {wait} 秒后再试。", status=429, headers={"Retry-After": wait}
        )
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, service, "页面已过期，请重新登录。", status=403)
    agent = service.agents.authenticate(login.strip(), password)
    if agent is None:
        return _login_page(request, service, "账号或密码不正确。", status=401)
    session = service.agents.open_session(agent)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session.token, httponly=True, samesite="strict",
        secure=service.settings.secure_cookies,
        max_age=int(service.agents.session_ttl.total_seconds()),
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: str = Form(""),
    service: ConsoleService = Depends(get_service),
    session=Depends(current_session),
):
    if session is not None:
        if not csrf_matches(session.csrf_token, csrf_token):
            return HTMLResponse("CSRF token missing or wrong", status_code=403)
        service.agents.close_session(session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
