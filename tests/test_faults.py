"""The webhooks under faults, over real HTTP: many phones at once, the store going away for a
while, and hostile requests. What a provider and a person would notice: every message handled
once, conversations as if each phone had been served alone, 503s (so the provider retries)
while the store is down and nothing half-written, and a short 4xx for anything malformed."""

import contextlib
import itertools
import os
import random
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from fakes import DEPLOYMENT_KEYS
from fakes.telegram import TOKEN, WEBHOOK_SECRET, text_update
from fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.channels.provider import Inbound
from bot.clock import ManualClock
from bot.db import Store
from bot.engine import Engine
from bot.migrate import upgrade
from bot.models import Contact, ConversationState, InboundMessage, OutboundMessage
from bot.runtime import Runtime
from bot.settings import Settings

PUBLIC = "https://bot.example.org"
TWILIO = "/webhooks/twilio"
TELEGRAM = "/webhooks/telegram"
FORM = "application/x-www-form-urlencoded"
SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
# 600 messages keep the suite quick; LOAD_PHONES=500 is the full load (2,000 messages).
PHONES = int(os.environ.get("LOAD_PHONES", "150"))
MESSAGES_PER_PHONE = 4
CONNECTIONS = 64  # requests in flight at once, as a provider's bursts would be
# What people type first: some onboard, some wander, some answer nonsense.
LINES = ("hi", "1", "2", "1", "Sunrise Weaves", "HELP", "MENU", "yes", "नमस्ते", "")
_sids = itertools.count(1)


def settings_for(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        public_base_url=PUBLIC,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        **{name.lower(): key for name, key in DEPLOYMENT_KEYS.items()},
    )


@contextlib.contextmanager
def served(runtime: Runtime) -> Iterator[str]:
    """The product's app under uvicorn on a local port, in a thread; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    # Connections kept open longer than the test takes, so a busy machine never sees the server
    # close an idle keep-alive connection just as the client reuses it (a reset, not a bug).
    config = uvicorn.Config(
        create_app(runtime), log_level="warning", access_log=False, timeout_keep_alive=300
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            thread.join(0.01)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def twilio_request(sid: str, sender: str, body: str) -> dict:
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886" if sender.startswith("whatsapp:") else "+15005550006",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    return {
        "url": TWILIO,
        "data": form,
        "headers": {"X-Twilio-Signature": sign(PUBLIC + TWILIO, form)},
    }


def post(client: httpx.Client) -> Callable[[dict], httpx.Response]:
    return lambda request: client.post(**request)


def telegram_request(update_id: int, chat: int, text: str) -> dict:
    return {"url": TELEGRAM, "json": text_update(update_id, chat, text), "headers": SECRET}


def counts(url: str) -> tuple[int, int, int, int]:
    """Rows a webhook writes, read over a connection of our own."""
    store = Store(url)
    try:
        with store.transaction() as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model))
                for model in (InboundMessage, Contact, ConversationState, OutboundMessage)
            )
    finally:
        store.dispose()


@pytest.fixture
def runtime(store: Store, migrated: str) -> Iterator[Runtime]:
    made = Runtime(settings_for(migrated), ManualClock())
    yield made
    made.close()


# -- many phones at once ------------------------------------------------------------------


def conversation_of(session, contact: Contact) -> tuple:
    """What a person's conversation amounts to: who they became, where they stand, and every
    reply, in order."""
    state = session.get(ConversationState, contact.id)
    replies = session.scalars(
        select(OutboundMessage.body)
        .where(OutboundMessage.contact_id == contact.id)
        .order_by(OutboundMessage.id)
    ).all()
    return (
        contact.language,
        contact.role,
        contact.consented_at is not None,
        (state.flow, state.step, state.data) if state else None,
        replies,
    )


def twin(address: str) -> str:
    """Another person in the same country on the same channel, for the one-at-a-time replay."""
    if address.startswith("telegram:"):
        return address.replace("telegram:", "telegram:9", 1)
    return address.replace("+9198", "+9197", 1)


def test_concurrent_webhooks_from_many_phones_are_each_handled_once_in_a_consistent_order(
    runtime: Runtime, store: Store, migrated: str
) -> None:
    chance = random.Random(7)
    requests, sent_by = [], {}
    for number in range(PHONES):
        chat = number % 5 == 0  # a fifth on Telegram, the rest on SMS and WhatsApp
        address = f"telegram:{7000 + number}" if chat else f"+9198{number:08d}"
        sent_by[address] = []
        for _ in range(MESSAGES_PER_PHONE):
            text = chance.choice(LINES[:-1] if chat else LINES)
            sent_by[address].append(text)
            sid = next(_sids)
            if chat:
                requests.append(telegram_request(sid, 7000 + number, text))
            else:
                sender = address if number % 2 else f"whatsapp:{address}"
                requests.append(twilio_request(f"SM{sid:032d}", sender, text))
    chance.shuffle(requests)  # one phone's messages race each other too

    limits = httpx.Limits(max_connections=CONNECTIONS)
    with (
        served(runtime) as base,
        httpx.Client(base_url=base, limits=limits, timeout=60) as client,
        ThreadPoolExecutor(CONNECTIONS) as senders,
    ):
        statuses = [answer.status_code for answer in senders.map(post(client), requests)]

    assert statuses == [200] * len(requests)
    assert counts(migrated)[:3] == (len(requests), PHONES, PHONES)
    # Replay each phone's messages, in the order they were handled, one at a time as another
    # phone: every conversation must come out the same as when they all arrived at once.
    replay = Engine(store, runtime.clock, runtime.sealer)
    with store.transaction() as session:
        handled = {
            contact.address: session.scalars(
                select(InboundMessage.body)
                .where(InboundMessage.contact_id == contact.id)
                .order_by(InboundMessage.id)
            ).all()
            for contact in session.scalars(select(Contact))
        }
    assert {address: sorted(bodies) for address, bodies in handled.items()} == {
        address: sorted(bodies) for address, bodies in sent_by.items()
    }
    with store.transaction() as session:
        channels = dict(session.execute(select(Contact.address, Contact.channel)).all())
    for address, bodies in handled.items():
        for body in bodies:
            replay.handle(Inbound(channels[address], twin(address), f"r{next(_sids)}", body))
    with store.transaction() as session:
        contacts = {contact.address: contact for contact in session.scalars(select(Contact))}
        for address in sent_by:
            live = conversation_of(session, contacts[address])
            assert live == conversation_of(session, contacts[twin(address)]), address


# -- the store going away ------------------------------------------------------------------


class Proxy:
    """A TCP proxy to PostgreSQL that we can cut, like a network or a server going away."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def open(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def close(self) -> None:
        """Refuse new connections and cut every open one."""
        with self.lock:
            # A thread blocked in accept() keeps a merely closed listener listening.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


