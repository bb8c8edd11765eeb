"""What the engine knows about a contact before a step (`flows.core.Facts`), in one statement.

Every inbound message needs them, so they are read in a single round trip: the business the
contact leads, its stage (`bot.domain.stage.stage_column`), whether the leader has an open
ticket or an item waiting for help, the version of the admins' texts the replies will be
rendered with (`bot.domain.lesson_texts.texts_version`), and the contact's stored conversation
row, handed to `bot.domain.conversation` so the step's state needs no query of its own.
"""

from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, exists, literal, select
from sqlalchemy.orm import Session

from bot.domain.conversation import STORED_COLUMNS, note_stored
from bot.domain.lesson_texts import note_texts_version, texts_version
from bot.domain.stage import stage_column
from bot.domain.tickets import OPEN
from bot.models import ActionItem, Business, Contact, ConversationState, InboundMessage, Ticket
from flows.core import Facts


def facts_of(
    session: Session,
    contact: Contact,
    default_country: str | None,
    channel: str,
    receipts: list[str],
) -> tuple[Facts, bool]:
    """The facts of `contact` as stored now, in the caller's transaction, with the country
    their number belongs to (ISO 3166 code, None for a chat id), and whether an inbound
    message on `channel` was stored under any of `receipts` (its provider id as given or as
    keyed hashes): the engine's "handled before?", read in the same round trip. Also notes
    the texts' version on the session for `refresh_texts`, and hands the contact's stored
    conversation row to `bot.domain.conversation` (`note_stored`)."""
    parameters = {"contact_id": contact.id, "channel": channel, "receipts": receipts}
    row = session.connection().execute(_facts_query(), parameters).one()
    note_texts_version(session, row.texts)
    note_stored(session, contact.id, row[-len(STORED_COLUMNS) :])
    business = row.id is not None
    leads = business and contact.role == "leader"
    facts = Facts(
        ticket_open=leads and bool(row.ticket_open),
        item_needs_help=leads and bool(row.needs_help),
        language=contact.language,
        role=contact.role,
        consented=contact.consented_at is not None,
        opted_out=contact.opted_out,
        business_name=row.name,
        stage=row.stage if business else None,
        business_id=row.id,
        default_country=default_country,
    )
    return facts, bool(row.seen)


@cache
def _facts_query() -> Select[Any]:
    """Built once: every inbound message runs it, and building it costs more than running it."""
    contact_id = bindparam("contact_id")
    one_row = select(literal(1).label("one")).subquery()
    ticket_open = exists().where(Ticket.leader_id == contact_id, Ticket.status.in_(OPEN))
    needs_help = exists().where(ActionItem.business_id == Business.id, ActionItem.status == "help")
    seen = exists().where(
        InboundMessage.channel == bindparam("channel"),
        InboundMessage.provider_id.in_(bindparam("receipts", expanding=True)),
    )
    return (
        select(
            texts_version().label("texts"),
            seen.label("seen"),
            Business.id,
            Business.name,
            stage_column().label("stage"),
            ticket_open.label("ticket_open"),
            needs_help.label("needs_help"),
            *STORED_COLUMNS,
        )
        .select_from(one_row)
        .outerjoin(Business, Business.leader_id == contact_id)
        .outerjoin(ConversationState, ConversationState.contact_id == contact_id)
    )
