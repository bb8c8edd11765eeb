"""The command line: `python -m bot serve|chat|create-staff|seed-demo`."""

import asyncio
import contextlib
import secrets
import signal
import sys
import threading
import uuid
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.app import create_app
from bot.channels import telegram
from bot.channels.provider import Inbound
from bot.channels.registry import describe
from bot.channels.simulator import CHANNEL as SIM
from bot.channels.simulator import take_pending
from bot.cli_assessment import countries_cli, standards_cli
from bot.cli_programme import actions_cli, assessments_cli, seal_cli, supply_cli
from bot.cli_support import run_in_transaction, transaction
from bot.clock import SystemClock
from bot.db import Store
from bot.demo import DEMO_ADMIN, DEMO_BRAND, SEALED, seed_demo, seed_demo_brand
from bot.domain.brands import parse_business_ids, request_links
from bot.domain.seals import current_seal, seal_url
from bot.domain.surveys import (
    MAX_DEFINITION_BYTES,
    SurveyError,
    close_survey,
    describe_results,
    open_survey,
    parse_definition,
    results_csv,
    survey_results,
    validate_definition,
)
from bot.engine import Engine
from bot.keys import KeyUnusable, secret_key, survey_key
from bot.media.store import describe_store
from bot.migrate import upgrade
from bot.models import Business, StaffUser
from bot.phones import to_e164
from bot.runtime import Runtime, store_info
from bot.scheduler import build_scheduler, stop_scheduler
from bot.sealing import Sealer
from bot.settings import Settings, get_settings
from bot.staff import ROLES, create_staff

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
cli.add_typer(actions_cli, name="actions")
cli.add_typer(assessments_cli, name="assessments")
cli.add_typer(seal_cli, name="seal")
cli.add_typer(supply_cli, name="supply")
cli.add_typer(standards_cli, name="standards")
cli.add_typer(countries_cli, name="countries")
MAX_LINE = 4096


def _store() -> Store:
    """Every command works on an up-to-date schema; migrations are idempotent."""
    url = get_settings().database_url
    upgrade(url)
    return Store(url, store_info(get_settings()))


def _require_keys(settings: Settings) -> None:
    """Stop (exit code 2, the reason on stderr) unless SECRET_KEY and SURVEY_KEY are usable:
    set and strong, or generated in DATA_DIR on a loopback PUBLIC_BASE_URL."""
    try:
        secret_key(settings)
        survey_key(settings)
    except KeyUnusable as error:
        typer.echo(f"Refusing to start: {error}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    scheduler: Annotated[bool, typer.Option(help="Also send and remind in this process.")] = True,
) -> None:
    """Run the web app: webhooks, the staff console and the simulator. Without PUBLIC_BASE_URL
    the links the product sends name this server (http://HOST:PORT)."""
    settings = served_settings(get_settings(), host, port)
    _require_keys(settings)
    upgrade(settings.database_url)
    _echo_channels()
    app = create_app(Runtime(settings), run_scheduler=scheduler)
    typer.echo(f"Console: {console_url(f'http://{_shown_host(host)}:{port}')}")
    # The app itself decides which proxies' X-Forwarded-For to believe (TRUSTED_PROXIES).
    uvicorn.run(app, host=host, port=port, proxy_headers=False)


def served_settings(settings: Settings, host: str, port: int) -> Settings:
    """The settings a server on host:port runs with: without PUBLIC_BASE_URL, the links the
    product sends (report links, seal addresses) name that server."""
    if "public_base_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"public_base_url": f"http://{_shown_host(host)}:{port}"})


