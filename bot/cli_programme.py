"""Staff commands for the programme journey, calling the same domain functions as the console:
`python -m bot actions|assessments|supply ...`."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from bot.cli_support import run_in_transaction
from bot.clock import SystemClock
from bot.domain.actions import (
    KINDS,
    SEVERITIES,
    create_action_item,
    overdue_items,
    update_action_item,
    verify_action_item,
)
from bot.domain.assessments import (
    OUTCOMES,
    award_seal,
    record_assessment_outcome,
    record_pre_assessment,
    upcoming_assessments,
)
from bot.domain.seals import (
    SealNotFound,
    current_seal,
    revoke_seal,
    seal_url,
    shown_code,
    status_at,
)
from bot.domain.supply import TreeNode, supply_tree
from bot.settings import get_settings

MAX_ID = 2**31 - 1
DATE = ["%Y-%m-%d"]
T = TypeVar("T")

actions_cli = typer.Typer(no_args_is_help=True, help="Remediation and corrective-action items.")
assessments_cli = typer.Typer(no_args_is_help=True, help="Pre-assessment, assessment and seal.")
seal_cli = typer.Typer(no_args_is_help=True, help="The seal: show it, revoke it.")
supply_cli = typer.Typer(no_args_is_help=True, help="Reported supply chains.")

Id = Annotated[int, typer.Argument(min=1, max=MAX_ID)]
Day = Annotated[datetime, typer.Option(formats=DATE, help="A date, YYYY-MM-DD.")]


@actions_cli.command("add")
def add_action(
    business: Id,
    description: Annotated[str, typer.Argument(help="What to change, in a sentence.")],
    due: Day,
    severity: Annotated[str, typer.Option(help=", ".join(SEVERITIES))] = "major",
    kind: Annotated[str, typer.Option(help=", ".join(KINDS))] = "remediation",
) -> None:
    """Create an item; the leader is told at once and reminded before, on and after the date."""
    now = SystemClock().now()
    item_id = run_in_transaction(
        lambda session: (
            create_action_item(session, business, kind, severity, description, due.date(), now).id
        )
    )
    typer.echo(f"Created action item {item_id}, due {due.date().isoformat()}.")


@actions_cli.command("update")
def update_action(
    item: Id,
    description: Annotated[str | None, typer.Option(help="New text.")] = None,
    due: Annotated[datetime | None, typer.Option(formats=DATE, help="New date.")] = None,
    severity: Annotated[str | None, typer.Option(help=", ".join(SEVERITIES))] = None,
) -> None:
    """Change an item's text, date or severity; its reminders follow the new date."""
    now = SystemClock().now()
    run_in_transaction(
        lambda session: update_action_item(
            session,
            item,
            now,
            description=description,
            due_on=due.date() if due else None,
            severity=severity,
        )
    )
    typer.echo(f"Updated action item {item}.")


@actions_cli.command("verify")
def verify_action(item: Id) -> None:
    """Record that staff checked the change was made."""
    now = SystemClock().now()
    run_in_transaction(lambda session: verify_action_item(session, item, now))
    typer.echo(f"Verified action item {item}.")


@actions_cli.command("overdue")
def list_overdue() -> None:
    """Items still open after their due date, oldest first."""
    now = SystemClock().now()
    rows = run_in_transaction(
        lambda session: [
            f"{item.id}\tbusiness {item.business_id}\t{item.due_on}\t{item.severity}\t"
            f"{item.status}\t{item.description}"
            for item in overdue_items(session, now)
        ]
    )
    typer.echo("\n".join(rows) if rows else "No overdue items.")


@assessments_cli.command("pre-assessment")
def pre_assessment(
    business: Id,
    held_on: Day,
    months: Annotated[
        int | None, typer.Option(min=1, max=36, help="Months until the assessment.")
    ] = None,
) -> None:
    """Record the pre-assessment visit and schedule the compliance assessment."""
    now = SystemClock().now()
    chosen = months or get_settings().assessment_months_after_pre_assessment
    assessment = run_in_transaction(
        lambda session: record_pre_assessment(session, business, held_on, now, chosen)
    )
    typer.echo(
        f"Assessment {assessment.id} scheduled for {assessment.scheduled_for.date().isoformat()}."
    )


