"""Supply-chain mapping over chat: transcripts on SMS and Telegram, the tree they build, edits,
removals, confirmation, unclear answers and long lists kept within the SMS budget."""

import pytest
from fakes.telegram import options
from journey_support import MENU, business_id, outbox, register
from sqlalchemy import select

from bot.domain.supply import add_node, supply_tree
from bot.models import Business
from messages import catalogue
from messages.sms import segments

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime


def report(phone, name: str, place: str, process: str, workers: str, parent: str | None, pay: str):
    """Answer the questions for one entry and save it; returns the summary shown before saving."""
    assert phone.keys(name) == ["supply.ask_place"]
    assert phone.keys(place) == ["supply.ask_process"]
    assert phone.keys(process) == ["supply.ask_workers"]
    keys = phone.keys(workers)
    if parent is not None:
        assert keys == ["supply.ask_parent"]
        keys = phone.keys(parent)
    assert keys == ["supply.ask_payment"]
    summary = phone.send(pay)
    assert [key for key, _ in summary] == ["supply.summary", "supply.ask_save"]
    assert phone.keys("1") == ["supply.saved"]
    return summary


def shape(nodes) -> list[tuple]:
    return [
        (
            node.name,
            node.layer,
            node.workers,
            node.home_workers,
            node.payment_method,
            shape(node.children),
        )
        for node in nodes
    ]


def test_a_leader_maps_three_layers_by_sms_and_the_tree_comes_out_right(store, leader) -> None:
    assert leader.keys(MENU["report"]) == ["supply.ask_name"]
    summary = report(
        leader, "Kamal Traders", "Bagru, Jaipur", "block printing", "12, 8 at home", None, "1"
    )
    assert summary[0][1] == "Kamal Traders in Bagru, Jaipur: block printing."
    assert summary[1][1].startswith("12 workers, 8 at home. Work from: Blue Thread. Paid: Cash.")
    assert summary[1][1].endswith("\n1 Yes, save\n2 No, cancel")

    assert leader.keys("1") == ["supply.ask_name"]  # report another
    assert leader.keys("Meena's group") == ["supply.ask_place"]
    assert leader.keys("Sanganer") == ["supply.ask_process"]
    assert leader.keys("embroidery") == ["supply.ask_workers"]
    [(key, text)] = leader.send("20")  # one number: the home-based count is asked next
    assert key == "supply.ask_home_workers" and "20" in text
    [(key, parents)] = leader.send("15")
    assert key == "supply.ask_parent"
    assert parents.endswith("\n1 Us, directly\n2 Kamal Traders")
    assert leader.keys("2") == ["supply.ask_payment"]
    summary = leader.send("mobile money")  # the option's words work as well as its number
    assert "Work from: Kamal Traders. Paid: Mobile money." in summary[1][1]
    assert leader.keys("1") == ["supply.saved"]

    assert leader.keys("1") == ["supply.ask_name"]
    report(leader, "Sita home group", "Bagru", "stitching soles", "6 6", "3", "3")
    assert leader.keys("1") == ["supply.ask_name"]
    report(leader, "Ravi Weaves", "Jaipur", "weaving", "4 0", "1", "1")

    [(key, listed)] = leader.send("2")  # my supply chain
    assert key == "supply.list"
    assert listed.startswith("Your supply chain: 4 groups, 42 workers.")
    assert "\n1 Kamal Traders\n2 > Meena's group\n3 >> Sita home group\n4 Ravi Weaves\n" in listed

    with store.transaction() as session:
        tree = supply_tree(session, business_id(store, leader.address))
    assert shape(tree) == [
        (
            "Kamal Traders",
            1,
            12,
            8,
            "cash",
            [
                (
                    "Meena's group",
                    2,
                    20,
                    15,
                    "mobile_money",
                    [("Sita home group", 3, 6, 6, "bank", [])],
                )
            ],
        ),
        ("Ravi Weaves", 1, 4, 0, "cash", []),
    ]


