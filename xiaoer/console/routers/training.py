"""The 训练师 pages: missed-question clusters, a masked conversation viewer, and edits that turn
selected messages into training data (preview a diff, then write). Trainers only."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from xiaoer.console.auth import Session
from xiaoer.console.deps import get_service, trainer_csrf_session, trainer_page_session, trainer_session
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render
from xiaoer.console.training import TrainingDesk
from xiaoer.trainer.mining import parse_period

router = APIRouter()


def desk(service: ConsoleService, session: Session) -> TrainingDesk:
    if service.training is None:
        raise HTTPException(status_code=503, detail="这个工作台没有配置训练师功能")
    if not service.serves(session.agent):
        raise HTTPException(status_code=403, detail="只能处理本店的数据")
    return service.training


@router.get("/trainer", response_class=HTMLResponse)
def trainer_page(request: Request, session: Session = Depends(trainer_page_session)):
    return HTMLResponse(render(request, "trainer.html", agent=session.agent, csrf_token=session.csrf_token))


@router.get("/api/trainer/clusters")
async def clusters(
    since: str = Query("24h"),
    again: bool = Query(False),
    session: Session = Depends(trainer_session),
    service: ConsoleService = Depends(get_service),
):
    training = desk(service, session)
    try:
        period = parse_period(since)
    except ValueError:
        raise HTTPException(status_code=400, detail="时间范围写成 90m、24h 或 7d") from None
    return await run_in_threadpool(training.clusters, period, again)


@router.get("/api/trainer/churn")
async def churn(
    since: str = Query("7d"),
    window: str = Query("72h"),
    session: Session = Depends(trainer_session),
    service: ConsoleService = Depends(get_service),
):
    training = desk(service, session)
    try:
        period, wait = parse_period(since), parse_period(window)
    except ValueError:
        raise HTTPException(status_code=400, detail="时间范围写成 90m、24h 或 7d") from None
    return await run_in_threadpool(training.churn, period, wait)


@router.get("/api/trainer/targets")
async def targets(
    session: Session = Depends(trainer_session), service: ConsoleService = Depends(get_service)
):
    return await run_in_threadpool(desk(service, session).targets)


@router.get("/api/trainer/conversations/{conversation_id}")
async def conversation(
    conversation_id: str,
    session: Session = Depends(trainer_session),
    service: ConsoleService = Depends(get_service),
):
    found = await run_in_threadpool(desk(service, session).conversation, service.trackers, conversation_id)
    if found is None:
        raise HTTPException(status_code=404, detail="没有这个会话")
    return found


@router.post("/api/trainer/edits/{kind}")
async def edit(
    kind: str,
    body: dict = Body(...),
    session: Session = Depends(trainer_csrf_session),
    service: ConsoleService = Depends(get_service),
):
    """{"texts": [...], "intent" | "key" | "category", "id", "question", "answer", "write": bool}"""
    if kind not in ("examples", "variants", "entry"):
        raise HTTPException(status_code=404, detail="没有这个操作")
    return await run_in_threadpool(desk(service, session).edit, kind, body, bool(body.get("write")))