@assessments_cli.command("outcome")
def outcome(
    assessment: Id,
    result: Annotated[str, typer.Argument(help=", ".join(OUTCOMES))],
    notes: Annotated[str, typer.Option(help="What the assessors found.")] = "",
    reason: Annotated[
        str, typer.Option(help="Why, when not the outcome the findings imply, or a correction.")
    ] = "",
) -> None:
    """Record pass, partial or fail once every indicator is marked; then `plan` the items."""
    now = SystemClock().now()
    run_in_transaction(
        lambda session: record_assessment_outcome(session, assessment, result, notes, now, reason)
    )
    typer.echo(f"Recorded {result} for assessment {assessment}.")


@assessments_cli.command("award-seal")
def seal(business: Id) -> None:
    """Award the seal; the leader is told."""
    now = SystemClock().now()
    months = get_settings().seal_valid_months
    name = run_in_transaction(lambda session: award_seal(session, business, now, months).name)
    typer.echo(f"Seal awarded to {name}.")


@seal_cli.command("show")
def seal_show(business: Id) -> None:
    """Print the business's seal: number, code, status, validity and the public URL."""
    now = SystemClock().now()

    def show(session: Session) -> list[str]:
        seal = current_seal(session, business)
        if seal is None:
            raise SealNotFound(f"Business {business} has no seal.")
        status = status_at(seal, now)
        reason = f" ({seal.status_reason})" if status != "active" and seal.status_reason else ""
        return [
            f"Number:       {seal.number}",
            f"Code:         {shown_code(seal.code)}",
            f"Status:       {status}{reason}",
            f"Awarded on:   {seal.awarded_at.date().isoformat()}",
            f"Valid until:  {seal.valid_until.date().isoformat()}",
            f"Standards:    {seal.standards_version or '-'}",
            f"Verify at:    {seal_url(get_settings().public_base_url, seal.code)}",
        ]

    typer.echo("\n".join(run_in_transaction(show)))


@seal_cli.command("revoke")
def seal_revoke(
    business: Id,
    reason: Annotated[str, typer.Option(help="Why, in a sentence; the leader is told.")],
) -> None:
    """Revoke the business's active seal with a reason; the leader is told."""
    now = SystemClock().now()
    number = run_in_transaction(lambda session: revoke_seal(session, business, reason, now).number)
    typer.echo(f"Revoked seal {number}.")


@assessments_cli.command("upcoming")
def upcoming(
    days: Annotated[int, typer.Option(min=0, max=3650, help="How far ahead.")] = 60,
) -> None:
    """Assessments without an outcome within the coming days (and any past due)."""
    now = SystemClock().now()
    rows = run_in_transaction(
        lambda session: [
            f"{assessment.id}\tbusiness {assessment.business_id}\t"
            f"{assessment.scheduled_for.date().isoformat()}"
            for assessment in upcoming_assessments(session, now, days)
        ]
    )
    typer.echo("\n".join(rows) if rows else "No assessments in that time.")


@supply_cli.command("tree")
def tree(business: Id) -> None:
    """Print a business's reported supply chain, one layer per indent."""
    roots = run_in_transaction(lambda session: supply_tree(session, business))

    def lines(nodes: tuple[TreeNode, ...] | list[TreeNode]) -> Iterator[str]:
        for node in nodes:
            yield (
                f"{'  ' * (node.layer - 1)}{node.name} ({node.place}): {node.process}, "
                f"{node.workers} workers, {node.home_workers} at home, {node.payment_method}"
            )
            yield from lines(node.children)

    typer.echo("\n".join(lines(roots)) if roots else "Nothing reported yet.")
