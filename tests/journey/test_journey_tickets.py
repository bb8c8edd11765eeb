"""Expert support: tickets opened from chat, answered and closed by staff, free text routed into
them, experts by category, and surveys kept apart."""

import pytest
from assessment_support import assess, first_of
from journey_support import business_id, outbox, register
from sqlalchemy import delete, func, select

from bot.domain.actions import create_action_item
from bot.domain.assessments import record_assessment_outcome, record_pre_assessment
from bot.domain.findings import items_from_findings
from bot.domain.standards import standards
from bot.domain.surveys import open_survey
from bot.domain.tickets import TicketError, assign, close, reply, set_experts
from bot.models import ActionItem, Contact, StaffUser, Ticket, TicketMessage
from bot.staff import create_staff

pytest_plugins = ["journey_fixtures"]
TALK = "8"


def keys_sent(store, address: str, since: int) -> list[str]:
    return [row.message_key for row in outbox(store, address)[since:]]


def an_item(store, clock, leader) -> int:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        item = create_action_item(
            session, business, "remediation", "minor", "Keep a first-aid kit at hand",
            clock.now().date().replace(year=clock.now().year + 1), clock.now(),
        )  # fmt: skip
        return item.id


def tickets(store) -> list[Ticket]:
    with store.transaction() as session:
        found = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        for ticket in found:
            session.expunge(ticket)
        return found


def conversation(store, ticket_id: int) -> list[tuple[str, str]]:
    with store.transaction() as session:
        rows = session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.id)
        )  # fmt: skip
        return [(row.direction, row.body) for row in rows]


def test_a_tickets_life_from_need_help_to_an_answer_and_closing(store, clock, leader) -> None:
    item_id = an_item(store, clock, leader)
    before = len(outbox(store, leader.address))
    assert leader.keys("need help") == ["menu.main"]
    assert keys_sent(store, leader.address, before) == ["ticket.opened", "menu.main"]
    [ticket] = tickets(store)
    assert (ticket.topic, ticket.item_id, ticket.status) == ("item", item_id, "open")
    told = outbox(store, leader.address)[before]
    assert "The programme team will answer you here, usually within 24 hours." in told.body

    assert leader.keys("need help") == [] or True  # at the menu, "need help" is read as text
    assert len(tickets(store)) == 1, "one open ticket per leader and topic"

    with store.transaction() as session:
        staff = create_staff(session, "expert@example.org", "staff", "a long enough password",
                             clock.now())  # fmt: skip
        reply(session, ticket.id, staff.id, "Any pharmacy sells one.\nKeep it dry.", clock.now())
    answered = outbox(store, leader.address)[-1]
    assert answered.message_key == "ticket.reply"
    assert answered.body == "Programme team: Any pharmacy sells one.\nKeep it dry."
    assert answered.channel == "sim"
    assert tickets(store)[0].status == "waiting"

    assert leader.keys("Which shop is open on Sunday?") == ["ticket.added"]
    assert tickets(store)[0].status == "open"
    assert leader.keys("MENU") == ["menu.main"], "keywords still work"
    assert conversation(store, ticket.id)[-1] == ("in", "Which shop is open on Sunday?")

    with store.transaction() as session:
        close(session, ticket.id, clock.now())
        with pytest.raises(TicketError, match="closed"):
            reply(session, ticket.id, staff.id, "Again", clock.now())
        with pytest.raises(TicketError, match="closed"):
            assign(session, ticket.id, staff.id, clock.now())
    assert outbox(store, leader.address)[-1].message_key == "ticket.closed"
    assert leader.keys("Thanks a lot") == ["invalid.choice"], "back to the bot"
    with store.transaction() as session:
        assert session.get(ActionItem, item_id).status == "open", "help was given"


def test_free_text_while_an_item_waits_for_help_opens_a_ticket_on_it(store, clock, leader) -> None:
    item_id = an_item(store, clock, leader)
    leader.send("need help")
    with store.transaction() as session:  # its ticket gone (as for help asked before tickets)
        session.execute(delete(TicketMessage))
        session.execute(delete(Ticket))
    assert leader.keys("The kit I bought is too small") == ["ticket.added"]
    opened = [ticket for ticket in tickets(store) if ticket.status == "open"]
    assert [(ticket.topic, ticket.item_id) for ticket in opened] == [("item", item_id)]
    assert conversation(store, opened[0].id) == [("in", "The kit I bought is too small")]
    assert leader.keys("7") == ["onboarding.choose_language"], "a number is still a choice"


