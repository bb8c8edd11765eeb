"""The command line as a newcomer uses it: real processes, real database, hostile arguments."""

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.cli import served_settings
from bot.demo import DEMO_BRAND
from bot.domain.brands import may_see
from bot.domain.seals import verification
from bot.domain.stage import stage_of
from bot.domain.supply import supply_tree
from bot.models import BrandLink, Business, OutboundMessage, Report, StaffUser
from bot.settings import Settings
from bot.staff import password_matches


def run(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_chat_walks_a_scripted_conversation_from_piped_stdin(store, migrated) -> None:
    script = "hi\n3\n1\n1\nAtelier Perles\nSegou\nMali\n1\n"
    result = run(migrated, "chat", "--phone", "+22370000001", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Choose your language" in result.stdout
    assert "1 Français" not in result.stdout and "3 Français" in result.stdout
    assert "Atelier Perles, Segou, Mali" in result.stdout
    assert "Atelier Perles" in result.stdout.split("\n\n")[-3]
    with store.transaction() as session:
        assert session.scalar(select(Business.country)) == "ML"


@pytest.mark.parametrize("phone", ["", "12345", "not a phone", "+" + "9" * 5000, "+1555'--"])
def test_chat_refuses_a_phone_that_is_not_a_number(migrated, phone) -> None:
    result = run(migrated, "chat", "--phone", phone)
    assert result.returncode == 2
    assert "not a phone number" in result.stderr


def test_create_staff_reads_the_password_from_stdin_and_stores_a_hash(store, migrated) -> None:
    result = run(
        migrated,
        "create-staff",
        "Ana@Example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert result.returncode == 0, result.stderr
    with store.transaction() as session:
        user = session.scalar(select(StaffUser))
        assert (user.email, user.role) == ("ana@example.org", "admin")
        assert user.password_hash.startswith("$argon2")
        assert "correct horse" not in user.password_hash
    again = run(
        migrated,
        "create-staff",
        "ana@example.org",
        "--password-stdin",
        stdin="another long password\n",
    )
    assert again.returncode == 1 and "already exists" in again.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["nobody", "--password-stdin"], "long enough password\n", "not an email"),
        (["a@b.org", "--role", "root", "--password-stdin"], "long enough password\n", "Role"),
        (["a@b.org", "--password-stdin"], "short\n", "10 to"),
        (["a@b.org", "--password-stdin"], "", "10 to"),
        (["a@b.org", "--password-stdin"], "x" * 100_000 + "\n", "10 to"),
        (["<script>@x.org'--", "--password-stdin"], "long enough password\n", "not an email"),
    ],
)
def test_create_staff_rejects_bad_input_with_a_clear_message(
    store, migrated, args, stdin, message
) -> None:
    result = run(migrated, "create-staff", *args, stdin=stdin)
    assert result.returncode != 0
    assert message in result.stderr
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_create_staff_makes_a_brand_and_asks_the_named_businesses(store, migrated) -> None:
    ids = []
    for number in range(2):
        script = f"hi\n1\n1\n1\nWeavers {number}\nJaipur\nIndia\n1\n"
        assert (
            run(migrated, "chat", "--phone", f"+9198123400{number}0", stdin=script).returncode == 0
        )
    with store.transaction() as session:
        ids = [str(i) for i in session.scalars(select(Business.id).order_by(Business.id))]
    for args, message in (
        (["--businesses", "1;2"], "not a business id"),
        (["--businesses", "99999"], "no business 99999"),
        (["--businesses", ids[0], "--role", "staff"], "Only a brand account"),
        (["--businesses", ids[0], "--organisation", "x" * 61], "organisation"),
    ):
        result = run(
            migrated,
            "create-staff",
            "buyer@fairthreads.example",
            "--password-stdin",
            *(args if "--role" in args else ["--role", "brand", *args]),
            stdin="a long enough password\n",
        )
        assert result.returncode in (1, 2) and message in result.stderr, result.stderr
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 0
    made = run(
        migrated,
        "create-staff",
        "buyer@fairthreads.example",
        "--role",
        "brand",
        "--businesses",
        ",".join(ids),
        "--organisation",
        "Fair Threads",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "Asked the leaders of 2 business(es) for consent" in made.stdout
    with store.transaction() as session:
        asked = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.message_key == "brands.ask")
        ).all()
        assert len(asked) == 2 and all(body.startswith("Fair Threads asks") for body in asked)
        statuses = session.scalars(select(BrandLink.status)).all()
        assert statuses == ["asked", "asked"]


def test_seed_demo_adds_one_business_per_stage_once_and_a_first_login(store, migrated) -> None:
    first = run(migrated, "seed-demo")
    assert "Added 6 demo businesses" in first.stdout
    # The whole address to open, with host and port.
    assert "Console: sign in at http://127.0.0.1:8000/admin/login as " in first.stdout
    password = first.stdout.split("with password ")[1].split()[0]
    again = run(migrated, "seed-demo")
    assert "Added 0 demo businesses" in again.stdout
    assert "password" not in again.stdout
    with store.transaction() as session:
        businesses = session.scalars(select(Business).order_by(Business.id)).all()
        stages = [stage_of(session, business) for business in businesses]
        admin = session.scalar(select(StaffUser))
        assert password_matches(admin, password) and admin.role == "admin"
    assert stages == [
        "mapping",
        "pre_assessment",
        "remediation",
        "assessment_scheduled",
        "corrective_action",
        "seal_awarded",
    ]
    assert [len(supply_tree_depths(store, business.id)) for business in businesses] == [3] * 6
    with store.transaction() as session:
        reports = session.execute(select(Report.business_id, Report.kind, Report.version)).all()
    issued = {(business_id, kind) for business_id, kind, _ in reports}
    assert issued == {
        (business.id, kind)
        for business in businesses[4:]
        for kind in ("pre_assessment", "assessment", "corrective_plan")
    }
    # The sealed business's seal verifies, and a brand partner sees it with consent given.
    url = first.stdout.split("seal verifies at ")[1].split()[0]
    brand_password = first.stdout.split(f"{DEMO_BRAND} with password ")[1].split()[0]
    with store.transaction() as session:
        sealed = businesses[-1]
        found = verification(session, url.rsplit("/", 1)[1], datetime.now(UTC).replace(tzinfo=None))
        assert (found.business, found.status) == (sealed.name, "active")
        brand = session.scalar(select(StaffUser).where(StaffUser.role == "brand"))
        assert brand.email == DEMO_BRAND and password_matches(brand, brand_password)
        assert may_see(session, brand.id, sealed.id)


def supply_tree_depths(store, business_id: int) -> set[int]:
    with store.transaction() as session:
        layers: set[int] = set()
        pending = list(supply_tree(session, business_id))
        while pending:
            node = pending.pop()
            layers.add(node.layer)
            pending.extend(node.children)
        return layers


def test_links_name_the_server_that_runs_unless_a_public_address_is_set() -> None:
    plain = Settings(_env_file=None)
    assert served_settings(plain, "127.0.0.1", 8731).public_base_url == "http://127.0.0.1:8731"
    assert served_settings(plain, "0.0.0.0", 9000).public_base_url == "http://127.0.0.1:9000"
    public = Settings(_env_file=None, public_base_url="https://bot.example.org")
    assert served_settings(public, "0.0.0.0", 9000).public_base_url == "https://bot.example.org"
