"""Inbound benchmark: signed Twilio webhooks through the whole product path, side by side with
a bare endpoint of the same app that only parses the form and answers a fixed reply.

    .venv/bin/python -m bench.inbound [--database URL ...] [--seconds S] [--connections C]
                                      [--no-latency] [--processes]

Every database given (default: a temporary SQLite file) is wiped first: give scratch ones only.
The app runs under uvicorn in a subprocess with one worker. `wrk` (one thread) replays
pre-signed requests (a distinct MessageSid each, thousands of phones walking through
onboarding and the menu) as fast as the server answers; then an open-loop generator offers
half the full path's peak rate and measures each request's latency from its planned start.

Then, unless --no-latency, the reply latency: a quarter and half of the full path's peak
offered again with a sender running (on SQLite in the web process, which serves and sends; on
PostgreSQL in a separate `python -m bot worker`), and the time from each webhook's planned
start to the local fake Twilio server (tests/fakes, in a process of its own:
bench.fake_twilio) receiving its reply. With --processes (PostgreSQL only), two
web processes and two workers on one database: the rate, and a check that every message was
handled once, each phone's in order, and every reply reached the fake once, in order.
"""

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from bench.database import fresh
from bench.fake_twilio import Received, fake_twilio
from bot.app import create_app
from bot.channels.provider import Inbound
from bot.db import Store, is_postgres
from bot.models import InboundMessage, OutboundMessage
from bot.runtime import Runtime
from bot.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fakes import twilio as tw  # noqa: E402

ACCOUNT_SID = tw.ACCOUNT_SID
AUTH_TOKEN = tw.AUTH_TOKEN
# Provider limits while replies are measured: high, so the latency is ours, not the pacing's
# (the real limits are measured by bench.broadcast).
SENDING_LIMIT = "2000"
PUBLIC = "https://bot.example.org"
LOOPBACK = "http://127.0.0.1:8000"  # the in-process engine's address: no keys needed
FULL = "/webhooks/twilio"
# Kept-alive connections of the open-loop generator: more than the requests ever in flight.
OPEN_LOOP_CONNECTIONS = 128
BARE = "/bench/bare"
FIXED_REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response />'
# What a person types, message by message: onboarding as a leader, then the menu and help.
CONVERSATION = (
    "hi", "1", "1", "1", "Sunrise Weaves", "Jaipur", "1", "1",
    "MENU", "1", "MENU", "2", "MENU", "3", "HELP", "MENU", "9", "hello?", "MENU", "4",
)  # fmt: skip
WRK_SCRIPT = """
local requests = {}
local next_one = 0
function init(args)
  for line in io.lines(args[1]) do
    local gap = line:find(" ", 1, true)
    requests[#requests + 1] = wrk.format("POST", args[2], {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = line:sub(1, gap - 1),
    }, line:sub(gap + 1))
  end
end
function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
"""


def make_app() -> FastAPI:
    """The product's app, plus the bare route the full path is compared with; it also sends
    (runs the scheduler) when BENCH_SENDS is set."""
    app = create_app(run_scheduler=bool(os.environ.get("BENCH_SENDS")))

    @app.post(BARE)
    async def bare(request: Request) -> Response:
        await request.form()
        return Response(FIXED_REPLY, media_type="application/xml")

    return app


def signed_requests(prefix: str, phones: int, first_phone: int) -> list[tuple[str, str]]:
    """(signature, body) pairs, phones interleaved so each one's messages arrive in order."""
    validator = RequestValidator(AUTH_TOKEN)
    made = []
    for step, said in enumerate(CONVERSATION):
        for phone in range(first_phone, first_phone + phones):
            sid = f"SM{prefix}{step:02d}{phone:08d}".ljust(34, "0")
            sender = f"+9198{phone:08d}" if phone % 3 else f"whatsapp:+9198{phone:08d}"
            form = {
                "ToCountry": "IN",
                "SmsMessageSid": sid,
                "NumMedia": "0",
                "SmsSid": sid,
                "SmsStatus": "received",
                "Body": said,
                "To": "whatsapp:+14155238886" if sender.startswith("whatsapp:") else "+15005550006",
                "NumSegments": "1",
                "MessageSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": sender,
                "ApiVersion": "2010-04-01",
            }
            made.append((validator.compute_signature(PUBLIC + FULL, form), urlencode(form)))
    return made


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVERS: list[int] = []  # pids of the servers started, the last one running
KEYS = {
    # A public address needs real keys (bot/keys.py); fresh ones for each run, shared by every
    # process of the run (what one seals another opens).
    "SECRET_KEY": secrets.token_urlsafe(48),
    "SURVEY_KEY": secrets.token_urlsafe(48),
}


