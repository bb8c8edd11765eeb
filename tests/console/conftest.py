"""The console served by a real uvicorn on a free local port, against the test database.

`console` starts the app for one test (fresh runtime and ManualClock); `sign_in` returns an
httpx client logged in with a given role, which knows the page's CSRF token.
"""

import io
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from console_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Client,
    Console,
    World,
    add_business,
    add_evidence,
    serve,
)
from PIL import Image
from sqlalchemy import select

from bot.app import create_app
from bot.clock import ManualClock
from bot.domain.actions import create_action_item
from bot.domain.assessments import record_pre_assessment
from bot.domain.broadcasts import create_broadcast
from bot.domain.reports import issue
from bot.domain.supply import add_node
from bot.domain.surveys import open_survey
from bot.domain.tickets import help_asked
from bot.models import ActionItem, Contact, Ticket
from bot.runtime import Runtime
from bot.settings import Settings


@pytest.fixture
def make_console(store, migrated, tmp_path) -> Iterator[Callable[..., Console]]:
    """Start a console with settings changed from the default test ones (say
    require_admin_totp=True); each runs until the test ends. Local keys go in tmp_path."""
    stops = []

    def make(**changes: object) -> Console:
        values = {
            "database_url": migrated,
            "public_base_url": "http://127.0.0.1",
            "data_dir": str(tmp_path / "data"),
            **changes,
        }
        clock = ManualClock()
        runtime = Runtime(Settings(**values), clock)
        app = create_app(runtime)
        url, stop = serve(app)
        stops.append(stop)
        return Console(url, app, runtime, clock)

    yield make
    for stop in stops:
        stop()


@pytest.fixture
def console(make_console) -> Console:
    return make_console()


@pytest.fixture
def sign_in(console) -> Callable[..., Client]:
    return console.sign_in


@pytest.fixture
def world(console) -> World:
    now = console.clock.now()
    business_id = add_business(console, "+15550100001", "Blue Thread Embroidery")
    with console.runtime.store.transaction() as session:
        group = add_node(
            session, business_id, now, name="Sunita's stitching group", place="Sanganer",
            process="embroidery", workers=40, home_workers=30, payment_method="cash",
        )  # fmt: skip
        add_node(
            session, business_id, now, name="Chomu home workers", place="Chomu",
            process="tassels", workers=8, home_workers=8, payment_method="cash",
            parent_id=group.id,
        )  # fmt: skip
        item = create_action_item(
            session, business_id, "remediation", "major", "Write down the piece rate",
            now.date() + timedelta(days=30), now,
        )  # fmt: skip
        assessment = record_pre_assessment(
            session, business_id, now.date() - timedelta(days=1), now, 6
        )
        survey = open_survey(session, business_id, now, None, "Chomu workers")
        broadcast = create_broadcast(
            session, {"en": "Training on Monday"}, {}, now + timedelta(days=1), now
        )
        made = (group.id, item.id, assessment.id, survey.id, survey.code, broadcast.id)
    # The leader sent a photo as the item's evidence, fetched and kept.
    [photo] = add_evidence(console, "+15550100001", made[1], [(small_jpeg(), "image/jpeg")])
    with console.runtime.store.transaction() as session:
        report = issue(
            session, business_id, "pre_assessment", now, staff_id=None,
            public_base_url=console.runtime.settings.public_base_url, link_days=30,
        )  # fmt: skip
        report_id = report.id
        leader = session.scalar(select(Contact).where(Contact.address == "+15550100001"))
        help_asked(session, leader, session.get(ActionItem, made[1]), now)
        ticket_id = session.scalar(select(Ticket.id))

    return World(
        business_id, "+15550100001", *made, attachment_id=photo, report_id=report_id,
        ticket_id=ticket_id,
    )  # fmt: skip


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright; required in CI, optional on a laptop."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"no browser at {CHROMIUM} (scripts/test installs Debian's chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
