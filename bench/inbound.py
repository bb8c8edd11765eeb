"""Inbound benchmark: signed Twilio webhooks through the whole product path, side by side with
a bare endpoint of the same app that only parses the form and answers a fixed reply.

    .venv/bin/python -m bench.inbound [--database URL ...] [--seconds S] [--connections C]

Every database given (default: a temporary SQLite file) is wiped first: give scratch ones only.
The app runs under uvicorn in a subprocess with one worker. `wrk` (one thread) replays
pre-signed requests (a distinct MessageSid each, thousands of phones walking through
onboarding and the menu) as fast as the server answers; then an open-loop generator offers
half the full path's peak rate and measures each request's latency from its planned start.
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
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from bench.database import fresh
from bot.app import create_app
from bot.db import Store
from bot.models import InboundMessage, OutboundMessage

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3c1a9e07b5d4c2e8a6b0d9f1e2c3b4a"
PUBLIC = "https://bot.example.org"
FULL = "/webhooks/twilio"
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
    """The product's app, plus the bare route the full path is compared with."""
    app = create_app()

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


@contextmanager
def server(url: str) -> Iterator[str]:
    """uvicorn with one worker, in a subprocess, on the given database."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "PUBLIC_BASE_URL": PUBLIC,
        # A public address needs real keys (bot/keys.py); fresh ones for each run.
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SURVEY_KEY": secrets.token_urlsafe(48),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
    }
    command = [sys.executable, "-m", "uvicorn", "bench.inbound:make_app", "--factory"]
    command += ["--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]
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


async def open_loop(base: str, requests: list[tuple[str, str]], rate: float) -> list[float]:
    """Offers `rate` requests per second whatever the answers' pace; latency in milliseconds,
    counted from each request's planned start so a stalled server cannot hide its queue."""
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    latencies: list[float] = []
    failures = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(planned: float, signature: str, body: str) -> None:
            nonlocal failures
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            }
            answer = await client.post(FULL, content=body, headers=headers)
            latencies.append((time.perf_counter() - planned) * 1000)
            failures += answer.status_code != 200

        start = time.perf_counter() + 0.2
        await asyncio.gather(
            *(one(start + i / rate, sig, body) for i, (sig, body) in enumerate(requests))
        )
    if failures:
        print(f"  {failures} requests failed during the latency run")
    return latencies


def count(url: str) -> tuple[int, int]:
    store = Store(url)
    with store.transaction() as session:
        inbound = session.scalar(select(func.count()).select_from(InboundMessage))
        outbound = session.scalar(select(func.count()).select_from(OutboundMessage))
    store.dispose()
    return inbound, outbound


def measure(url: str, seconds: int, connections: int, work: Path) -> None:
    print(f"\n== {Store(url).engine.url.render_as_string(hide_password=True)}", flush=True)
    fresh(url)
    throughput = work / "throughput.txt"
    latency_set = signed_requests("b", phones=4000, first_phone=50_000)
    throughput.write_text("".join(f"{s} {b}\n" for s, b in signed_requests("a", 4000, 0)))
    with server(url) as base:
        wrk(base, BARE, throughput, 2, connections)  # warm-up: imports, connections, caches
        bare, bare_failures = wrk(base, BARE, throughput, seconds, connections)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", help="scratch database URL (repeatable)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as work:
        urls = arguments.database or [f"sqlite:///{work}/bench.db"]
        for url in urls:
            measure(url, arguments.seconds, arguments.connections, Path(work))


if __name__ == "__main__":
    main()
