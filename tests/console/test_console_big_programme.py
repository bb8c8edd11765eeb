"""Big programmes: the businesses list sorted by every column and paged (in the database, with
the same stage as each business page), the supply-chain tree folded with its branch totals, the
overview's stage bars leading to the list, and the console benchmark on a tiny seed."""

import re
from datetime import timedelta

import pytest
from console_support import add_business
from sqlalchemy import select

from admin.paging import page_number, pages
from admin.tree_view import Branch, branches, depth, shown_layers
from bot.cli import console_url
from bot.demo import seed_demo
from bot.domain.stage import STAGES, stage_column, stage_of
from bot.domain.supply import add_node, supply_tree
from bot.models import Business

ROW = re.compile(r'<a href="/admin/businesses/(\d+)">')
COUNTRIES = ("IN", "MX", "GH", "PE")


def shown_ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [int(found) for found in ROW.findall(response.text)]


@pytest.fixture
def programme(console) -> list[int]:
    """73 businesses: names, places, countries and leaders in different orders, some equal."""
    made = []
    for number in range(73):
        made.append(
            add_business(
                console,
                f"+1555030{(number * 37) % 100:02d}{number:02d}",
                f"Workshop {number % 20:02d}",
                f"Village {(number * 7) % 11}",
                COUNTRIES[number % 4],
            )  # fmt: skip
        )
        console.clock.advance(timedelta(minutes=(number * 13) % 17))
    with console.runtime.store.transaction() as session:
        for business_id in made[:9]:
            add_node(
                session, business_id, console.clock.now(), name="Group", place="Chomu",
                process="tassels", workers=3, home_workers=1, payment_method="cash",
            )  # fmt: skip
    return made


def test_the_stage_worked_out_in_the_database_is_the_stage_of_each_business(console) -> None:
    with console.runtime.store.transaction() as session:
        seed_demo(session, console.clock.now())
    add_business(console, "+15550300999", "Just registered")
    with console.runtime.store.transaction() as session:
        found = session.execute(select(Business, stage_column())).all()
        assert {stage for _, stage in found} == set(STAGES)
        for business, stage in found:
            assert stage == stage_of(session, business), business.name


