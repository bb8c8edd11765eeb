"""The overview: stages, overdue items, upcoming assessments, traffic and delivery failures."""

import re
from datetime import timedelta

from console_support import add_business
from sqlalchemy import update

from bot.channels.provider import Inbound
from bot.models import OutboundMessage


def figure(page: str, label: str) -> str:
    found = re.search(r"<strong>([^<]*)</strong><span>" + re.escape(label), page)
    assert found, label
    return found.group(1)


def test_the_overview_counts_what_needs_attention(console, world) -> None:
    add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    engine = console.runtime.engine
    engine.handle(Inbound("sim", "+15550009999", "a1", "hi"))
    console.clock.advance(timedelta(days=33))
    engine.handle(Inbound("sim", "+15550009999", "a2", "1"))
    with console.runtime.store.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.address == world.leader)
            .values(status="failed", error_code="30003", status_updated_at=console.clock.now())
        )
    page = console.sign_in("viewer").get("/admin/").text
    assert figure(page, "businesses") == "2"
    assert figure(page, "overdue items") == "1"
    assert figure(page, "delivery failures") != "0"
    assert figure(page, "messages in, last 14 days") == "1"
    overdue = page[page.index('id="overdue"') :][:1500]
    assert "Blue Thread Embroidery" in overdue and "Write down the piece rate" in overdue
    assert '<td class="num">3</td>' in overdue  # due 30 days after the start, 33 days passed
    failures = page[page.index('id="failures"') :]
    assert "30003" in failures and world.leader in failures
    stages = page[page.index('id="stages"') :][:4000]
    assert "<svg" in stages and "Remediation: 1" in stages and "Registered: 1" in stages


def test_assessments_due_soon_are_listed(console, world) -> None:
    console.clock.advance(timedelta(days=150))
    page = console.sign_in("viewer").get("/admin/").text
    assert figure(page, "assessments in the next 60 days") == "1"
    upcoming = page[page.index('id="upcoming"') :][:1500]
    assert "Blue Thread Embroidery" in upcoming and "2026-07-04" in upcoming
    console.clock.advance(timedelta(days=60))
    late = console.sign_in("viewer", "late@example.org").get("/admin/").text
    assert "outcome missing" in late


def test_an_empty_programme_still_has_an_overview(console) -> None:
    page = console.sign_in("viewer").get("/admin/").text
    assert figure(page, "businesses") == "0"
    assert "Nothing overdue." in page and "No failed deliveries." in page
