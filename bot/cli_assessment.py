"""Staff commands for the assessment instrument, on the same domain functions as the console:
`python -m bot standards list`, `python -m bot countries show CC`, and the findings of an
assessment under `python -m bot assessments ...`."""

from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bot.cli_programme import DATE, Day, Id, assessments_cli
from bot.cli_support import run_in_transaction
from bot.clock import SystemClock
from bot.domain.assessments import hold, schedule_reassessment
from bot.domain.findings import (
    STATUSES,
    assessment_of,
    findings_of,
    implied,
    items_from_findings,
    mark,
    unmarked,
)
from bot.domain.law import figure_text, profile, wage_text
from bot.domain.standards import SEVERITIES, standards

standards_cli = typer.Typer(no_args_is_help=True, help="The standards businesses are assessed on.")
countries_cli = typer.Typer(no_args_is_help=True, help="Local labour law: country profiles.")
STATUS_WORDS = {status.replace("_", "-"): status for status in STATUSES}


@standards_cli.command("list")
def list_standards() -> None:
    """The version, then one line per indicator: code, category, default severity."""
    shipped = standards()
    lines = [f"Standards {shipped.version} ({shipped.title}), {len(shipped.indicators)} indicators"]
    lines += [
        f"{indicator.code}\t{indicator.category}\t{indicator.severity}"
        for indicator in shipped.indicators
    ]
    typer.echo("\n".join(lines))


@countries_cli.command("show")
def show_country(
    country: Annotated[str, typer.Argument(help="ISO 3166 code, as IN or MX.")],
) -> None:
    """The country's legal figures in force, each with its source and whether it is verified."""
    code = country.strip().upper()[:2]
    found = run_in_transaction(lambda session: profile(session, code))
    if found is None:
        typer.echo(f"There is no profile for {country[:8]!r}.", err=True)
        raise typer.Exit(1)
    lines = [f"{found.country} profile {found.version}"]
    for name, figure in found.parameters.items():
        lines.append(
            f"{name}\t{figure_text(figure)}\t{figure['source']}\teffective {figure['effective']}"
        )
    for wage in found.minimum_wages:
        lines.append(
            f"minimum_wage\t{wage_text(wage)}\t{wage['source']}\teffective {wage['effective']}"
        )
    typer.echo("\n".join(lines))


@assessments_cli.command("held")
def held(assessment: Id, on: Day) -> None:
    """Record the day the assessment is held (its outcome can be recorded from that day)."""
    now = SystemClock().now()
    run_in_transaction(lambda session: hold(session, assessment, on.date(), now))
    typer.echo(f"Assessment {assessment} held on {on.date().isoformat()}.")


@assessments_cli.command("finding")
def finding(
    assessment: Id,
    code: Annotated[str, typer.Argument(help="The indicator, as CHILD-01.")],
    status: Annotated[str, typer.Argument(help=", ".join(STATUS_WORDS))],
    severity: Annotated[
        str | None,
        typer.Option(help=f"{', '.join(SEVERITIES)}; another than the default needs --reason"),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why the severity differs.")] = "",
    note: Annotated[str, typer.Option(help="What the assessor saw.")] = "",
) -> None:
    """Mark one indicator met, not met or not applicable."""
    if status not in STATUS_WORDS:
        typer.echo(f"The finding must be one of: {', '.join(STATUS_WORDS)}.", err=True)
        raise typer.Exit(2)
    now = SystemClock().now()
    saved = run_in_transaction(
        lambda session: (
            mark(
                session,
                assessment,
                code.strip().upper(),
                STATUS_WORDS[status],
                now,
                severity=severity,
                reason=reason,
                note=note,
            ).severity
        )
    )
    typer.echo(f"{code.strip().upper()}: {status}" + (f" ({saved})" if saved else ""))


@assessments_cli.command("findings")
def list_findings(assessment: Id) -> None:
    """The findings in the standards' order, what is unmarked, and the outcome they imply."""

    def read(session: Session) -> list[str]:
        assessment_of(session, assessment)
        found = findings_of(session, assessment)
        lines = []
        for code in standards().codes:
            if code in found:
                item = found[code]
                graded = f" ({item.severity})" if item.severity else ""
                lines.append(f"{code}\t{item.status.replace('_', '-')}{graded}\t{item.note}")
        missing = unmarked(session, assessment)
        if missing:
            more = " ..." if len(missing) > 10 else ""
            lines.append(f"Unmarked: {len(missing)} ({', '.join(missing[:10])}{more})")
        lines.append(f"Implied outcome: {implied(session, assessment)}")
        return lines

    typer.echo("\n".join(run_in_transaction(read)))


@assessments_cli.command("plan")
def plan_items(assessment: Id) -> None:
    """Turn unmet findings into items: corrective ones after an assessment, remediation
    recommendations after a pre-assessment review; each leader is told in their language."""
    now = SystemClock().now()
    created = run_in_transaction(
        lambda session: [
            f"{item.id}\t{item.severity}\tdue {item.due_on.isoformat()}\t{item.description}"
            for item in items_from_findings(session, assessment, now)
        ]
    )
    typer.echo("\n".join(created) if created else "No new items: every unmet finding has one.")


@assessments_cli.command("reassess")
def reassess(
    business: Id,
    on: Annotated[datetime, typer.Option(formats=DATE, help="The day, YYYY-MM-DD.")],
) -> None:
    """Schedule a re-assessment of a business whose last assessment has an outcome."""
    now = SystemClock().now()
    made = run_in_transaction(
        lambda session: schedule_reassessment(session, business, on.date(), now).id
    )
    typer.echo(f"Assessment {made} scheduled for {on.date().isoformat()}.")