class Outage:
    """Takes a database away and brings it back: PostgreSQL behind a proxy we cut, or the
    SQLite file gone from its path (a directory in its place, so it cannot even be created)."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        parsed = make_url(url)
        self.direct_url = url
        if parsed.get_backend_name().startswith("postgres"):
            self.proxy: Proxy | None = Proxy((parsed.host or "127.0.0.1", parsed.port or 5432))
            self.proxy.open()
            self.app_url = parsed.set(host="127.0.0.1", port=self.proxy.port).render_as_string(
                hide_password=False
            )
        else:
            self.proxy = None
            self.path = tmp_path / "outage.db"
            self.direct_url = self.app_url = f"sqlite:///{self.path}"
            upgrade(self.app_url)

    def down(self, runtime: Runtime) -> None:
        if self.proxy is not None:
            self.proxy.close()
            return
        runtime.store.dispose()  # open files would outlive the rename
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").rename(f"{self.path}{suffix}.away")
        self.path.mkdir()

    def up(self) -> None:
        if self.proxy is not None:
            self.proxy.open()
            return
        self.path.rmdir()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}.away").rename(f"{self.path}{suffix}")


@pytest.fixture
def outage(store: Store, migrated: str, tmp_path: Path) -> Iterator[Outage]:
    made = Outage(migrated, tmp_path)
    yield made
    if made.proxy is not None:
        made.proxy.close()


def test_with_the_store_down_webhooks_answer_503_write_nothing_and_succeed_once_when_retried(
    outage: Outage,
) -> None:
    runtime = Runtime(settings_for(outage.app_url), ManualClock())
    first = twilio_request("SM" + "1" * 32, "+919800000001", "hi")
    during = [
        twilio_request("SM" + "2" * 32, "+919800000002", "hi"),
        twilio_request("SM" + "3" * 32, "+919800000001", "1"),
        telegram_request(424242, 4242, "/start"),
    ]
    with served(runtime) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.post(**first).status_code == 200
        before = counts(outage.direct_url)
        outage.down(runtime)
        answers = [client.post(**request) for request in during]
        assert [answer.status_code for answer in answers] == [503, 503, 503]
        assert all("try again" in answer.json()["detail"] for answer in answers)
        outage.up()
        assert counts(outage.direct_url) == before
        # The provider retries each message, sometimes more than once: each is handled once.
        for request in during + during:
            assert client.post(**request).status_code == 200
    after = counts(outage.direct_url)
    assert after[:3] == (before[0] + 3, before[1] + 2, before[2] + 2)
    assert after[3] >= before[3] + 3  # each retried message answered


def waiting_on_a_lock(store: Store) -> bool:
    with store.engine.connect() as connection:
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(connection.exec_driver_sql(query).scalar())


def test_a_connection_lost_in_the_middle_of_a_message_leaves_nothing_half_written(
    outage: Outage, store: Store
) -> None:
    if outage.proxy is None:
        pytest.skip("cutting the connection inside a transaction needs PostgreSQL")
    runtime = Runtime(settings_for(outage.app_url), ManualClock())
    hello = twilio_request("SM" + "4" * 32, "+919800000004", "hi")
    answer = twilio_request("SM" + "5" * 32, "+919800000004", "1")
    with served(runtime) as base, httpx.Client(base_url=base, timeout=60) as client:
        assert client.post(**hello).status_code == 200
        before = counts(outage.direct_url)
        with store.engine.connect() as holder, ThreadPoolExecutor(1) as provider:
            # Hold the conversation's row: the message's transaction stops at its state
            # update, after its inbound row is written, until the connection is cut under it.
            holder.exec_driver_sql("SELECT 1 FROM conversation_states FOR UPDATE")
            pending = provider.submit(client.post, **answer)
            while not waiting_on_a_lock(store):
                assert not pending.done(), pending.result().text
            outage.down(runtime)
            holder.rollback()
            assert pending.result().status_code == 503
        assert counts(outage.direct_url) == before
        outage.up()
        assert client.post(**answer).status_code == 200
    after = counts(outage.direct_url)
    assert after[:3] == (before[0] + 1, before[1], before[2])
    with store.transaction() as session:
        assert session.scalar(select(ConversationState.step)) != "language"


# -- hostile requests ---------------------------------------------------------------------


def too_big() -> Iterator[bytes]:
    """A body streamed without a declared length, far over the cap."""
    for _ in range(200):
        yield b"Body=" + b"x" * 10_000


def twilio_form_text(**change: str) -> dict:
    """A message signed as Twilio signs it, with some fields changed before signing."""
    form = twilio_request("SM" + "7" * 32, "+919800000007", "hi")["data"] | change
    return {
        "url": TWILIO,
        "data": form,
        "headers": {"X-Twilio-Signature": sign(PUBLIC + TWILIO, form)},
    }


HOSTILE: list[tuple[str, Callable[[], dict], int]] = [
    ("chunked oversized form", lambda: {"url": TWILIO, "content": too_big(),
        "headers": {"Content-Type": FORM}}, 413),
    ("chunked oversized update", lambda: {"url": TELEGRAM, "content": too_big(),
        "headers": {**SECRET, "Content-Type": "application/json"}}, 413),
    ("multipart form", lambda: {"url": TWILIO, "files": {"Body": ("x.txt", b"hi")}}, 415),
    ("no content type", lambda: {"url": TWILIO, "content": b"Body=hi"}, 415),
    ("form with a valid signature for other fields", lambda: {**twilio_form_text(),
        "data": twilio_form_text()["data"] | {"Body": "<script>alert(1)</script>"}}, 403),
    ("SQL in a forged form", lambda: {"url": TWILIO, "data": {"Body": "'); DROP TABLE contacts;--",
        "From": "+919800000007", "MessageSid": "SM1"}, "headers": {"X-Twilio-Signature": "x"}},
        403),
    ("signed, but SQL as the sender", lambda: twilio_form_text(From="1 OR 1=1; --"), 400),
    ("signed, but HTML as the message id", lambda: twilio_form_text(
        MessageSid="<img src=x onerror=alert(1)>", SmsMessageSid=""), 400),
    ("Telegram update as a form", lambda: {"url": TELEGRAM, "data": {"update_id": "1"},
        "headers": SECRET}, 415),
    ("Telegram JSON in Latin-1", lambda: {"url": TELEGRAM, "content": '{"update_id": 1, "é": 1}'
        .encode("latin-1"), "headers": {**SECRET, "Content-Type": "application/json"}}, 400),
    ("Telegram JSON nested deep", lambda: {"url": TELEGRAM, "content": b'{"a":' * 10_000,
        "headers": {**SECRET, "Content-Type": "application/json"}}, 400),
    ("Telegram update without the secret", lambda: telegram_request(99, 99, "hi") | {
        "headers": {}}, 403),
]  # fmt: skip


@pytest.mark.parametrize(("case", "request_of", "status"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_requests_get_a_short_4xx_reason_and_store_nothing(
    runtime: Runtime, migrated: str, case: str, request_of: Callable[[], dict], status: int
) -> None:
    with served(runtime) as base, httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post(**request_of())
        assert answer.status_code == status, answer.text
        assert 0 < len(answer.json()["detail"]) <= 100
        # The server is still there and answers the next person normally.
        assert client.post(**twilio_request("SM" + "8" * 32, "+919800000008", "hi")).is_success
    assert counts(migrated)[:2] == (1, 1)


def test_sql_and_html_in_a_signed_message_are_kept_as_plain_text(
    runtime: Runtime, store: Store
) -> None:
    text = "'); DROP TABLE contacts;-- <b onclick=alert(1)>hi</b>"
    with served(runtime) as base, httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post(**twilio_request("SM" + "9" * 32, "+919800000009", text))
    assert answer.status_code == 200
    assert "DROP" not in answer.text
    with store.transaction() as session:
        assert session.scalar(select(InboundMessage.body)) == text
        assert session.scalar(select(func.count()).select_from(Contact)) == 1