@pytest.mark.parametrize("column", ["name", "place", "country", "stage", "leader", "registered"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_list_sorts_by_every_column_both_ways_and_pages_stably(
    console, programme, column, direction
) -> None:
    with console.runtime.store.transaction() as session:
        rows = session.execute(select(Business, stage_column())).all()
        leaders = {b.id: session.get(type(b).leader.property.mapper.class_, b.leader_id).address
                   for b, _ in rows}  # fmt: skip
    key = {
        "name": lambda b, s: b.name.lower(),
        "place": lambda b, s: b.place.lower(),
        "country": lambda b, s: b.country,
        "stage": lambda b, s: STAGES.index(s),
        "leader": lambda b, s: leaders[b.id],
        "registered": lambda b, s: b.registered_at,
    }[column]
    ordered = sorted(rows, key=lambda row: (key(*row), row[0].id), reverse=direction == "desc")
    client = console.sign_in("viewer")
    url = f"/admin/businesses?sort={column}&dir={direction}"
    seen = shown_ids(client, url) + shown_ids(client, url + "&page=2")
    assert seen == [business.id for business, _ in ordered]


def test_page_links_are_numbered_and_keep_filters_and_sort(console, programme) -> None:
    client = console.sign_in("viewer")
    page = client.get("/admin/businesses?q=workshop&country=IN&sort=place&dir=desc").text
    assert "19 found" in page
    page = client.get("/admin/businesses?q=workshop&sort=place&dir=desc").text
    assert "73 found" in page and '<span aria-current="page">1</span>' in page
    assert 'href="/admin/businesses?q=workshop&amp;sort=place&amp;dir=desc&amp;page=2">2</a>' in (
        page
    )
    second = client.get("/admin/businesses?q=workshop&sort=place&dir=desc&page=2").text
    assert len(ROW.findall(second)) == 23 and '<span aria-current="page">2</span>' in second
    # The heading of the column sorted by turns it round, from the first page, filters kept.
    assert 'href="/admin/businesses?q=workshop&amp;sort=place&amp;dir=asc&amp;page=1"' in second


@pytest.mark.parametrize(
    "query",
    [
        "sort=evil&dir=sideways",
        "sort=name%27%20OR%201%3D1--",
        "sort=&dir=",
        "page=abc",
        "page=0",
        "page=-4",
        "page=999999",
        "page=" + "9" * 300,
        "page=%EF%BC%92",  # a full-width digit two
        "stage=nothing&country=%3Cb%3E&q=" + "x" * 5000,
    ],
)
def test_a_bad_sort_or_page_shows_the_first_page(console, programme, query) -> None:
    client = console.sign_in("viewer")
    first = shown_ids(client, "/admin/businesses")
    assert len(first) == 50
    response = client.get(f"/admin/businesses?{query}")
    assert response.status_code == 200
    if "q=" not in query:
        assert [int(found) for found in ROW.findall(response.text)] == first
        assert '<span aria-current="page">1</span>' in response.text
    assert "<b>" not in response.text


def test_pages_and_page_numbers_in_the_small() -> None:
    assert page_number("3") == 3 and page_number(" 7 ") == 7
    for raw in ["", "0", "-1", "x", "1e3", "٣", "9" * 50]:
        assert page_number(raw) == 1, raw
    paged = pages(total=1000, per_page=50, asked=10, base="/admin/x", query={"q": "a b"})
    assert paged.count == 20 and paged.links == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert paged.url(2) == "/admin/x?q=a+b&page=2"
    assert pages(0, 50, 1, "/x", {}).count == 1 and pages(10, 50, 9, "/x", {}).current == 1


def test_the_tree_totals_each_branch_and_folds_a_big_tree(console, world) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        parent = world.node_id
        for layer in range(2, 7):
            for number in range(10):
                node = add_node(
                    session, world.business_id, now, name=f"L{layer} n{number}", place="Chomu",
                    process="tassels", workers=4, home_workers=3, payment_method="cash",
                    parent_id=parent,
                )  # fmt: skip
                if number == 0:
                    first = node.id
            parent = first
        tree = supply_tree(session, world.business_id)
    totals = branches(tree)
    # Sunita's group (40 workers, 30 at home), Chomu (8, 8) and fifty more groups of 4 and 3.
    assert totals[world.node_id] == Branch(52, 40 + 8 + 200, 30 + 8 + 150)
    assert depth(tree) == 6 and len(totals) == 52
    assert shown_layers("", tree, 52) == 1 and shown_layers("4", tree, 52) == 4
    for raw in ["0", "7", "-1", "abc", "9" * 40, "٣"]:
        assert shown_layers(raw, tree, 52) == 1, raw
    client = console.sign_in("viewer")
    folded = client.get(f"/admin/businesses/{world.business_id}").text
    assert "<details open>" not in folded and "52 groups in all" in folded
    assert f'href="/admin/businesses/{world.business_id}?layers=6#supply-chain">every layer' in (
        folded
    )
    opened = client.get(f"/admin/businesses/{world.business_id}?layers=6").text
    assert opened.count("<details open>") == opened.count("<details") - opened.count("<details>")
    assert client.get(f"/admin/businesses/{world.business_id}?layers=%00").status_code == 200


def test_the_overview_stage_bars_lead_to_the_list_filtered_by_stage(console, world) -> None:
    client = console.sign_in("viewer")
    page = client.get("/admin/").text
    for stage in STAGES:
        assert f'<a href="/admin/businesses?stage={stage}"' in page
    listed = client.get("/admin/businesses?stage=remediation").text
    assert "1 found" in listed and "Blue Thread Embroidery" in listed


def test_the_sign_in_address_is_printed_whole() -> None:
    assert console_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000/admin/login"
    assert console_url("https://console.example.org/") == (
        "https://console.example.org/admin/login"
    )


def test_the_console_benchmark_runs_on_a_tiny_programme(tmp_path) -> None:
    from bench.console import run

    rows = run(f"sqlite:///{tmp_path / 'bench.db'}", businesses=7, requests=1)
    assert len(rows) >= 20 and all(most > 0 for _, _, _, most in rows)