def _shown_host(host: str) -> str:
    """The address a person on this machine opens for a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


def console_url(base_url: str) -> str:
    """The console's sign-in page under a server's base address (scheme, host and port)."""
    return f"{base_url.rstrip('/')}/admin/login"


def _echo_channels() -> None:
    typer.echo("Channels:")
    for line in describe(get_settings()):
        typer.echo(f"  {line}")
    typer.echo(describe_store(get_settings()))


@cli.command()
def worker() -> None:
    """Run only the scheduler: send the outbox and fire due reminders."""
    settings = get_settings()
    _require_keys(settings)
    upgrade(settings.database_url)
    runtime = Runtime(settings)
    scheduler = build_scheduler(runtime)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    scheduler.start()
    _echo_channels()
    typer.echo(f"Worker running {len(scheduler.get_jobs())} periodic jobs.")
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    stop_scheduler(scheduler, runtime)
    runtime.close()


@cli.command("telegram-poll")
def telegram_poll(
    scheduler: Annotated[bool, typer.Option(help="Also send and remind in this process.")] = True,
) -> None:
    """Receive Telegram messages by long polling: local development without a public URL."""
    settings = get_settings()
    if not telegram.is_on(settings):
        typer.echo("Telegram is off: set TELEGRAM_BOT_TOKEN (from @BotFather).", err=True)
        raise typer.Exit(2)
    _require_keys(settings)
    upgrade(settings.database_url)
    runtime = Runtime(settings)
    jobs = build_scheduler(runtime) if scheduler else None
    if jobs:
        jobs.start()
    typer.echo("Polling Telegram for messages; Ctrl-C to stop.")
    try:
        asyncio.run(telegram.poll(settings, runtime.engine.handle))
    except InvalidToken:
        typer.echo("Telegram refused the token; check TELEGRAM_BOT_TOKEN.", err=True)
        raise typer.Exit(1) from None
    except Conflict:
        typer.echo("Another process is polling this bot.", err=True)
        raise typer.Exit(1) from None
    finally:
        if jobs:
            stop_scheduler(jobs, runtime)
        runtime.close()


@cli.command("telegram-webhook")
def telegram_webhook() -> None:
    """Point Telegram at this deployment: PUBLIC_BASE_URL/webhooks/telegram, with the secret."""
    settings = get_settings()
    if not telegram.webhook_is_on(settings):
        typer.echo("Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first.", err=True)
        raise typer.Exit(2)
    if not telegram.secret_is_valid(settings.telegram_webhook_secret):
        typer.echo("TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -.", err=True)
        raise typer.Exit(2)
    if not settings.public_base_url.startswith("https://"):
        typer.echo("Telegram only calls https:// addresses; set PUBLIC_BASE_URL.", err=True)
        raise typer.Exit(2)
    _require_keys(settings)  # webhooks will arrive: the deployment must be able to serve them
    try:
        url = asyncio.run(telegram.set_webhook(settings))
    except TelegramError as error:
        typer.echo(f"Telegram refused: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Telegram will post updates to {url}.")


@cli.command()
def chat(
    phone: Annotated[str, typer.Option(help="The simulated phone, in +E.164 form.")],
) -> None:
    """Talk to the bot as a phone: each line is a message, each reply is printed."""
    address = to_e164(phone)
    if address is None:
        typer.echo(
            f"'{phone[:40]}' is not a phone number; use the +E.164 form, e.g. +15550001111.",
            err=True,
        )
        raise typer.Exit(2)
    store, clock = _store(), SystemClock()
    engine = Engine(store, clock, Sealer.from_settings(get_settings()))
    interactive = sys.stdin.isatty()
    try:
        while True:
            if interactive:
                typer.echo("> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                break
            engine.handle(Inbound(SIM, address, uuid.uuid4().hex, line.rstrip("\r\n")[:MAX_LINE]))
            for message in take_pending(store, address, clock.now()):
                typer.echo(message.body)
                typer.echo("")
    except KeyboardInterrupt:
        pass
    finally:
        store.dispose()


@cli.command("create-staff")
def create_staff_command(
    email: Annotated[str, typer.Argument(help="The staff member's email, used to log in.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "staff",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    businesses: Annotated[
        str,
        typer.Option(help="Brand accounts: business ids (1,2); each leader is asked to consent."),
    ] = "",
    organisation: Annotated[
        str, typer.Option(help="Brand accounts: the name leaders are told.")
    ] = "",
) -> None:
    """Create a console account; for a brand, ask the named businesses' leaders for consent."""
    if role not in ROLES:
        typer.echo(f"Role must be one of: {', '.join(ROLES)}.", err=True)
        raise typer.Exit(2)
    if businesses.strip() and role != "brand":
        typer.echo("Only a brand account is linked to businesses (--role brand).", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    def create(session: Session) -> int:
        now = SystemClock().now()
        ids = parse_business_ids(businesses)
        user = create_staff(session, email, role, password, now, organisation)
        return len(request_links(session, user.id, ids, now)) if ids else 0

    asked = run_in_transaction(create)
    typer.echo(f"Created {role} account {email.strip().lower()}.")
    if asked:
        typer.echo(f"Asked the leaders of {asked} business(es) for consent over chat.")


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Add a handful of demo businesses so the console is not empty on a first run."""
    settings = get_settings()
    months = settings.assessment_months_after_pre_assessment
    now = SystemClock().now()
    with transaction() as session:
        added = seed_demo(
            session, now, months, settings.seal_valid_months, settings.public_base_url
        )
        first_login = None
        if session.scalar(select(func.count()).select_from(StaffUser)) == 0:
            first_login = secrets.token_urlsafe(12)
            create_staff(session, DEMO_ADMIN, "admin", first_login, now)
        brand_login = seed_demo_brand(session, now)
        sealed = session.scalar(select(Business).where(Business.name == SEALED))
        seal = current_seal(session, sealed.id) if sealed else None
        verify = seal_url(settings.public_base_url, seal.code) if seal else ""
    typer.echo(f"Added {added} demo businesses.")
    if first_login:
        typer.echo(
            f"Console: sign in at {console_url(settings.public_base_url)} as {DEMO_ADMIN}"
            f" with password {first_login}"
        )
    if brand_login:
        typer.echo(
            f"Brand partner: sign in at {console_url(settings.public_base_url)} as {DEMO_BRAND}"
            f" with password {brand_login}"
        )
    if verify:
        typer.echo(f"{SEALED}'s seal verifies at {verify}")


@cli.command("open-survey")
def open_survey_command(
    business_id: Annotated[int, typer.Argument(help="The business the survey is for.")],
    title: Annotated[str, typer.Option(help="A name staff will recognise.")] = "",
    definition: Annotated[
        Path | None, typer.Option(help="A JSON file with the questions; default: the standard.")
    ] = None,
) -> None:
    """Open an anonymous worker survey for a business and print the code workers text."""

    def open_it(session: Session) -> tuple[int, str]:
        questions = None
        if definition is not None:
            try:
                with definition.open("rb") as handle:
                    raw = handle.read(MAX_DEFINITION_BYTES + 1)
            except OSError as error:
                raise SurveyError(f"Cannot read the definition file: {error.strerror}.") from None
            questions = validate_definition(parse_definition(raw))
        survey = open_survey(session, business_id, SystemClock().now(), questions, title)
        return survey.id, survey.code

    survey_id, code = run_in_transaction(open_it)
    typer.echo(f"Opened survey {survey_id}. Workers text: JOIN {code}")


@cli.command("close-survey")
def close_survey_command(
    survey_id: Annotated[int, typer.Argument(help="The survey to close.")],
) -> None:
    """Close a survey: nobody new can join; workers already answering may finish."""
    run_in_transaction(lambda session: close_survey(session, survey_id, SystemClock().now()))
    typer.echo(f"Closed survey {survey_id}.")


@cli.command("survey-results")
def survey_results_command(
    survey_id: Annotated[int, typer.Argument(help="The survey to report on.")],
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV for a spreadsheet.")] = False,
) -> None:
    """Answer counts per question; any question with fewer than 5 respondents is withheld."""
    results = run_in_transaction(lambda session: survey_results(session, survey_id))
    typer.echo(results_csv(results) if as_csv else describe_results(results), nl=not as_csv)


def main() -> None:
    cli()