def test_an_entry_can_be_changed_removed_and_the_list_confirmed(store, leader) -> None:
    leader.send(MENU["report"])
    report(leader, "Kamal Traders", "Bagru", "block printing", "12 8", None, "1")
    leader.send("1")
    report(leader, "Meena's group", "Sanganer", "embroidery", "20 15", "2", "2")
    leader.send("1")
    report(leader, "Sita home group", "Bagru", "beading", "6 6", "3", "1")

    assert leader.keys("2") == ["supply.list"]
    details = leader.send("2")  # Meena's group
    assert [key for key, _ in details] == ["supply.summary", "supply.node_menu"]
    assert details[1][1].startswith("20 workers, 15 at home. Work from: Kamal Traders.")
    assert leader.keys("1") == ["supply.ask_field"]
    assert leader.keys("4") == ["supply.ask_workers"]
    [(key, text)] = leader.send("25 people, 21 at home")
    assert key == "supply.updated" and text.startswith("Changed Meena's group.")

    leader.send("2")  # my supply chain
    leader.send("2")  # Meena's group
    leader.send("1")  # change
    [(key, parents)] = leader.send("5")  # who gives work: itself and those below are left out
    assert key == "supply.ask_parent"
    assert parents.endswith("\n1 Us, directly\n2 Kamal Traders")
    assert leader.keys("1") == ["supply.updated"]

    with store.transaction() as session:
        [kamal, meena] = supply_tree(session, business_id(store, leader.address))
    assert (meena.name, meena.workers, meena.home_workers, meena.layer) == (
        "Meena's group",
        25,
        21,
        1,
    )
    assert [child.name for child in meena.children] == ["Sita home group"]

    [(key, listed)] = leader.send("2")  # the list is in tree order: Kamal, Meena, > Sita
    assert "\n2 Meena's group\n3 > Sita home group\n" in listed
    leader.send("2")  # Meena's group
    assert leader.keys("2") == ["supply.ask_remove"]
    assert leader.keys("2") == ["supply.summary", "supply.node_menu"]  # no: nothing removed
    assert leader.keys("2") == ["supply.ask_remove"]
    [(key, text)] = leader.send("1")
    assert key == "supply.removed" and "Meena's group" in text

    with store.transaction() as session:
        tree = supply_tree(session, business_id(store, leader.address))
    assert [(node.name, node.layer) for node in tree] == [
        ("Kamal Traders", 1),
        ("Sita home group", 1),  # handed to the removed group's own parent: the business
    ]

    [(key, listed)] = leader.send("2")
    options = listed.split("\n")[1:]
    assert options[-1] == "4 The list is complete"
    assert leader.keys("4") == ["supply.confirmed", "menu.main"]
    with store.transaction() as session:
        assert session.scalar(select(Business.mapping_confirmed_at)) is not None
    [(key, _)] = leader.send(MENU["stage"])
    assert key == "stage.pre_assessment"


def test_a_cancelled_entry_is_not_saved(store, leader) -> None:
    leader.send(MENU["report"])
    for answer in ("Kamal Traders", "Bagru", "printing", "3 1", "1"):
        leader.send(answer)
    assert leader.keys("2") == ["supply.cancelled"]
    assert leader.keys("3") == ["menu.main"]
    with store.transaction() as session:
        assert supply_tree(session, business_id(store, leader.address)) == []
    assert leader.keys(MENU["stage"]) == ["stage.registered"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("many", "supply.workers_invalid"),
        ("", "invalid.empty"),
        ("1.5", "supply.workers_invalid"),
        ("12 8 3", "supply.workers_invalid"),
        ("0", "supply.workers_invalid"),
        ("-4", "supply.workers_invalid"),
        ("9" * 40, "supply.workers_invalid"),
        ("8 12", "supply.home_invalid"),
        ("🧵🧵", "supply.workers_invalid"),
        ("'; DROP TABLE supply_nodes;--", "supply.workers_invalid"),
    ],
)
def test_unclear_counts_are_asked_again(store, leader, answer, expected) -> None:
    leader.send(MENU["report"])
    for typed in ("Kamal Traders", "Bagru", "printing"):
        leader.send(typed)
    replies = leader.keys(answer)
    assert replies[0] == expected
    assert replies[-1] == "supply.ask_workers"
    assert leader.keys("१२ ८") == ["supply.ask_payment"]  # Devanagari digits count too


def test_unclear_words_and_choices_are_asked_again_and_lose_nothing(leader) -> None:
    leader.send(MENU["report"])
    assert leader.keys("x" * 41) == ["supply.text_invalid", "supply.ask_name"]
    assert leader.keys("!!") == ["supply.text_invalid", "supply.ask_name"]
    # Only invisible characters: the message is empty once they are taken out.
    assert leader.keys("\u202e\u200b") == ["invalid.empty", "supply.ask_name"]
    assert leader.keys("Kamal Traders") == ["supply.ask_place"]
    assert leader.keys("Bagru") == ["supply.ask_process"]
    assert leader.keys("printing") == ["supply.ask_workers"]
    assert leader.keys("12") == ["supply.ask_home_workers"]
    assert leader.keys("13") == ["supply.home_invalid", "supply.ask_home_workers"]
    assert leader.keys("none") == ["supply.home_invalid", "supply.ask_home_workers"]
    assert leader.keys("0") == ["supply.ask_payment"]
    [(key, text)] = leader.send("crypto")
    assert key == "invalid.choice" and text.endswith("1 Cash\n2 Mobile money\n3 Bank")
    assert leader.keys("HELP") == ["keyword.help", "supply.ask_payment"]
    summary = leader.send("3")
    assert summary[0][1] == "Kamal Traders in Bagru: printing."
    assert leader.keys("7") == ["invalid.choice"]
    assert leader.keys("1") == ["supply.saved"]


