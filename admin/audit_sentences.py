"""The audit log in plain words: each kind of entry as a sentence naming people, businesses and
items rather than ids ("asha@example.org verified item “Pay slips” of Blue Thread")."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.programme import LANGUAGE_NAMES, OUTCOMES, SEVERITIES, label
from bot.domain.lesson_texts import describe
from bot.models import ActionItem, Attachment, AuditEntry, Business, StaffUser, Survey

# What each kind of entry says. {who} is the person who acted; {business}, {item}, {staff} and
# {target} name what it was done to; the other fields come from the entry's detail.
SENTENCES: dict[str, str] = {
    "login": "{who} signed in",
    "login.failed": "A sign-in as {target} failed (wrong {wrong})",
    "logout": "{who} signed out",
    "password.change": "{who} changed their password",
    "two_factor.on": "{who} turned on two-factor sign-in",
    "two_factor.off": "{who} turned off two-factor sign-in",
    "two_factor.reset": "{who} reset the two-factor sign-in of {target}",
    "staff.create": "{who} created the account {target}",
    "staff.role": "{who} made {target} {role}",
    "staff.sign_out_everywhere": "{who} signed {target} out everywhere",
    "staff.unlock": "{who} cleared the failed sign-ins of {target}",
    "staff.expert": "{who} chose the ticket topics {staff} answers",
    "brand.request": "{who} asked leaders to let {target} see their business",
    "brand.list": "{who} looked at their vendors",
    "brand.view": "{who} looked at {business}",
    "brand.report": "{who} downloaded a report of {business}",
    "item.create": "{who} added item “{item}” for {business}",
    "item.edit": "{who} edited item “{item}” of {business}",
    "item.verify": "{who} verified item “{item}” of {business}",
    "item.withdraw": "{who} withdrew item “{item}” of {business}",
    "account.time_zone": "{who} chose to see times in {time_zone}",
    "business.time_zone": "{who} set the time zone of {business} to {time_zone}",
    "lesson.text": "{who} rewrote the {language} text of {what}",
    "media.view": "{who} opened an evidence file of {business}",
    "media.delete": "{who} deleted an evidence file of {business}",
    "pre_assessment.record": "{who} recorded the pre-assessment of {business}, held on {held_on}",
    "assessment.held": "{who} recorded that the assessment of {business} was held on {held_on}",
    "assessment.outcome": "{who} recorded the outcome “{outcome}” for {business}",
    "assessment.plan": "{who} sent the items of an assessment of {business}",
    "finding.mark": "{who} marked {code} as {status} for {business}",
    "finding.photo": "{who} added a photo to {code} for {business}",
    "finding.photo_view": "{who} opened a photo of finding {code}",
    "report.issue": "{who} issued version {version} of a report of {business}",
    "seal.award": "{who} awarded the seal to {business}",
    "seal.revoke": "{who} revoked the seal of {business}",
    "survey.open": "{who} opened survey {code} for {business}",
    "survey.close": "{who} closed survey {code} of {business}",
    "survey.cards": "{who} printed {cards} single-use card codes for a survey of {business}",
    "survey.audio": "{who} uploaded a {language} recording of “{question}” for a survey of "
    "{business}",
    "ticket.assign": "{who} assigned a ticket of {business}",
    "ticket.reply": "{who} answered a ticket of {business}",
    "ticket.close": "{who} closed a ticket of {business}",
    "broadcast.schedule": "{who} scheduled a broadcast for {send_at}",
    "broadcast.cancel": "{who} cancelled a broadcast",
    "country.change": "{who} changed a figure of {target} (version {version})",
    "export.businesses": "{who} downloaded the businesses (CSV)",
    "export.supply_chain": "{who} downloaded the supply chains (CSV)",
    "export.survey_results": "{who} downloaded survey results (CSV)",
    "export.findings": "{who} downloaded the findings (CSV)",
    "export.items": "{who} downloaded the items (CSV)",
    "export.assessments": "{who} downloaded the assessments (CSV)",
}
FINDING_STATUSES = {"met": "met", "not_met": "not met", "not_applicable": "not applicable"}


@dataclass(frozen=True)
class Line:
    """One entry as shown: when (UTC), who acted, the sentence and the business it concerns."""

    entry: AuditEntry
    who: str
    sentence: str
    business_id: int | None


def numbered(target: str, word: str) -> int | None:
    """The id in a target such as "business 12" (word "business"), or None."""
    prefix = f"{word} "
    rest = target[len(prefix) :] if target.startswith(prefix) else ""
    return int(rest) if rest.isascii() and rest.isdigit() and len(rest) < 10 else None


class _Fields(dict[str, str]):
    """Missing detail reads as a dash rather than failing the whole page."""

    def __missing__(self, key: str) -> str:
        return "—"


def _business_of(entry: AuditEntry, owners: Mapping[str, int]) -> int | None:
    """The business an entry is about: named in its target ("business 12"), or owning the
    survey or evidence file it names (`owners`, by target)."""
    found = numbered(entry.target, "business")
    return found if found is not None else owners.get(entry.target)


def sentence(
    entry: AuditEntry,
    who: str,
    businesses: Mapping[int, str],
    items: Mapping[int, str],
    staff: Mapping[int, str],
    owners: Mapping[str, int],
) -> str:
    """The entry in words; a kind with no sentence yet reads "who: kind on target".
    `owners` names the business of a target that is a survey or a file ("survey 3")."""
    detail: dict[str, Any] = entry.detail or {}
    fields = _Fields({key: str(value) for key, value in detail.items()})
    business_id = _business_of(entry, owners)
    item_id = detail.get("item")
    staff_id = numbered(entry.target, "staff")
    fields.update(
        who=who,
        target=entry.target,
        business=businesses.get(business_id, entry.target) if business_id else entry.target,
        item=_short(items.get(item_id, f"#{item_id}")) if isinstance(item_id, int) else "—",
        staff=staff.get(staff_id, entry.target) if staff_id else entry.target,
    )
    if "outcome" in detail:
        fields["outcome"] = label(str(detail["outcome"]), OUTCOMES)
    if "status" in detail:
        fields["status"] = FINDING_STATUSES.get(str(detail["status"]), str(detail["status"]))
    if "severity" in detail:
        fields["severity"] = label(str(detail["severity"]), SEVERITIES)
    if "language" in detail:
        fields["language"] = LANGUAGE_NAMES.get(str(detail["language"]), str(detail["language"]))
    if isinstance(detail.get("key"), str):
        fields["what"] = describe(detail["key"])
    if isinstance(detail.get("send_at"), str):
        fields["send_at"] = _utc(detail["send_at"])
    template = SENTENCES.get(entry.action)
    if template is None:
        return f"{who}: {entry.action} on {entry.target}"
    return template.format_map(fields)


def _utc(moment: str) -> str:
    """A stored ISO moment (naive UTC) as "2027-01-05 04:30 UTC"; as written if unreadable."""
    try:
        return f"{datetime.fromisoformat(moment):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return moment


def lines(session: Session, rows: Sequence[tuple[AuditEntry, str | None]]) -> list[Line]:
    """The page's entries (with the acting person's email, None for nobody signed in) in
    words; every name they mention is loaded in one query per kind of record."""
    entries = [entry for entry, _ in rows]
    owners = _owners(session, entries)
    business_ids = _ids(_business_of(entry, owners) for entry in entries)
    item_ids = _ids((entry.detail or {}).get("item") for entry in entries)
    staff_ids = _ids(numbered(entry.target, "staff") for entry in entries)
    businesses = _names(session, Business.id, Business.name, business_ids)
    items = _names(session, ActionItem.id, ActionItem.description, item_ids)
    staff = _names(session, StaffUser.id, StaffUser.email, staff_ids)
    return [
        Line(
            entry,
            email or "Someone not signed in",
            sentence(entry, email or "Someone", businesses, items, staff, owners),
            _business_of(entry, owners),
        )
        for entry, email in rows
    ]


def _owners(session: Session, entries: Sequence[AuditEntry]) -> dict[str, int]:
    """The business of each survey ("survey 3") and evidence file ("attachment:7") named."""
    surveys = _ids(numbered(entry.target, "survey") for entry in entries)
    files = _ids(numbered(entry.target.replace(":", " ", 1), "attachment") for entry in entries)
    owners: dict[str, int] = {}
    if surveys:
        for survey_id, business_id in session.execute(
            select(Survey.id, Survey.business_id).where(Survey.id.in_(surveys))
        ):
            owners[f"survey {survey_id}"] = business_id
    if files:
        for file_id, business_id in session.execute(
            select(Attachment.id, Business.id)
            .join(Business, Business.leader_id == Attachment.contact_id)
            .where(Attachment.id.in_(files))
        ):
            owners[f"attachment:{file_id}"] = business_id
    return owners


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ids(values: Iterable[object]) -> set[int]:
    return {value for value in values if isinstance(value, int)}


def _names(session: Session, key: Any, name: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(key, name).where(key.in_(ids))).all())