def environment(url: str, twilio_api: str = "http://127.0.0.1:9") -> dict[str, str]:
    """What every process of the run (web and worker) is given."""
    return (
        os.environ
        | KEYS
        | {
            "DATABASE_URL": url,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": tw.SMS_FROM,
            "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_FROM,
            "TWILIO_API_BASE_URL": twilio_api,
            "TWILIO_SMS_PER_SECOND": SENDING_LIMIT,
            "TWILIO_WHATSAPP_PER_SECOND": SENDING_LIMIT,
        }
    )


@contextmanager
def server(url: str, extra: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """uvicorn with `workers` processes, in a subprocess, on the given database."""
    port = free_port()
    env = environment(url) | (extra or {})
    command = [sys.executable, "-m", "uvicorn", "bench.inbound:make_app", "--factory"]
    command += ["--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not start")
        print(f"  server pid {process.pid}", flush=True)
        SERVERS.append(process.pid)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(base: str, path: str, lines: Path, seconds: int, connections: int) -> tuple[float, str]:
    """Requests per second over the run, and wrk's note of any failed answers."""
    script = lines.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    command += [base + path, "--", str(lines), path]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    failures = re.findall(r"(Non-2xx or 3xx responses: \d+|Socket errors: .*)", output)
    return rate, "; ".join(failures) or "no failed answers"


async def open_loop(
    base: str, requests: list[tuple[str, str]], rate: float, planned_at: list[float] | None = None
) -> list[float]:
    """Offers `rate` requests per second whatever the answers' pace; latency in milliseconds,
    counted from each request's planned start so a stalled server cannot hide its queue.
    `planned_at`, when given, receives each request's planned start (time.time(), seconds).

    The requests are written as prepared bytes on kept-alive connections: the generator shares
    the machine's two cores with the server, its database, a worker and the fake, and an HTTP
    client library spends about as much CPU on a request as the server's bare route."""
    host, port = base.removeprefix("http://").split(":")
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(OPEN_LOOP_CONNECTIONS):
        idle.put_nowait(await asyncio.open_connection(host, int(port)))
    latencies: list[float] = []
    failures = 0

    async def one(planned: float, request: bytes) -> None:
        nonlocal failures
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        reader, writer = await idle.get()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
        except (OSError, asyncio.IncompleteReadError):  # dropped by the server: counted
            failures += 1
            writer.close()
            idle.put_nowait(await asyncio.open_connection(host, int(port)))
            return
        idle.put_nowait((reader, writer))
        latencies.append((time.perf_counter() - planned) * 1000)
        failures += not head.startswith(b"HTTP/1.1 200")

    prepared = [
        (
            f"POST {FULL} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        for signature, body in requests
    ]
    start = time.perf_counter() + 0.2
    wall = time.time() + 0.2
    if planned_at is not None:
        planned_at.extend(wall + i / rate for i in range(len(requests)))
    await asyncio.gather(*(one(start + i / rate, request) for i, request in enumerate(prepared)))
    while not idle.empty():
        idle.get_nowait()[1].close()
    if failures:
        print(f"  {failures} requests failed during the latency run")
    return latencies


def sender_of(body: str) -> str:
    return dict(parse_qsl(body))["From"]


@contextmanager
def worker(url: str, twilio_api: str) -> Iterator[subprocess.Popen[bytes]]:
    """A `python -m bot worker` on the database, sending to the fake."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=environment(url, twilio_api),
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def settle_outbox(url: str) -> None:
    """Replies queued by the throughput runs (no sender ran) are set aside, so the latency run
    starts with an empty queue."""
    store = Store(url)
    with store.transaction() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.status == "queued")
            .values(status="cancelled", error_code="benchmark")
        )
    store.dispose()


def first_arrivals(twilio: Received) -> dict[str, float]:
    """When the fake first received a message for each address (time.time(), seconds)."""
    firsts: dict[str, float] = {}
    for message in twilio.messages():
        firsts.setdefault(message["to"], message["at"])
    return firsts


def reply_latency(url: str, rate: float, seconds: int, work: Path, first_phone: int) -> None:
    """Each webhook's planned start to its reply's arrival at the fake, at `rate` per second;
    one message per phone (a first contact), so each phone's first arrival is its reply. The
    fake runs in a process of its own (bench.fake_twilio)."""
    settle_outbox(url)
    requests = signed_requests("c", phones=int(rate * seconds), first_phone=first_phone)
    requests = requests[: int(rate * seconds)]
    separate = is_postgres(Store(url).engine)
    with ExitStack() as stack:
        twilio = stack.enter_context(fake_twilio(work))
        extra = {"TWILIO_API_BASE_URL": twilio.url}
        if not separate:
            extra["BENCH_SENDS"] = "1"
        base = stack.enter_context(server(url, extra))
        if separate:
            stack.enter_context(worker(url, twilio.url))
            time.sleep(3)  # the worker starts and listens
        planned: list[float] = []
        asyncio.run(open_loop(base, requests, rate, planned))
        expected = {sender_of(body): at for (_, body), at in zip(requests, planned, strict=True)}
        deadline = time.monotonic() + 30
        while len(first_arrivals(twilio).keys() & expected.keys()) < len(expected):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        arrived = first_arrivals(twilio)
    waits = [(arrived[phone] - at) * 1000 for phone, at in expected.items() if phone in arrived]
    where = "a separate worker, woken by NOTIFY" if separate else "the web process itself"
    if len(waits) < 2:
        print(f"  reply latency: only {len(waits)} of {len(expected)} replies arrived")
        return
    cuts = statistics.quantiles(waits, n=100)
    print(
        f"  reply latency at {rate:.0f}/s offered ({where}): {len(waits)} of {len(expected)} "
        f"replies, p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(waits):.1f} ms "
        "(targets p50 < 100 ms, p99 < 500 ms)",
        flush=True,
    )


def several_processes(url: str, seconds: int, connections: int, work: Path) -> None:
    """Two web processes and two workers on one PostgreSQL database: the rate, and whether
    every message was handled once and in order, and every reply sent once and in order."""
    print(f"\n== two web processes, two workers: {Store(url).engine.url.render_as_string()}")
    fresh(url)
    lines = work / "several.txt"
    made = signed_requests("d", 2000, 300_000)
    lines.write_text("".join(f"{s} {b}\n" for s, b in made))
    with ExitStack() as stack:
        twilio = stack.enter_context(fake_twilio(work))
        base = stack.enter_context(server(url, {"TWILIO_API_BASE_URL": twilio.url}, workers=2))
        for _ in range(2):
            stack.enter_context(worker(url, twilio.url))
        wrk(base, BARE, lines, 2, connections)  # warm-up of both web processes
        rate, failures = wrk(base, FULL, lines, seconds, connections)
        print(f"  full path     : {rate:8.0f} messages/s  ({failures})", flush=True)
        store = Store(url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and queued(store):
            time.sleep(0.5)
        check_once_and_in_order(store, made, twilio)
        store.dispose()


def queued(store: Store) -> int:
    with store.transaction() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.status.in_(("queued", "claimed", "sending")))
        )


def check_once_and_in_order(store: Store, made: list[tuple[str, str]], twilio: Received) -> None:
    """Every stored message once, each phone's in the order sent; every reply to the fake once,
    each phone's in the order queued."""
    order = {dict(parse_qsl(body))["MessageSid"]: n for n, (_, body) in enumerate(made)}
    with store.transaction() as session:
        rows = session.execute(
            select(InboundMessage.provider_id, InboundMessage.contact_id).order_by(
                InboundMessage.id
            )
        ).all()
        replies = session.execute(
            select(OutboundMessage.address, OutboundMessage.body, OutboundMessage.status)
            .where(OutboundMessage.status != "cancelled")
            .order_by(OutboundMessage.id)
        ).all()
    sids = [row.provider_id for row in rows]
    once = len(sids) == len(set(sids))
    by_phone: dict[int, list[int]] = {}
    for row in rows:
        by_phone.setdefault(row.contact_id, []).append(order.get(row.provider_id, -1))
    in_order = all(steps == sorted(steps) for steps in by_phone.values())
    sent = [(message["to"], message["body"]) for message in twilio.messages()]
    expected: dict[str, list[str]] = {}
    for reply in replies:
        expected.setdefault(reply.address, []).append(reply.body)
    got: dict[str, list[str]] = {}
    for to, body in sent:
        got.setdefault(to.removeprefix("whatsapp:"), []).append(body)
    replies_ok = got == expected
    unsent = sum(reply.status in ("queued", "claimed", "sending") for reply in replies)
    print(
        f"  stored        : {len(sids)} inbound messages, each once: {once}; "
        f"each phone's in order: {in_order}\n"
        f"  replies       : {len(sent)} reached the fake, {unsent} still queued; "
        f"each once and each phone's in order: {replies_ok}",
        flush=True,
    )


def count(url: str) -> tuple[int, int]:
    store = Store(url)
    with store.transaction() as session:
        inbound = session.scalar(select(func.count()).select_from(InboundMessage))
        outbound = session.scalar(select(func.count()).select_from(OutboundMessage))
    store.dispose()
    return inbound, outbound


@contextmanager
def profiled(pid: int, seconds: int, output: Path | None) -> Iterator[None]:
    """py-spy sampling the process at 100 Hz for `seconds`, into `output` (collapsed stacks),
    when an output is given."""
    if output is None:
        yield
        return
    spy_binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [spy_binary, "record", "-p", str(pid), "-r", "100", "-d", str(seconds)]
    spy = subprocess.Popen([*command, "-f", "raw", "-o", str(output)], stdout=subprocess.DEVNULL)
    time.sleep(1)  # attached before the load starts
    try:
        yield
    finally:
        spy.wait(timeout=60)


def engine_alone(url: str, phones: int = 100) -> None:
    """The engine's own cost: each phone's conversation handled in this process, one message
    after another (no HTTP, no concurrency), on a fresh database; milliseconds per message."""
    fresh(url)
    runtime = Runtime(Settings(_env_file=None, database_url=url, public_base_url=LOOPBACK))
    messages = [
        Inbound(
            "sms" if phone % 3 else "whatsapp",
            f"+9198{phone:08d}",
            f"SMe{step:02d}{phone:08d}",
            said,
        )
        for step, said in enumerate(CONVERSATION)
        for phone in range(phones)
    ]
    for message in messages[:phones]:  # first contacts: imports and caches warmed
        runtime.engine.handle(message)
    began = time.perf_counter()
    for message in messages[phones:]:
        runtime.engine.handle(message)
    each = (time.perf_counter() - began) * 1000 / (len(messages) - phones)
    runtime.close()
    print(f"  engine alone  : {each:8.2f} ms a message, one after another in one thread")


def measure(
    url: str, seconds: int, connections: int, work: Path, latency: bool, profile: Path | None
) -> None:
    print(f"\n== {Store(url).engine.url.render_as_string(hide_password=True)}", flush=True)
    fresh(url)
    throughput = work / "throughput.txt"
    latency_set = signed_requests("b", phones=4000, first_phone=50_000)
    throughput.write_text("".join(f"{s} {b}\n" for s, b in signed_requests("a", 4000, 0)))
    with server(url) as base:
        wrk(base, BARE, throughput, 2, connections)  # warm-up: imports, connections, caches
        bare, bare_failures = wrk(base, BARE, throughput, seconds, connections)
        name = "postgresql" if is_postgres(Store(url).engine) else "sqlite"
        output = profile / f"profile-{name}.txt" if profile else None
        with profiled(SERVERS[-1], seconds, output):
            full, full_failures = wrk(base, FULL, throughput, seconds, connections)
        inbound, outbound = count(url)
        print(f"  bare endpoint : {bare:8.0f} messages/s  ({bare_failures})")
        print(f"  full path     : {full:8.0f} messages/s  ({full_failures})")
        print(f"  ratio         : {full / bare:8.2f}   (target >= 0.50)")
        print(f"  stored        : {inbound} inbound, {outbound} replies queued")
        offered = full / 2
        planned = latency_set[: int(offered * seconds)]
        latencies = asyncio.run(open_loop(base, planned, offered))
        cuts = statistics.quantiles(latencies, n=100)
        print(
            f"  at {offered:.0f}/s offered for {seconds} s ({len(latencies)} requests): "
            f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(latencies):.1f} ms "
            "(target p99 < 50 ms)",
            flush=True,
        )
    engine_alone(url)
    if latency:
        # At half the peak (the target), and at a quarter: where the sender keeps up.
        for share, first_phone in ((0.25, 200_000), (0.5, 250_000)):
            reply_latency(url, full * share, seconds, work, first_phone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="scratch database URL (repeatable)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    parser.add_argument(
        "--no-latency", action="store_true", help="skip the reply latency (no sender runs)"
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="also two web processes and two workers on each PostgreSQL database",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder: py-spy samples the server during the full path run (profile-*.txt)",
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as work:
        urls = arguments.database or [f"sqlite:///{work}/bench.db"]
        latency = not arguments.no_latency
        profile = arguments.profile
        for url in urls:
            measure(url, arguments.seconds, arguments.connections, Path(work), latency, profile)
        for url in urls:
            if arguments.processes and is_postgres(Store(url).engine):
                several_processes(url, arguments.seconds, arguments.connections, Path(work))


if __name__ == "__main__":
    main()