def test_spanish_over_telegram_shows_buttons_and_builds_the_tree(store, make_phone) -> None:
    phone = make_phone("telegram:5550001", channel="telegram")
    register(phone, "es", "Tejidos Luna")
    [(key, body)] = phone.send(MENU["report"])
    assert key == "supply.ask_name" and body.startswith("¿Quién trabaja para usted?")
    for answer in ("Taller Rosa", "San Juan Chamula", "tejido"):
        phone.send(answer)
    phone.send("10 7")
    [row] = outbox(store, phone.address)[-1:]
    assert row.message_key == "supply.ask_payment"
    assert "\n1 " not in row.body
    assert options(row.buttons) == [["Efectivo", "1"], ["Por celular", "2"], ["Banco", "3"]]
    phone.send("2")
    [summary, question] = outbox(store, phone.address)[-2:]
    assert summary.body == "Taller Rosa en San Juan Chamula: tejido."
    assert question.body.startswith("10 personas, 7 en casa. Trabajo de: Tejidos Luna.")
    assert options(question.buttons) == [["Guardar", "1"], ["Cancelar", "2"]]
    assert phone.keys("1") == ["supply.saved"]
    phone.send("1")
    for answer in ("Grupo Ana", "Zinacantán", "bordado", "5 5"):
        phone.send(answer)
    [row] = outbox(store, phone.address)[-1:]
    assert row.message_key == "supply.ask_parent"
    assert options(row.buttons) == [["Nosotros, directo", "1"], ["Taller Rosa", "2"]]
    for answer in ("2", "1", "1"):
        phone.send(answer)
    with store.transaction() as session:
        [rosa] = supply_tree(session, business_id(store, phone.address))
    assert (rosa.name, rosa.payment_method, rosa.layer) == ("Taller Rosa", "mobile_money", 1)
    assert [(child.name, child.layer) for child in rosa.children] == [("Grupo Ana", 2)]


@pytest.mark.parametrize("language", ["hi", "en"])
def test_long_lists_come_in_pages_that_fit_the_sms_budget(store, clock, make_phone, language):
    phone = make_phone("+919812345679")
    register(phone, language)
    business = business_id(store, phone.address)
    with store.transaction() as session:
        parent = None
        for number in range(1, 31):
            node = add_node(
                session,
                business,
                clock.now(),
                name=f"Group {number} of Sanganer embroiderers",
                place="Sanganer",
                process="embroidery",
                workers=10,
                home_workers=5,
                payment_method="cash",
                parent_id=parent,
            )
            parent = node.id if number % 10 == 0 else parent

    more = catalogue(language)["list.more"]
    seen: list[str] = []
    [(key, page)] = phone.send(MENU["chain"])
    pages = 0
    while True:
        assert key == "supply.list"
        assert segments(page) <= 2, page
        lines = page.split("\n")[1:]
        pages += 1
        entries = [line.split(" ", 1)[1] for line in lines if "Sanganer" in line]
        assert entries
        seen += entries
        if not lines[-1].endswith(more):
            break
        [(key, page)] = phone.send(lines[-1].split(" ")[0])
    assert pages > 2
    assert len(seen) == 30
    assert seen[10].startswith("> Group 11 ") and seen[29].startswith(">> Group 30 ")

    # Choosing a parent from a later page, while reporting a new group.
    assert phone.keys("MENU") == ["menu.main"]
    assert phone.keys(MENU["report"]) == ["supply.ask_name"]
    for answer in ("Last group", "Bagru", "beading", "3 1"):
        phone.send(answer)
    [(key, page)] = phone.send("x")  # a wrong answer repeats the page
    assert key == "invalid.choice" and segments(page) <= 2
    options = page.split("\n")[1:]
    [(key, page)] = phone.send(options[-1].split(" ")[0])  # More
    assert key == "supply.ask_parent" and segments(page) <= 2
    first = page.split("\n")[2]  # after "Us, directly", which every page offers first
    assert phone.keys(first.split(" ")[0]) == ["supply.ask_payment"]
    phone.send("1")
    phone.send("1")
    with store.transaction() as session:
        tree = supply_tree(session, business)

    def names(nodes):
        for node in nodes:
            yield node.name, node
            yield from names(node.children)

    chosen = first.split(" ", 1)[1].lstrip("> ").removesuffix("..")
    parent_node = next(node for name, node in names(tree) if name.startswith(chosen))
    assert "Last group" in [child.name for child in parent_node.children]
