"""Staff accounts, managed by administrators from the console."""

import pytest
from console_support import PASSWORD
from sqlalchemy import select

from bot.models import AuditEntry, StaffUser
from bot.signin import EMAIL_FAILURES


def account(console, email: str) -> StaffUser | None:
    with console.runtime.store.transaction() as session:
        return session.scalar(select(StaffUser).where(StaffUser.email == email))


def test_an_admin_creates_an_account_that_can_then_sign_in(console) -> None:
    admin = console.sign_in("admin")
    response = admin.post(
        "/admin/staff",
        data={"csrf": admin.token(), "email": " Rosa@Example.org ", "role": "viewer",
              "password": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 303
    assert "Created the viewer account rosa@example.org." in admin.get("/admin/staff").text
    created = account(console, "rosa@example.org")
    assert created.role == "viewer" and created.password_hash.startswith("$argon2")
    rosa = console.client()
    signed_in = rosa.post(
        "/admin/login",
        data={"csrf": rosa.token(), "email": "rosa@example.org", "password": PASSWORD},
    )
    assert signed_in.status_code == 303
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))
        assert (entry.target, entry.detail) == ("rosa@example.org", {"role": "viewer"})


@pytest.mark.parametrize(
    "form, message",
    [
        ({"email": "", "role": "staff", "password": PASSWORD}, "Email is needed."),
        ({"email": "not-an-email", "role": "staff", "password": PASSWORD}, "is not an email"),
        ({"email": "<b>x</b>@example.org", "role": "staff", "password": PASSWORD},
         "is not an email"),
        ({"email": "a@example.org", "role": "owner", "password": PASSWORD}, "Choose role"),
        ({"email": "a@example.org", "role": "staff", "password": "short"}, "10 to 1024"),
        ({"email": "a@example.org", "role": "staff", "password": "p" * 2000}, "10 to 1024"),
        ({"email": "admin@example.org", "role": "staff", "password": PASSWORD},
         "already exists"),
    ],
)  # fmt: skip
def test_a_wrong_account_form_explains_itself(console, form, message) -> None:
    admin = console.sign_in("admin")
    response = admin.post("/admin/staff", data={"csrf": admin.token(), **form})
    assert response.status_code == 400
    assert message in response.text
    assert "<b>x</b>" not in response.text
    with console.runtime.store.transaction() as session:
        assert len(session.scalars(select(StaffUser)).all()) == 1


def test_roles_change_but_the_last_admin_stays_admin(console) -> None:
    admin = console.sign_in("admin")
    me = account(console, "admin@example.org")
    refused = admin.post(
        f"/admin/staff/{me.id}/role", data={"csrf": admin.token(), "role": "viewer"}
    )
    assert refused.status_code == 400 and "only administrator" in refused.text
    other = console.account("staff", "sam@example.org")
    sam = account(console, other)
    wrong = admin.post(f"/admin/staff/{sam.id}/role", data={"csrf": admin.token(), "role": "root"})
    assert wrong.status_code == 400 and "Choose role" in wrong.text
    promoted = admin.post(
        f"/admin/staff/{sam.id}/role", data={"csrf": admin.token(), "role": "admin"}
    )
    assert promoted.status_code == 303 and account(console, other).role == "admin"
    missing = admin.post("/admin/staff/98765/role", data={"csrf": admin.token(), "role": "staff"})
    assert missing.status_code == 400 and "no such staff account" in missing.text
    demoted = admin.post(
        f"/admin/staff/{me.id}/role", data={"csrf": admin.token(), "role": "viewer"}
    )
    assert demoted.status_code == 303
    assert admin.get("/admin/staff").status_code == 303  # my own demotion ended my session
    assert admin.get("/admin/staff").headers["location"].startswith("/admin/login")


def test_an_admin_clears_the_failed_sign_ins_counted_against_an_email(make_console) -> None:
    console = make_console(trusted_proxies="127.0.0.1")
    admin = console.sign_in("admin")
    email = console.account("staff", "targeted@example.org")
    stranger = console.client()
    for n in range(EMAIL_FAILURES):  # from a new address each time, as from a botnet
        assert stranger.login(email, "nope", via=f"203.0.113.{n}").status_code == 401
    assert f"{EMAIL_FAILURES} failed sign-ins" in admin.get("/admin/staff").text
    owner_on_a_new_browser = console.client()
    assert owner_on_a_new_browser.login(email, via="198.51.100.7").status_code == 429
    targeted = account(console, email)
    response = admin.post(f"/admin/staff/{targeted.id}/unlock", data={"csrf": admin.token()})
    assert response.status_code == 303
    cleared = admin.get("/admin/staff").text
    assert "Failed sign-ins for targeted@example.org cleared" in cleared
    assert "badge warn" not in cleared
    assert owner_on_a_new_browser.login(email, via="198.51.100.7").status_code == 303
    missing = admin.post("/admin/staff/98765/unlock", data={"csrf": admin.token()})
    assert missing.status_code == 400 and "no such staff account" in missing.text
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.unlock"))
        assert (entry.target, entry.detail) == (email, {"cleared": True})
