"""Helpers for console tests: a real uvicorn serving the app, signed-in clients, sample data."""

import io
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from bot.channels.provider import Fetched
from bot.clock import ManualClock
from bot.domain import apply_effect
from bot.domain.business import register_business
from bot.domain.findings import add_photo, mark
from bot.domain.media import Due, record_attachments, settle
from bot.domain.standards import standards
from bot.media.fetching import fetch_one
from bot.models import Base, Contact, InboundMessage, StaffUser
from bot.runtime import Runtime
from flows.actions import ReportOnAction

PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Client(httpx.Client):
    """A browser-like client: keeps cookies, does not follow redirects, knows its CSRF token."""

    def token(self) -> str:
        return csrf_of(self.get("/admin/login").text)

    def submit(self, url: str, data: dict[str, str] | None = None) -> httpx.Response:
        """Post a console form the way the page would, with the session's CSRF token."""
        return self.post(url, data={"csrf": self.token(), **(data or {})})

    def login(
        self, email: str, password: str = PASSWORD, code: str = "", via: str | None = None
    ) -> httpx.Response:
        """Post the sign-in form; `via` is the client address a proxy reports for it."""
        headers = {"x-forwarded-for": via} if via else {}
        data = {"csrf": self.token(), "email": email, "password": password, "code": code}
        return self.post("/admin/login", data=data, headers=headers)


@dataclass
class Console:
    url: str
    app: FastAPI
    runtime: Runtime
    clock: ManualClock

    def client(self) -> Client:
        return Client(base_url=self.url, follow_redirects=False, timeout=30)

    def account(self, role: str, email: str | None = None) -> str:
        """A staff account whose password hash is cheap to check, so tests sign in quickly."""
        email = email or f"{role}@example.org"
        with self.runtime.store.transaction() as session:
            session.add(
                StaffUser(
                    email=email, role=role, password_hash=_quick_hash(), created_at=self.clock.now()
                )
            )
        return email

    def account_id(self, email: str) -> int:
        """The id of the staff account `email`."""
        with self.runtime.store.transaction() as session:
            return session.scalar(select(StaffUser.id).where(StaffUser.email == email))

    def sign_in(self, role: str | None, email: str | None = None) -> Client:
        """A client signed in as a new account with `role`, or nobody for None."""
        client = self.client()
        if role is None:
            return client
        email = self.account(role, email)
        response = client.post(
            "/admin/login", data={"csrf": client.token(), "email": email, "password": PASSWORD}
        )
        assert response.status_code == 303, response.text
        return client


@cache
def _quick_hash() -> str:
    """An argon2 hash of PASSWORD with the lowest cost; the console verifies it like any other."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """The test process keeps its own signal handling."""


def serve(app: object) -> tuple[str, Callable[[], None]]:
    """Run `app` with uvicorn in a thread on a free port; returns its URL and a stop function."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # uvicorn's own X-Forwarded-For handling off, as `bot serve` runs it: the app decides.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", proxy_headers=False)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the console server did not start"
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@dataclass(frozen=True)
class World:
    """Ids of one business with something in every section, for pages that need an id."""

    business_id: int
    leader: str
    node_id: int
    item_id: int
    assessment_id: int
    survey_id: int
    survey_code: str
    broadcast_id: int
    attachment_id: int = 0  # a photo the leader sent as the item's evidence
    report_id: int = 0  # the pre-assessment report, issued
    ticket_id: int = 0  # the leader asked for help with the item


def add_business(
    console: Console, phone: str, name: str, place: str = "Jaipur", country: str = "IN"
) -> int:
    """A registered business whose leader texts from `phone` on SMS."""
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        leader = Contact(
            address=phone, channel="sms", language="en", created_at=now, consented_at=now
        )
        session.add(leader)
        session.flush()
        return register_business(session, leader, name, place, country, now).id


def snapshot(console: Console) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with console.runtime.store.transaction() as session:
        return {
            table.name: sorted(
                (tuple(str(value) for value in row) for row in session.execute(table.select())),
            )
            for table in Base.metadata.sorted_tables
        }


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@dataclass(frozen=True)
class GivenFile:
    """The network edge of a channel, as far as these tests need it: hands back the bytes."""

    data: bytes
    declared_type: str

    def fetch(self, reference: str, max_bytes: int) -> Fetched:
        return Fetched(self.data, self.declared_type)

    def close(self) -> None:
        pass


def add_evidence(
    console: Console, phone: str, item_id: int, files: list[tuple[bytes, str]], text: str = ""
) -> list[int]:
    """The leader on `phone` sends `files` ((bytes, content type) each) as evidence for the
    item; each is fetched, checked and stored as the background tick does. Returns their ids."""
    now = console.clock.now()
    store = console.runtime.store
    batch = secrets.token_hex(6)
    references = [f"test-file:{batch}-{number}" for number in range(len(files))]
    with store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == phone))
        inbound = InboundMessage(
            channel=contact.channel, provider_id=f"SM-evidence-{batch}",
            contact_id=contact.id, body=text, media=references, received_at=now,
        )  # fmt: skip
        session.add(inbound)
        session.flush()
        rows = record_attachments(session, inbound.id, contact.id, contact.channel, references, now)
        apply_effect(
            session, contact, ReportOnAction(item_id, "evidence", text, tuple(references)), now
        )
        due = [Due(row.id, row.channel, row.reference) for row in rows]
    for claimed, (data, declared) in zip(due, files, strict=True):
        outcome = fetch_one(claimed, GivenFile(data, declared), console.runtime.media)
        with store.transaction() as session:
            settle(session, claimed.id, outcome, now)
    return [claimed.id for claimed in due]


def finding_with_photo(console: Console, world: World) -> int:
    """An indicator of the world's assessment marked not met, with one photo the assessor
    took; returns the finding's id."""
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (160, 90, 30)).save(picture, "JPEG")
    store = console.runtime.media.store
    taken = {"sha256": store.put(picture.getvalue()), "thumbnail": store.put(picture.getvalue()),
             "content_type": "image/jpeg"}  # fmt: skip
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        code = standards().codes[-1]
        finding = mark(session, world.assessment_id, code, "not_met", now, note="Seen on site")
        add_photo(session, world.assessment_id, code, taken, now)
        return finding.id


GPS_IFD = 0x8825  # EXIF's GPS information


def jpeg_with_gps() -> bytes:
    """A photo whose EXIF holds a camera maker and a GPS position, as phones write them."""
    image = Image.new("RGB", (400, 300), (180, 60, 40))
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (26.0, 54.0, 42.0), 3: "E", 4: (75.0, 47.0, 6.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()