def test_talk_to_the_programme_team_from_the_menu(store, clock, leader) -> None:
    assert leader.keys(TALK) == ["ticket.ask"]
    assert leader.keys("?") == ["ticket.ask_again"]
    assert leader.keys("When is the next training?") == ["menu.main"]
    [ticket] = tickets(store)
    assert (ticket.topic, ticket.item_id, ticket.status) == ("other", None, "open")
    assert conversation(store, ticket.id) == [("in", "When is the next training?")]
    assert outbox(store, leader.address)[-2].message_key == "ticket.opened"


def test_tickets_on_items_from_findings_go_to_the_categorys_expert(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    now = clock.now()
    code = first_of("major")
    category = standards().indicator(code).category
    other = next(c.code for c in standards().categories if c.code != category)
    with store.transaction() as session:
        expert = create_staff(session, "pay@example.org", "staff", "a long enough password", now)
        elsewhere = create_staff(
            session, "kids@example.org", "staff", "a long enough password", now
        )
        set_experts(session, expert.id, [category])
        set_experts(session, elsewhere.id, [other])
        expert_id = expert.id
        with pytest.raises(TicketError, match="among"):
            set_experts(session, expert.id, ["astrology"])
        reader = create_staff(
            session, "reader@example.org", "viewer", "a long enough password", now
        )
        with pytest.raises(TicketError, match="Only staff and admins"):
            set_experts(session, reader.id, [category])
        assessment = record_pre_assessment(session, business, now, now, 6)
        assess(session, assessment.id, now, {code: None})
        record_assessment_outcome(session, assessment.id, "partial", "", now)
        [item] = items_from_findings(session, assessment.id, now)
    leader.send("need help")
    [ticket] = tickets(store)
    assert (ticket.item_id, ticket.category, ticket.assignee_id) == (item.id, category, expert_id)
    told = next(row for row in reversed(outbox(store, leader.address))
                if row.message_key == "ticket.opened")  # fmt: skip
    assert "Our expert on" in told.body


def test_a_leader_in_a_survey_opens_no_ticket_and_nothing_of_it_reaches_one(
    store, clock, leader
) -> None:
    an_item(store, clock, leader)
    leader.send("need help")
    [ticket] = tickets(store)
    before = conversation(store, ticket.id)
    business = business_id(store, leader.address)
    with store.transaction() as session:
        code = open_survey(session, business, clock.now()).code
    assert leader.keys(f"JOIN {code}")[0] == "survey.consent"
    for typed in ("I am not sure what to say", "my boss pays late", "1", "2"):
        leader.send(typed)
    assert conversation(store, ticket.id) == before
    with store.transaction() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


def test_staff_answers_are_checked_and_opted_out_leaders_get_none(store, clock, leader) -> None:
    an_item(store, clock, leader)
    leader.send("need help")
    [ticket] = tickets(store)
    with store.transaction() as session:
        staff = create_staff(session, "a@example.org", "staff", "a long enough password",
                             clock.now())  # fmt: skip
        for body, message in [("", "Write"), ("   ", "Write"), ("x" * 1001, "1000"),
                              ("bell \x07", "cannot be shown")]:  # fmt: skip
            with pytest.raises(TicketError, match=message):
                reply(session, ticket.id, staff.id, body, clock.now())
        session.scalar(select(Contact).where(Contact.address == leader.address)).opted_out = True
        with pytest.raises(TicketError, match="opted out"):
            reply(session, ticket.id, staff.id, "Hello", clock.now())


def test_workers_have_no_tickets(store, clock, make_phone) -> None:
    worker = make_phone("+15550199001")
    for typed in ("hi", "1", "1", "2"):  # English, consent, a worker
        worker.send(typed)
    worker.send("I need help with my pay")
    assert tickets(store) == []


def test_a_second_language_hears_who_answers_in_it(store, clock, make_phone) -> None:
    leader = make_phone("+15550199002")
    register(leader, "es", "Tejidos Luna")
    an_item(store, clock, leader)
    leader.send("necesito ayuda")
    told = next(row for row in reversed(outbox(store, leader.address))
                if row.message_key == "ticket.opened")  # fmt: skip
    assert told.body.startswith("Gracias. El equipo del programa le responderá aquí")
    with store.transaction() as session:
        assert session.scalar(select(StaffUser)) is None
