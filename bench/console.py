"""Console benchmark: every page a programme officer opens, timed on a programme of 300
businesses.

    .venv/bin/python -m bench.console [--database URL ...] [--businesses N] [--requests N]

Every database given (default: a temporary SQLite file) is wiped first: give scratch ones only.
It seeds the programme with the domain's own functions (leaders, businesses at every stage,
supply chains with a few trees of 60 groups six layers deep, remediation items, pre-assessment
reviews with findings, surveys with counted responses, help tickets, a broadcast, a few
thousand audit entries), signs in as an admin, then asks every console page `--requests` times
in process (no network) and prints p50 / p95 / max milliseconds per page. Target: under 300 ms.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

import bot.channels.registry  # noqa: F401  (declares the channels the outbox rows go to)
from admin.audit import record
from bench.database import fresh
from bot.app import create_app
from bot.clock import ManualClock
from bot.domain.actions import create_action_item
from bot.domain.assessments import record_pre_assessment
from bot.domain.broadcasts import create_broadcast
from bot.domain.business import register_business
from bot.domain.findings import mark
from bot.domain.standards import standards
from bot.domain.supply import add_node, confirm_mapping
from bot.domain.surveys import MIN_GROUP, open_survey, pool_response, write_pooled
from bot.domain.tickets import help_asked
from bot.models import Contact, Survey
from bot.runtime import Runtime
from bot.settings import Settings
from bot.staff import create_staff

NOW = datetime(2026, 6, 1, 9, 0)
TARGET_MS = 300
PASSWORD = "benchmark password, long enough"
ADMIN = "bench.admin@example.org"
COUNTRIES = ("IN", "MX", "GH", "PE", "NP", "GT")
BIG_TREES = 3  # businesses whose supply chain has 60 groups, six layers deep
AUDIT_ENTRIES = 3000


@dataclass(frozen=True)
class Seeded:
    big_business: int
    assessment: int
    survey: int
    broadcast: int
    ticket_business: int


def seed(runtime: Runtime, businesses: int) -> Seeded:
    """The programme as it stood 40 days before NOW (so some items are overdue by then), one
    transaction per business so no single one grows large."""
    now = NOW - timedelta(days=40)
    codes = standards().codes
    big = assessment_id = survey_id = ticket_business = 0
    with runtime.store.transaction() as session:
        create_staff(session, ADMIN, "admin", PASSWORD, now)
        for role in ("staff", "viewer"):
            create_staff(session, f"bench.{role}@example.org", role, PASSWORD, now)
    for number in range(businesses):
        with runtime.store.transaction() as session:
            leader = Contact(
                address=f"+1555{number:07d}", channel="sms", language="en", created_at=now,
                consented_at=now,
            )  # fmt: skip
            session.add(leader)
            session.flush()
            business = register_business(
                session, leader, f"Workshop {number:03d} embroidery and weaving",
                f"Village {number % 40}", COUNTRIES[number % len(COUNTRIES)], now,
            )  # fmt: skip
            groups = 60 if number < BIG_TREES else number % 6
            _chain(session, business.id, groups, now)
            if number % 6 >= 2 and groups:
                confirm_mapping(session, business.id, now)
            if number % 6 >= 3:
                review = record_pre_assessment(session, business.id, now - timedelta(days=3),
                                               now, 6)  # fmt: skip
                for index, code in enumerate(codes[:12]):
                    mark(session, review.id, code, "not_met" if index % 4 == 0 else "met", now)
                assessment_id = assessment_id or review.id
                item = None
                for index in range(number % 5 + 1):
                    item = create_action_item(
                        session, business.id, "remediation", ("major", "minor")[index % 2],
                        f"Keep a written register of home workers, step {index + 1}",
                        now.date() + timedelta(days=5 + 10 * index), now,
                    )  # fmt: skip
                if item is not None and number % 4 == 0:
                    help_asked(session, leader, item, now)
                    ticket_business = ticket_business or business.id
            if number % 10 == 0:
                survey = open_survey(session, business.id, now, None, "Home workers")
                survey_id = survey_id or survey.id
            big = big or business.id
            for step in range(AUDIT_ENTRIES // businesses):
                record(session, None, ("item.create", "seal.award", "survey.open")[step % 3],
                       f"business {business.id}", now, item=step)  # fmt: skip
    _responses(runtime, now)
    with runtime.store.transaction() as session:
        broadcast = create_broadcast(session, {"en": "Training on Monday"}, {},
                                     now + timedelta(days=1), now)  # fmt: skip
        broadcast_id = broadcast.id
    return Seeded(big, assessment_id, survey_id, broadcast_id, ticket_business)


def _chain(session: object, business_id: int, groups: int, now: datetime) -> None:
    """`groups` worker groups: ten per layer, each layer under the first group above it."""
    parent = None
    for index in range(groups):
        node = add_node(
            session, business_id, now, name=f"Group {index + 1}", place="Sanganer",
            process="embroidery", workers=12, home_workers=index % 12, payment_method="cash",
            parent_id=parent,
        )  # fmt: skip
        if index % 10 == 0:
            parent = node.id


def _responses(runtime: Runtime, now: datetime) -> None:
    """Two groups of counted responses in every survey."""
    with runtime.store.transaction() as session:
        surveys = session.execute(select(Survey.id, Survey.code)).all()
    for survey_id, code in surveys:
        with runtime.store.transaction() as session:
            for person in range(2 * MIN_GROUP):
                pool_response(
                    session, runtime.sealer, code, [1, 2, 1], f"+1666{survey_id:04d}{person:03d}"
                )
        with runtime.store.transaction() as session:
            write_pooled(session, runtime.sealer, survey_id, now, timedelta(hours=24))


def pages(seeded: Seeded) -> dict[str, str]:
    """Every console GET page worth timing, by a short name."""
    return {
        "overview": "/admin/",
        "businesses": "/admin/businesses",
        "businesses by stage, page 3": "/admin/businesses?sort=stage&dir=desc&page=3",
        "businesses by leader, page 6": "/admin/businesses?sort=leader&page=6",
        "business, 60-group tree": f"/admin/businesses/{seeded.big_business}",
        "business, tree open": f"/admin/businesses/{seeded.big_business}?layers=6",
        "assessment": f"/admin/assessments/{seeded.assessment}",
        "audit log": "/admin/audit",
        "audit log, page 20": "/admin/audit?page=20",
        "audit log, one business": f"/admin/audit?business={seeded.big_business}",
        "inbox": "/admin/inbox",
        "surveys": "/admin/surveys",
        "survey": f"/admin/surveys/{seeded.survey}",
        "broadcasts": "/admin/broadcasts",
        "broadcast": f"/admin/broadcasts/{seeded.broadcast}",
        "standards": "/admin/standards",
        "staff": "/admin/staff",
        "businesses.csv": "/admin/exports/businesses.csv",
        "supply-chain.csv": "/admin/exports/supply-chain.csv",
        "items.csv": "/admin/exports/items.csv",
        "assessments.csv": "/admin/exports/assessments.csv",
        "findings.csv": "/admin/exports/findings.csv",
        "survey-results.csv": "/admin/exports/survey-results.csv",
    }


def signed_in(app: object) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    page = client.get("/admin/login").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    answer = client.post("/admin/login", data={"csrf": token, "email": ADMIN, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client


def timed(get: Callable[[], int], requests: int) -> list[float]:
    """Milliseconds per request; the first (warm-up) request is not counted."""
    assert get() == 200
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status = get()
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return times


def run(url: str, businesses: int, requests: int) -> list[tuple[str, float, float, float]]:
    """Seed `url` (wiped) and time every page; rows of (page, p50, p95, max) in ms."""
    fresh(url)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            database_url=url, data_dir=data, public_base_url="http://127.0.0.1:8000"
        )
        clock = ManualClock(NOW - timedelta(days=40))
        runtime = Runtime(settings, clock)
        started = time.perf_counter()
        seeded = seed(runtime, businesses)
        print(f"  seeded {businesses} businesses in {time.perf_counter() - started:.1f} s")
        clock.advance(timedelta(days=40))
        app = create_app(runtime, run_scheduler=False)
        rows = []
        with signed_in(app) as client:
            for name, path in pages(seeded).items():
                times = sorted(timed(lambda path=path: client.get(path).status_code, requests))
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                rows.append((name, statistics.median(times), p95, times[-1]))
        runtime.close()
        runtime.store.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", default=[])
    parser.add_argument("--businesses", type=int, default=300)
    parser.add_argument("--requests", type=int, default=30)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        urls = arguments.database or [f"sqlite:///{Path(scratch) / 'bench_console.db'}"]
        for url in urls:
            print(f"{url.split('://')[0]}: {arguments.businesses} businesses, "
                  f"{arguments.requests} requests per page")  # fmt: skip
            rows = run(url, arguments.businesses, arguments.requests)
            print(f"  {'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, p50, p95, most in rows:
                flag = "" if p95 < TARGET_MS else "  over target"
                print(f"  {name:<30} {p50:8.1f} {p95:8.1f} {most:8.1f}{flag}")


if __name__ == "__main__":
    main()
