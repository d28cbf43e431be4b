"""A buyer on the web chat page and an agent in the console, in a real (headless) chromium."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    AGENT_LOGIN,
    BUYER,
    LATEST_EVENT,
    SCREENSHOTS,
    SHIPPED_ORDER,
    TRACKING_NO,
)
from tests.e2e.conftest import Stack

XSS = "<script>alert(1)</script>"


def open_chat(page: Page, web: Stack, buyer: str) -> None:
    page.goto(f"{web.console_url}/chat?buyer={buyer}")
    expect(page.locator("#chat")).to_have_attribute("data-ready", "true")


def say(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")
    expect(page.locator(".row.buyer .bubble").last).to_have_text(text)


def bot_rows(page: Page, text: str):
    return page.locator(".row.bot").filter(has_text=text)


def log_in(page: Page, web: Stack) -> None:
    page.goto(f"{web.console_url}/login")
    page.fill("#login", AGENT_LOGIN)
    page.fill("#password", web.agent_password)
    page.click("#login-submit")
    expect(page).to_have_url(f"{web.console_url}/")


def open_conversation(page: Page, buyer: str) -> None:
    item = page.locator(f'#queue-list li[data-conversation="{buyer}"]')
    expect(item).to_be_visible()
    item.locator("a").click()
    expect(page.locator("#buyer-id")).to_have_text(buyer)


def test_buyer_asks_for_logistics_and_sees_the_tracking_facts(pages, web: Stack) -> None:
    buyer_page, _, dialogs = pages
    open_chat(buyer_page, web, BUYER)
    say(buyer_page, f"我的订单{SHIPPED_ORDER}到哪了")
    expect(bot_rows(buyer_page, TRACKING_NO)).to_have_count(1)
    expect(bot_rows(buyer_page, LATEST_EVENT)).to_have_count(1)
    expect(bot_rows(buyer_page, "顺丰速运")).not_to_have_count(0)
    assert dialogs == []


def test_handover_suggestion_edit_and_hand_back(pages, web: Stack) -> None:
    from xiaoer.assist.decisions import DecisionLog

    buyer_page, agent_page, dialogs = pages
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    buyer = "browser_handover"
    web.put(f"/api/buyers/{buyer}", {"nickname": "转人工买家"})
    web.put(
        "/api/orders/269900000102",
        {
            "buyer_id": buyer,
            "items": [{"sku": "WEB-TV-77Q9X", "qty": 1, "unit_price": 15999}],
            "status": "shipped",
            "created_at": (started - timedelta(days=2)).isoformat(timespec="seconds"),
            "paid_at": (started - timedelta(days=2)).isoformat(timespec="seconds"),
        },
    )
    web.put(
        "/api/orders/269900000102/shipment",
        {
            "carrier": "京东物流",
            "tracking_no": "JDVA0011223344",
            "events": [
                {
                    "time": started.isoformat(timespec="seconds"),
                    "location": "北京",
                    "description": "配送员正在派送",
                }
            ],
        },
    )
    open_chat(buyer_page, web, buyer)
    say(buyer_page, "转人工")
    expect(bot_rows(buyer_page, "人工")).to_have_count(1)
    # Paused: the bot stays silent; the question waits for the agent.
    say(buyer_page, "我的快递到哪了")

    log_in(agent_page, web)
    open_conversation(agent_page, buyer)
    expect(agent_page.locator("#transcript .msg.buyer").last).to_contain_text("我的快递到哪了")
    expect(agent_page.locator("#conversation-state")).to_have_text("人工处理中")
    # The suggestion carries the live tracking facts from the store, through the bot's own action.
    live = agent_page.locator("#suggestion-list li.suggestion").filter(has_text="JDVA0011223344").first
    expect(live).to_be_visible()
    expect(agent_page.locator("#panel-shipment")).to_contain_text("JDVA0011223344")
    live.locator("button.accept").click()
    expect(live).to_have_class(re.compile(r"\bdecided\b"))
    expect(bot_rows(buyer_page, "JDVA0011223344")).to_have_count(1)
    expect(agent_page.locator("#transcript .msg.agent").last).to_contain_text("JDVA0011223344")
    agent_page.screenshot(path=str(SCREENSHOTS / "console.png"))

    # The buyer asks again: the transcript and suggestions update by themselves; the agent edits one.
    before = agent_page.locator("#suggestion-list li.suggestion").first.get_attribute("data-suggestion")
    say(buyer_page, "大概什么时候能送到？")
    expect(agent_page.locator("#transcript .msg.buyer").last).to_contain_text("大概什么时候能送到")
    expect(agent_page.locator("#suggestion-list li.suggestion").first).not_to_have_attribute(
        "data-suggestion", before or ""
    )
    first = agent_page.locator("#suggestion-list li.suggestion").first
    first.locator("button.edit").click()
    edited = "（客服已核实）快递今天下午送达，请保持电话畅通。"
    first.locator("textarea.suggestion-edit").fill(edited)
    first.locator("button.send-edited").click()
    expect(bot_rows(buyer_page, edited)).to_have_count(1)

    agent_page.click("#hand-back")
    expect(bot_rows(buyer_page, "小二继续为您服务")).to_have_count(1)
    expect(agent_page.locator("#conversation-state")).to_have_text("机器人接待中")
    expect(agent_page.locator(f'#queue-list li[data-conversation="{buyer}"]')).to_have_count(0)
    say(buyer_page, "77Q9X的刷新率是多少")
    expect(bot_rows(buyer_page, "240Hz")).to_have_count(1)

    log = DecisionLog(web.env["XIAOER_ASSIST_DATABASE_URL"])
    until = datetime.now(timezone.utc) + timedelta(seconds=5)
    sent = [m for m in log.agent_messages_between(started, until) if m["conversation_id"] == buyer]
    assert len(sent) == 2 and all(m["suggestion_id"] for m in sent), sent
    decisions = {log.suggestion(m["suggestion_id"])["decision"] for m in sent}
    assert decisions == {"accepted", "edited"}
    assert edited in [m["text"] for m in sent]
    assert dialogs == []


def test_buyer_markup_shows_as_text_on_both_pages(pages, web: Stack) -> None:
    buyer_page, agent_page, dialogs = pages
    buyer = "browser_xss"
    open_chat(buyer_page, web, buyer)
    say(buyer_page, "转人工")
    expect(bot_rows(buyer_page, "人工")).to_have_count(1)
    say(buyer_page, XSS)
    expect(buyer_page.locator(".row.buyer .bubble").last).to_have_text(XSS)
    assert buyer_page.locator(".row.buyer script").count() == 0

    log_in(agent_page, web)
    item = agent_page.locator(f'#queue-list li[data-conversation="{buyer}"]')
    expect(item).to_contain_text(XSS)
    open_conversation(agent_page, buyer)
    expect(agent_page.locator("#transcript .msg.buyer .bubble").last).to_have_text(XSS)
    assert agent_page.locator("#transcript script").count() == 0
    # The agent's own markup reaches the buyer as text too.
    agent_page.fill("#compose-text", "<b>加粗</b><img src=x onerror=alert(2)>")
    agent_page.click("#compose-send")
    expect(bot_rows(buyer_page, "<b>加粗</b>")).to_have_count(1)
    assert buyer_page.locator(".row.bot b, .row.bot img[src='x']").count() == 0
    agent_page.click("#hand-back")
    expect(bot_rows(buyer_page, "小二继续为您服务")).to_have_count(1)
    assert dialogs == []


def test_rich_answers_render_on_the_chat_page(pages, web: Stack) -> None:
    from xiaoer.rasa_ext.client import RasaClient

    buyer_page, _, dialogs = pages
    buyer = "browser_rich"
    open_chat(buyer_page, web, buyer)
    say(buyer_page, "你好")
    expect(buyer_page.locator(".row.bot")).not_to_have_count(0)
    rasa = RasaClient(web.rasa_url, web.rasa_token)
    detail = "1. 官方挂架免费上门安装；\n2. 立柱式支架另收 199 元；\n3. 安装后 7 天内不满意可重新调整。"
    rasa.send_agent_message(
        buyer,
        "电视挂架安装免费",
        "rich_test",
        custom={
            "type": "folded",
            "text": "电视挂架安装免费",
            "summary": "电视挂架安装免费，详情展开查看",
            "detail": detail,
        },
    )
    rasa.send_agent_message(
        buyer,
        "这是挂架安装示意图",
        "rich_test",
        custom={
            "type": "image",
            "text": "这是挂架安装示意图",
            "image_url": f"{web.console_url}/static/img/wall-mount.svg",
        },
    )
    rasa.send_agent_message(
        buyer,
        "还有其他问题吗？",
        "rich_test",
        buttons=[
            {"title": "查物流", "payload": "/query_logistics"},
            {"title": "转人工", "payload": "/request_human"},
        ],
    )
    folded = buyer_page.locator('.bubble[data-type="folded"]')
    # Once, as the folded answer: not also as its plain fallback text.
    expect(bot_rows(buyer_page, "电视挂架安装免费")).to_have_count(1)
    expect(folded.locator(".summary")).to_have_text("电视挂架安装免费，详情展开查看")
    expect(folded.locator(".detail")).to_be_hidden()
    folded.locator("button.expand").click()
    expect(folded.locator(".detail")).to_be_visible()
    expect(folded.locator(".detail")).to_contain_text("立柱式支架另收 199 元")
    expect(folded.locator("button.expand")).to_have_text("收起")
    image = buyer_page.locator('.bubble[data-type="image"]')
    expect(image).to_contain_text("这是挂架安装示意图")
    expect(image.locator("img")).to_have_attribute("src", f"{web.console_url}/static/img/wall-mount.svg")
    replies = buyer_page.locator(".quick-reply")
    expect(replies).to_have_text(["查物流", "转人工"])
    buyer_page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)
    # A quick reply sends its payload; the page shows its title as the buyer's message.
    replies.last.click()
    expect(buyer_page.locator(".row.buyer .bubble").last).to_have_text("转人工")
    expect(bot_rows(buyer_page, "人工")).not_to_have_count(0)
    assert dialogs == []


def test_knowledge_answers_in_every_style_reach_the_chat_page(pages, web: Stack) -> None:
    """Asked on the page, answered by the real pipeline from knowledge/: multi, video, screenshot."""
    buyer_page, _, dialogs = pages
    open_chat(buyer_page, web, "browser_kb_styles")

    # multi: a text message, then an image message, in that order.
    say(buyer_page, "怎么加入店铺会员，要收费吗？")
    expect(bot_rows(buyer_page, "店铺会员免费加入")).to_have_count(1)
    guide = buyer_page.locator('.bubble[data-type="image"]').filter(has_text="入会入口在这里")
    expect(guide.locator("img")).to_have_attribute(
        "src", "https://static.haiyue-demo.example/guide/join-membership.png"
    )
    bot_texts = buyer_page.locator(".row.bot .bubble").all_inner_texts()
    assert [i for i, t in enumerate(bot_texts) if "店铺会员免费加入" in t] < [
        i for i, t in enumerate(bot_texts) if "入会入口在这里" in t
    ]

    # video: a player with its poster, not a link.
    say(buyer_page, "电视底座怎么装，可以自己装吗？")
    video = buyer_page.locator('.bubble[data-type="video"]')
    expect(video).to_have_count(1)
    expect(video.locator("video")).to_have_attribute("controls", "")
    assert video.locator("video").get_attribute("src").startswith("https://")

    # screenshot: the product named in the question, its detail page from the store.
    say(buyer_page, "77Q9X详情页图片和实物一样吗，参数以哪个为准？")
    shot = buyer_page.locator('.bubble[data-type="screenshot"]')
    expect(shot).to_contain_text("详情页")
    expect(shot.locator(".screenshot img")).to_have_attribute(
        "src", f"{web.console_url}/static/img/wall-mount.svg"
    )
    buyer_page.screenshot(path=str(SCREENSHOTS / "chat-knowledge.png"), full_page=True)
    assert dialogs == []
