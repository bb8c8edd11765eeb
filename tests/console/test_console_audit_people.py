"""The audit log for people: sentences naming people, businesses and items; every kind of entry
the product writes has its sentence; filters by person, business and action; numbered pages;
and filters that name nothing known are explained, not an error."""

import ast
import re
from pathlib import Path

import pytest

from admin.audit import record
from admin.audit_sentences import SENTENCES, sentence
from bot.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
# Where each call that writes an entry takes the kind of action, by position.
ACTION_AT = {"record": 2, "Done": 0, "Outcome": 4, "_change": 2}
KIND = re.compile(r"[a-z_]+(\.[a-z_]+)?")


def kinds_in_the_code() -> set[str]:
    """Every audit action named as a literal where the console and the bot write entries."""
    found = set()
    for path in [*ROOT.joinpath("admin").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            at = ACTION_AT.get(name)
            if at is None or len(node.args) <= at:
                continue
            argument = node.args[at]
            if isinstance(argument, ast.Constant) and KIND.fullmatch(str(argument.value)):
                found.add(argument.value)
    return found


def test_every_kind_of_entry_reads_as_a_sentence_not_a_code() -> None:
    kinds = kinds_in_the_code()
    assert {"item.verify", "seal.award", "login", "login.failed", "export.items"} <= kinds
    assert len(kinds) >= 40
    assert kinds - set(SENTENCES) == set(), "kinds with no sentence"
    names = {"businesses": {7: "Blue Thread"}, "items": {3: "Pay slips"}, "staff": {5: "a@x.org"}}
    for kind in sorted(kinds):
        for target in ("business 7", "survey 2", "staff 5", "asha@example.org", "items.csv"):
            entry = AuditEntry(action=kind, target=target, detail={"item": 3, "code": "CH-01"})
            said = sentence(
                entry, "asha@example.org", names["businesses"], names["items"], names["staff"],
                {"survey 2": 7},
            )  # fmt: skip
            assert kind not in said and "{" not in said and "None" not in said, (kind, said)
            assert said[0].isupper() or said.startswith("asha@"), (kind, said)


def test_the_log_names_people_businesses_and_items(console, world) -> None:
    client = console.sign_in("staff")
    client.post(f"/admin/items/{world.item_id}/verify", data={"csrf": client.token()})
    client.post(f"/admin/surveys/{world.survey_id}/close", data={"csrf": client.token()})
    page = console.sign_in("viewer", "asha@example.org").get("/admin/audit").text
    assert (
        "staff@example.org verified item “Write down the piece rate” of Blue Thread Embroidery"
        in page
    )
    assert f"staff@example.org closed survey {world.survey_code} of Blue Thread Embroidery" in page
    assert "staff@example.org signed in" in page
    assert "item.verify</" not in page and "{&#39;item&#39;" not in page


def test_filters_by_person_business_and_action(console, world) -> None:
    staff = console.sign_in("staff", "asha@example.org")
    staff.post(f"/admin/items/{world.item_id}/verify", data={"csrf": staff.token()})
    other = console.sign_in("staff", "ravi@example.org")
    other.get("/admin/exports/items.csv")
    asha = console.account_id("asha@example.org")
    viewer = console.sign_in("viewer")

    mine = viewer.get(f"/admin/audit?person={asha}").text
    assert "asha@example.org verified item" in mine and "ravi@example.org downloaded" not in mine

    business = viewer.get(f"/admin/audit?business={world.business_id}").text
    assert "verified item" in business and "downloaded the items" not in business

    exports = viewer.get("/admin/audit?action=export").text
    assert "ravi@example.org downloaded the items (CSV)" in exports
    assert "verified item" not in exports
    verified = viewer.get("/admin/audit?action=item.verify").text
    assert "verified item" in verified and "signed in" not in verified
    assert 'value="item.verify" selected' in verified


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("person=abc", "That person is not known"),
        ("person=999999", "That person is not known"),
        ("person=" + "9" * 400, "That person is not known"),
        ("business=-1", "That business is not known"),
        ("business=1%20OR%201%3D1", "That business is not known"),
        ("action=%3Cscript%3Ealert(1)%3C/script%3E", "That kind of action is not known"),
        ("action=item.nothing", "That kind of action is not known"),
        ("page=zzz", ""),
        ("page=0", ""),
        ("page=-3", ""),
        ("page=999999999999999999999", ""),
    ],
)
def test_filters_that_name_nothing_known_are_explained_and_the_log_still_shows(
    console, world, query, note
) -> None:
    response = console.sign_in("viewer").get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert "viewer@example.org signed in" in response.text
    if note:
        assert note in response.text
    assert "<script>alert" not in response.text


def test_the_log_pages_with_numbers_and_keeps_its_filters(console, world) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        for number in range(250):
            record(session, None, "item.create", f"business {world.business_id}", now,
                   item=world.item_id, n=number)  # fmt: skip
    client = console.sign_in("viewer")
    first = client.get(f"/admin/audit?business={world.business_id}").text
    assert first.count('<tr class="entry">') == 100
    assert f'href="/admin/audit?business={world.business_id}&amp;page=3">3</a>' in first
    third = client.get(f"/admin/audit?business={world.business_id}&page=3").text
    assert third.count('<tr class="entry">') == 50
    assert '<span aria-current="page">3</span>' in third
    assert "Someone added item “Write down the piece rate” for Blue Thread Embroidery" in third
