"""Sessions live in the database: a cookie is only as good as its session row, so logging out,
a role change, a password change, two-factor and an admin's "sign out everywhere" end every
copy of it, and a cookie forged with the well-known default key gets nowhere."""

import json
from base64 import b64decode, b64encode
from datetime import timedelta
from pathlib import Path

import pytest
from console_support import PASSWORD, Client
from itsdangerous import TimestampSigner
from sqlalchemy import select

from bot.keys import DEFAULT_SECRET_KEY
from bot.models import AuditEntry, StaffSession, StaffUser
from bot.staff_sessions import IDLE
from bot.two_factor import code_at

COOKIE = "console_session"


def copy_of(console, client: Client) -> Client:
    """Another browser holding a copy of `client`'s cookies, as a thief would."""
    thief = console.client()
    for cookie in client.cookies.jar:
        thief.cookies.set(cookie.name, cookie.value)
    return thief


def signed_out(client: Client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 303 and response.headers["location"].startswith("/admin/login")


def actions(console) -> list[str]:
    with console.runtime.store.transaction() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def cookie_contents(client: Client) -> dict:
    value = client.cookies[COOKIE]
    return json.loads(b64decode(value.split(".")[0]))


def test_the_database_keeps_only_a_hash_of_the_session_token(console) -> None:
    client = console.sign_in("viewer")
    token = cookie_contents(client)["session"]
    with console.runtime.store.transaction() as session:
        row = session.scalar(select(StaffSession))
    assert row.token_hash != token and token not in row.token_hash and len(row.token_hash) == 64
    assert "staff_id" not in cookie_contents(client)


def test_a_cookie_forged_with_the_default_key_is_refused(console) -> None:
    client = console.sign_in("admin")
    real = cookie_contents(client)
    admin_id = console.account_id("admin@example.org")
    signer = TimestampSigner(DEFAULT_SECRET_KEY)
    for contents in ({"staff_id": admin_id}, {"session": "guessed"}, real):
        forged = console.client()
        data = b64encode(json.dumps(contents).encode())
        forged.cookies.set(COOKIE, signer.sign(data).decode())
        assert signed_out(forged), contents
    # The key that does sign cookies was generated for this loopback test console.
    kept = Path(console.runtime.settings.data_dir, "secret_key").read_text().strip()
    assert len(kept) >= 32 and kept != DEFAULT_SECRET_KEY


def test_a_copied_cookie_stops_working_after_logout(console) -> None:
    client = console.sign_in("staff")
    thief = copy_of(console, client)
    assert not signed_out(thief)
    assert client.submit("/admin/logout").status_code == 303
    assert signed_out(thief) and signed_out(client)
    assert actions(console)[-1] == "logout"


def test_a_copied_cookie_stops_working_after_a_role_change(console) -> None:
    admin = console.sign_in("admin")
    staff = console.sign_in("staff")
    thief = copy_of(console, staff)
    target = console.account_id("staff@example.org")
    response = admin.submit(f"/admin/staff/{target}/role", {"role": "viewer"})
    assert response.status_code == 303
    assert signed_out(thief) and signed_out(staff)
    assert not signed_out(admin)
    same = admin.submit(f"/admin/staff/{target}/role", {"role": "viewer"})
    assert same.status_code == 303  # no change, nothing more to end


def test_a_copied_cookie_stops_working_after_a_password_change(console) -> None:
    client = console.sign_in("staff")
    other_browser = console.client()
    assert other_browser.login("staff@example.org").status_code == 303
    thief = copy_of(console, client)
    new = "a completely new password"
    response = client.submit(
        "/admin/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 303
    assert "Password changed" in client.get("/admin/account").text
    assert signed_out(thief) and signed_out(other_browser)
    assert not signed_out(client), "the browser that changed it stays signed in, afresh"
    assert console.client().login("staff@example.org").status_code == 401
    assert console.client().login("staff@example.org", new).status_code == 303
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "password.change"))
        assert entry.detail == {"sessions_ended": 2}
        user = session.scalar(select(StaffUser).where(StaffUser.email == "staff@example.org"))
        assert user.password_hash.startswith("$argon2") and new not in user.password_hash


