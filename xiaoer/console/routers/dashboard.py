"""The metrics dashboard: a page of charts, its figures as JSON, and the same as CSV."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xiaoer.console.auth import Session
from xiaoer.console.dashboard import BadRange, Dashboard, to_csv
from xiaoer.console.deps import api_session, get_service, page_session
from xiaoer.console.service import ConsoleService
from xiaoer.console.templating import render

router = APIRouter()
DEFAULT_DAYS = 7


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: Session = Depends(page_session)):
    service: ConsoleService = request.app.state.service
    return HTMLResponse(
        render(
            request,
            "dashboard.html",
            agent=session.agent,
            csrf_token=session.csrf_token,
            timezone=service.settings.store_timezone,
        )
    )


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"{name} 不是日期（YYYY-MM-DD）：{value[:40]}") from None


async def figures(service: ConsoleService, session: Session, first: str | None, last: str | None, by: str):
    dashboard: Dashboard | None = service.dashboard
    if dashboard is None:
        raise HTTPException(status_code=503, detail="这个工作台没有配置数据看板")
    if not service.serves(session.agent):
        raise HTTPException(status_code=403, detail="只能查看本店的数据")
    end = parse_day(last, "to") or datetime.now(dashboard.zone).date()
    start = parse_day(first, "from") or end - timedelta(days=(1 if by == "hour" else DEFAULT_DAYS) - 1)
    try:
        return await run_in_threadpool(dashboard.report, start, end, by)
    except BadRange as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/api/dashboard")
async def dashboard_figures(
    first: str | None = Query(None, alias="from"),
    last: str | None = Query(None, alias="to"),
    by: str = Query("day"),
    session: Session = Depends(api_session),
    service: ConsoleService = Depends(get_service),
):
    return await figures(service, session, first, last, by)


@router.get("/api/dashboard.csv")
async def dashboard_csv(
    first: str | None = Query(None, alias="from"),
    last: str | None = Query(None, alias="to"),
    by: str = Query("day"),
    session: Session = Depends(api_session),
    service: ConsoleService = Depends(get_service),
):
    report = await figures(service, session, first, last, by)
    name = f"xiaoer-metrics-{report['from']}-{report['to']}-by-{report['by']}.csv"
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
