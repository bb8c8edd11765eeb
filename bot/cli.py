"""The command line: `python -m bot serve|chat|create-staff|seed-demo`."""

import contextlib
import sys
import uuid
from typing import Annotated

import typer
import uvicorn

from bot.channels.simulator import CHANNEL as SIM
from bot.channels.simulator import take_pending
from bot.clock import SystemClock
from bot.db import Store
from bot.demo import seed_demo
from bot.engine import Engine, Inbound
from bot.migrate import upgrade
from bot.phones import to_e164
from bot.runtime import Runtime
from bot.scheduler import build_scheduler
from bot.settings import get_settings
from bot.staff import ROLES, StaffError, create_staff

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
MAX_LINE = 4096


def _store() -> Store:
    """Every command works on an up-to-date schema; migrations are idempotent."""
    url = get_settings().database_url
    upgrade(url)
    return Store(url)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    scheduler: Annotated[bool, typer.Option(help="Also send and remind in this process.")] = True,
) -> None:
    """Run the web app: webhooks, the staff console and the simulator."""
    from bot.app import create_app

    upgrade(get_settings().database_url)
    typer.echo("Channels: simulator on (python -m bot chat).")
    uvicorn.run(create_app(Runtime(), run_scheduler=scheduler), host=host, port=port)


@cli.command()
def worker() -> None:
    """Run only the scheduler: send the outbox and fire due reminders."""
    import signal
    import threading

    upgrade(get_settings().database_url)
    runtime = Runtime()
    scheduler = build_scheduler(runtime)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    scheduler.start()
    typer.echo(f"Worker running {len(scheduler.get_jobs())} periodic jobs.")
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    scheduler.shutdown(wait=True)
    runtime.close()


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
    engine = Engine(store, clock)
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
) -> None:
    """Create a console account."""
    if role not in ROLES:
        typer.echo(f"Role must be one of: {', '.join(ROLES)}.", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = _store()
    try:
        with store.transaction() as session:
            create_staff(session, email, role, password, SystemClock().now())
    except StaffError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        store.dispose()
    typer.echo(f"Created {role} account {email.strip().lower()}.")


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Add a handful of demo businesses so the console is not empty on a first run."""
    store = _store()
    with store.transaction() as session:
        added = seed_demo(session, SystemClock().now())
    store.dispose()
    typer.echo(f"Added {added} demo businesses.")


def main() -> None:
    cli()