def test_sign_out_everywhere_ends_every_session_of_that_account(console) -> None:
    admin = console.sign_in("admin")
    first = console.sign_in("viewer")
    second = console.client()
    assert second.login("viewer@example.org").status_code == 303
    thief = copy_of(console, first)
    target = console.account_id("viewer@example.org")
    page = admin.get("/admin/staff").text
    assert "2 open sessions" in page
    response = admin.submit(f"/admin/staff/{target}/sign-out")
    assert response.status_code == 303
    notice = admin.get("/admin/staff").text
    assert "viewer@example.org is signed out everywhere (2 sessions ended)." in notice
    assert signed_out(first) and signed_out(second) and signed_out(thief)
    assert not signed_out(admin)
    with console.runtime.store.transaction() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "staff.sign_out_everywhere")
        )
        assert (entry.target, entry.detail) == ("viewer@example.org", {"sessions_ended": 2})
        ended = session.scalars(
            select(StaffSession.ended_by).where(StaffSession.staff_id == target)
        )
        assert sorted(ended) == ["everywhere", "everywhere"]
    missing = admin.submit("/admin/staff/98765/sign-out")
    assert missing.status_code == 400 and "no such staff account" in missing.text


def test_an_admin_signing_themselves_out_everywhere_is_signed_out(console) -> None:
    admin = console.sign_in("admin")
    me = console.account_id("admin@example.org")
    assert admin.submit(f"/admin/staff/{me}/sign-out").status_code == 303
    assert signed_out(admin)


def test_an_idle_session_ends(console) -> None:
    client = console.sign_in("viewer")
    console.clock.advance(IDLE - timedelta(minutes=1))
    assert not signed_out(client)  # use keeps it alive
    console.clock.advance(IDLE - timedelta(minutes=1))
    assert not signed_out(client)
    console.clock.advance(IDLE + timedelta(seconds=1))
    assert signed_out(client)


def test_two_factor_turned_on_ends_the_other_sessions(console) -> None:
    client = console.sign_in("staff")
    thief = copy_of(console, client)
    client.get("/admin/account/two-factor")
    with console.runtime.store.transaction() as session:
        secret = session.scalar(select(StaffUser.totp_secret))
    code = code_at(secret, console.clock.now())
    assert client.submit("/admin/account/two-factor", {"code": code}).status_code == 303
    assert signed_out(thief) and not signed_out(client)


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"current": "", "password": "", "confirm": ""},
        {"current": PASSWORD, "password": "short", "confirm": "short"},
        {"current": PASSWORD, "password": "p" * 5000, "confirm": "p" * 5000},
        {"current": PASSWORD, "password": PASSWORD, "confirm": PASSWORD},
        {"current": PASSWORD, "password": "a new long password", "confirm": "another one"},
        {"current": "wrong" * 100_000, "password": "a new long password",
         "confirm": "a new long password"},
        {"current": ["a", "b"], "password": "a new long password",
         "confirm": "a new long password"},
        {"current": "<script>alert(1)</script>", "password": "<script>alert(1)</script>",
         "confirm": "<script>alert(1)</script>"},
    ],
)  # fmt: skip
def test_a_wrong_password_change_explains_itself_and_changes_nothing(console, form) -> None:
    client = console.sign_in("staff")
    thief = copy_of(console, client)
    response = client.post("/admin/account/password", data={"csrf": client.token(), **form})
    assert response.status_code in (400, 413)
    if response.status_code == 400:
        assert "errors" in response.text and "<script>alert(1)" not in response.text
    assert not signed_out(thief)
    assert console.client().login("staff@example.org").status_code == 303
    assert "password.change" not in actions(console)


def test_the_password_form_without_its_csrf_token_is_refused(console) -> None:
    client = console.sign_in("staff")
    new = "a completely new password"
    for token in (None, "", "forged"):
        data = {"current": PASSWORD, "password": new, "confirm": new}
        if token is not None:
            data["csrf"] = token
        assert client.post("/admin/account/password", data=data).status_code == 403
    assert console.client().login("staff@example.org").status_code == 303


def test_guessing_the_current_password_from_a_stolen_session_is_throttled(console) -> None:
    client = console.sign_in("staff")
    new = "a completely new password"
    for _ in range(5):
        response = client.submit(
            "/admin/account/password", {"current": "guess", "password": new, "confirm": new}
        )
        assert "current password (or two-factor code) is wrong" in response.text
    refused = client.submit(
        "/admin/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert refused.status_code == 400 and "Too many failed sign-ins" in refused.text
    console.clock.advance(timedelta(seconds=3))
    done = client.submit(
        "/admin/account/password", {"current": PASSWORD, "password": new, "confirm": new}
    )
    assert done.status_code == 303
