"""Signing in: the same answer for known and unknown emails, throttling a stranger cannot turn
against an account's owner, X-Forwarded-For only from trusted proxies, and two-factor codes."""

import re
from datetime import timedelta

import pytest
from console_support import PASSWORD, Client
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError
from sqlalchemy import select

from bot.models import AuditEntry, SignInCounter
from bot.settings import Settings
from bot.signin import (
    CLIENT_FREE_FAILURES,
    DEVICE_COOKIE,
    EMAIL_FAILURES,
    EMAIL_WINDOW,
    WRONG,
    client_key,
    email_key,
)
from bot.two_factor import code_at

KNOWN = "known@example.org"
UNKNOWN = "unknown@example.org"
_CSRF = re.compile(r'name="csrf" value="[^"]+"')


def answer(response, email: str) -> tuple[int, str]:
    """What a person sees, with the per-session CSRF token and their typed email blanked."""
    return response.status_code, _CSRF.sub("", response.text).replace(email, "EMAIL")


@pytest.fixture
def proxied(make_console):
    """A console behind a proxy on loopback, so each test client can come from any address."""
    return make_console(trusted_proxies="127.0.0.0/8")


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(proxied) -> None:
    proxied.account("staff", KNOWN)
    known = proxied.client().login(KNOWN, "wrong password", via="192.0.2.1")
    unknown = proxied.client().login(UNKNOWN, "wrong password", via="192.0.2.2")
    assert known.status_code == 401 and WRONG in known.text
    assert answer(known, KNOWN) == answer(unknown, UNKNOWN)


def test_once_a_client_is_throttled_known_and_unknown_emails_still_look_alike(proxied) -> None:
    proxied.account("staff", KNOWN)
    first, second = proxied.client(), proxied.client()
    for _ in range(CLIENT_FREE_FAILURES):
        first.login(KNOWN, "wrong password", via="192.0.2.1")
        second.login(UNKNOWN, "wrong password", via="192.0.2.2")
    known = first.login(KNOWN, "wrong password", via="192.0.2.1")
    unknown = second.login(UNKNOWN, "wrong password", via="192.0.2.2")
    assert known.status_code == 429 and "Too many failed sign-ins from your network" in known.text
    assert answer(known, KNOWN) == answer(unknown, UNKNOWN)


def test_once_an_email_is_throttled_known_and_unknown_emails_still_look_alike(proxied) -> None:
    proxied.account("staff", KNOWN)
    stranger = proxied.client()
    for n in range(EMAIL_FAILURES):
        stranger.login(KNOWN, "wrong password", via=f"203.0.113.{n}")
        stranger.login(UNKNOWN, "wrong password", via=f"203.0.113.{100 + n}")
    known = proxied.client().login(KNOWN, PASSWORD, via="192.0.2.1")
    unknown = proxied.client().login(UNKNOWN, PASSWORD, via="192.0.2.2")
    assert known.status_code == 429 and "Too many failed sign-ins for this email" in known.text
    assert answer(known, KNOWN) == answer(unknown, UNKNOWN)


def test_a_strangers_failures_do_not_stop_the_owner_who_carries_the_device_cookie(
    proxied,
) -> None:
    proxied.account("staff", KNOWN)
    proxied.account("staff", "colleague@example.org")
    owner = proxied.client()
    assert owner.login(KNOWN, via="198.51.100.1").status_code == 303
    assert DEVICE_COOKIE in owner.cookies
    owner.submit("/admin/logout")
    stranger = proxied.client()
    for n in range(EMAIL_FAILURES + 5):
        assert stranger.login(KNOWN, "guess", via=f"203.0.113.{n}").status_code in (401, 429)
    assert stranger.login(KNOWN, PASSWORD, via="203.0.113.200").status_code == 429
    assert proxied.client().login(KNOWN, via="198.51.100.2").status_code == 429
    # The owner's own browser: a typo is an ordinary wrong password, and then it signs in.
    assert owner.login(KNOWN, "typo", via="198.51.100.1").status_code == 401
    assert owner.login(KNOWN, via="198.51.100.1").status_code == 303
    # A device cookie for another account, or one forged with another key, vouches for nobody.
    colleague = proxied.client()
    assert colleague.login("colleague@example.org", via="198.51.100.3").status_code == 303
    assert colleague.login(KNOWN, via="198.51.100.3").status_code == 429
    forged = proxied.client()
    ids = [proxied.account_id(KNOWN)]
    forged.cookies.set(
        DEVICE_COOKIE, URLSafeTimedSerializer(b"x" * 40, "console-device").dumps(ids)
    )
    assert forged.login(KNOWN, via="198.51.100.4").status_code == 429
    junk = proxied.client()
    junk.cookies.set(DEVICE_COOKIE, "x" * 3000)
    assert junk.login(KNOWN, via="198.51.100.5").status_code == 429
    # After the window, any browser may try again.
    proxied.clock.advance(EMAIL_WINDOW + timedelta(seconds=1))
    assert proxied.client().login(KNOWN, via="198.51.100.6").status_code == 303


def test_the_delay_for_a_client_doubles_with_each_further_failure(proxied) -> None:
    proxied.account("staff", KNOWN)
    client = proxied.client()
    for _ in range(CLIENT_FREE_FAILURES):
        assert client.login(KNOWN, "wrong", via="192.0.2.1").status_code == 401
    start = proxied.clock.now()
    for delay in (2, 4, 8, 16):
        refused = client.login(KNOWN, PASSWORD, via="192.0.2.1")  # even the right password
        assert refused.status_code == 429
        until = proxied.clock.now() + timedelta(seconds=delay)
        assert f"Try again after {until:%H:%M:%S} UTC" in refused.text
        proxied.clock.advance(timedelta(seconds=delay - 1))
        assert client.login(KNOWN, PASSWORD, via="192.0.2.1").status_code == 429
        proxied.clock.advance(timedelta(seconds=1))
        assert client.login(KNOWN, "wrong", via="192.0.2.1").status_code == 401
    assert proxied.clock.now() - start == timedelta(seconds=2 + 4 + 8 + 16)
    # Other clients are not held up, and a success clears the client's count.
    assert proxied.client().login(KNOWN, via="192.0.2.2").status_code == 303
    proxied.clock.advance(timedelta(seconds=32))
    assert client.login(KNOWN, via="192.0.2.1").status_code == 303
    assert client.login(KNOWN, "wrong", via="192.0.2.1").status_code == 401
    assert client.login(KNOWN, via="192.0.2.1").status_code == 303


def test_refused_attempts_are_not_checked_or_recorded(proxied) -> None:
    client = proxied.client()
    for _ in range(CLIENT_FREE_FAILURES + 20):
        client.login(UNKNOWN, "wrong", via="192.0.2.1")
    with proxied.runtime.store.transaction() as session:
        failed = session.scalars(select(AuditEntry.action)).all()
        counter = session.get(SignInCounter, client_key("192.0.2.1"))
    assert failed == ["login.failed"] * CLIENT_FREE_FAILURES
    assert counter.failures == CLIENT_FREE_FAILURES


def test_x_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(make_console) -> None:
    for console in (make_console(), make_console(trusted_proxies="10.0.0.0/8, 192.168.1.1")):
        client = console.client()
        for _ in range(CLIENT_FREE_FAILURES):
            client.login(UNKNOWN, "wrong", via="192.0.2.1")
        assert client.login(UNKNOWN, "wrong", via="192.0.2.2").status_code == 429
        assert console.client().login(UNKNOWN, "wrong").status_code == 429
        with console.runtime.store.transaction() as session:
            keys = session.scalars(select(SignInCounter.key)).all()
        assert client_key("127.0.0.1") in keys and client_key("192.0.2.1") not in keys


def test_x_forwarded_for_is_honoured_from_a_configured_proxy(make_console) -> None:
    console = make_console(trusted_proxies="127.0.0.1")
    client = console.client()
    for _ in range(CLIENT_FREE_FAILURES):
        client.login(UNKNOWN, "wrong", via="192.0.2.1")
    assert client.login(UNKNOWN, "wrong", via="192.0.2.1").status_code == 429
    assert client.login(UNKNOWN, "wrong", via="192.0.2.2").status_code == 401
    # A client cannot hide behind an address it writes itself: the proxy appends the real one.
    assert client.login(UNKNOWN, "wrong", via="192.0.2.77, 192.0.2.1").status_code == 429
    # Without the header, the proxy itself is the client.
    assert client.login(UNKNOWN, "wrong").status_code == 401


def test_the_proxy_setting_takes_only_addresses_and_networks(database_url) -> None:
    for value in ("10.0.0.0/33", "10.0.0.1/8", "proxy.example.org", "10.0.0.1; 10.0.0.2"):
        with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
            Settings(database_url=database_url, trusted_proxies=value)
    Settings(database_url=database_url, trusted_proxies=" 10.0.0.0/8 , ::1, 2001:db8::/32 ,")


def test_counter_keys_group_ipv6_by_its_64_and_hash_emails() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:192.0.2.1") == client_key("192.0.2.1")
    assert client_key("x" * 500).startswith("client:") and len(client_key("x" * 500)) <= 100
    assert email_key(" Known@Example.org") == email_key(KNOWN)
    assert KNOWN not in email_key(KNOWN)


def enrol(console, client: Client) -> str:
    """Turn on two-factor from the console page as a person would; returns the secret."""
    page = client.get("/admin/account/two-factor")
    assert page.status_code == 200 and "<svg" in page.text and "otpauth" not in page.text
    secret = re.search(r'<code class="secret" id="secret">([A-Z2-7 ]+)</code>', page.text)
    secret = secret.group(1).replace(" ", "")
    code = code_at(secret, console.clock.now())
    response = client.submit("/admin/account/two-factor", {"code": code})
    assert response.status_code == 303, response.text
    return secret


def test_two_factor_enrolment_and_sign_in_with_a_code(console) -> None:
    client = console.sign_in("admin")
    for bad in ("", "abcdef", "12345", "1" * 5000, "<b>123456</b>", "000000"):
        response = client.submit("/admin/account/two-factor", {"code": bad})
        assert response.status_code == 400, bad
        assert "<b>123456" not in response.text
    secret = enrol(console, client)
    assert "Two-factor sign-in is on" in client.get("/admin/account").text
    assert client.get("/admin/account/two-factor").text.count(secret[:4]) == 0
    client.submit("/admin/logout")
    console.clock.advance(timedelta(seconds=30))  # the enrolment code's step has passed

    browser = console.client()
    code = code_at(secret, console.clock.now())
    no_code = browser.login("admin@example.org")
    wrong_code = browser.login("admin@example.org", code="000000" if code != "000000" else "111111")
    wrong_password = browser.login("admin@example.org", "wrong", code=code)
    assert answer(no_code, "admin@example.org") == answer(wrong_code, "admin@example.org")
    assert answer(wrong_password, "admin@example.org") == answer(no_code, "admin@example.org")
    assert no_code.status_code == 401 and WRONG in no_code.text
    assert browser.login("admin@example.org", code=code).status_code == 303
    # The same code again, even within its 30 seconds and from another browser, is refused.
    assert console.client().login("admin@example.org", code=code).status_code == 401
    console.clock.advance(timedelta(seconds=30))
    later = code_at(secret, console.clock.now())
    assert console.client().login("admin@example.org", code=later).status_code == 303
    assert console.client().login("admin@example.org", code=later).status_code == 401
    with console.runtime.store.transaction() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.detail)).all()
    assert ("two_factor.on", {"sessions_ended": 1}) in rows
    assert ("login.failed", {"wrong": "two-factor code"}) in rows
    assert ("login.failed", {"wrong": "password"}) in rows


def test_a_code_one_step_off_is_accepted_for_clock_drift(console) -> None:
    client = console.sign_in("staff")
    secret = enrol(console, client)
    console.clock.advance(timedelta(minutes=5))
    earlier = code_at(secret, console.clock.now() - timedelta(seconds=30))
    much_earlier = code_at(secret, console.clock.now() - timedelta(seconds=90))
    assert console.client().login("staff@example.org", code=much_earlier).status_code == 401
    assert (
        console.client()
        .login("staff@example.org", code=f" {earlier[:3]} {earlier[3:]}")
        .status_code
        == 303
    )


def test_turning_two_factor_off_needs_the_password_and_a_code(console) -> None:
    client = console.sign_in("staff")
    secret = enrol(console, client)
    console.clock.advance(timedelta(seconds=30))
    code = code_at(secret, console.clock.now())
    for form in ({}, {"current": PASSWORD}, {"current": "wrong", "code": code},
                 {"current": PASSWORD, "code": "x" * 10_000}):  # fmt: skip
        response = client.submit("/admin/account/two-factor/off", form)
        assert response.status_code == 400 and "is wrong" in response.text
    response = client.submit("/admin/account/two-factor/off", {"current": PASSWORD, "code": code})
    assert response.status_code == 303
    assert "Two-factor sign-in is off" in client.get("/admin/account").text
    assert console.client().login("staff@example.org").status_code == 303
    again = client.submit("/admin/account/two-factor/off", {"current": PASSWORD, "code": code})
    assert again.status_code == 400


def test_an_admin_resets_the_two_factor_of_someone_who_lost_their_phone(console) -> None:
    admin = console.sign_in("admin")
    staff = console.sign_in("staff")
    enrol(console, staff)
    target = console.account_id("staff@example.org")
    assert "two-factor" in admin.get("/admin/staff").text
    assert admin.submit(f"/admin/staff/{target}/two-factor/reset").status_code == 303
    assert "Two-factor sign-in is off for staff@example.org" in admin.get("/admin/staff").text
    assert staff.get("/admin/").status_code == 303  # their sessions ended
    assert console.client().login("staff@example.org").status_code == 303
    again = admin.submit(f"/admin/staff/{target}/two-factor/reset")
    assert again.status_code == 400 and "not on" in again.text
    with console.runtime.store.transaction() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "two_factor.reset" in actions


def test_required_two_factor_sends_an_admin_to_enrol_before_anything_else(make_console) -> None:
    console = make_console(require_admin_totp=True)
    admin = console.sign_in("admin")
    for url in ("/admin/", "/admin/staff", "/admin/account", "/admin/audit"):
        response = admin.get(url)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/admin/account/two-factor"
    refused = admin.submit("/admin/staff", {"email": "x@example.org", "role": "staff",
                                            "password": PASSWORD})  # fmt: skip
    assert refused.status_code == 403 and "must turn on two-factor" in refused.text
    page = admin.get("/admin/account/two-factor")
    assert page.status_code == 200 and "Administrators must use two-factor" in page.text
    # Other roles are not held up.
    assert console.sign_in("staff").get("/admin/").status_code == 200
    secret = enrol(console, admin)
    assert admin.get("/admin/staff").status_code == 200
    off = admin.submit(
        "/admin/account/two-factor/off",
        {"current": PASSWORD, "code": code_at(secret, console.clock.now())},
    )
    assert off.status_code == 400 and "cannot be turned off" in off.text
    assert admin.submit("/admin/logout").status_code == 303


def test_api_docs_are_off_by_default_even_for_admins(console) -> None:
    admin = console.sign_in("admin")
    for client in (console.client(), admin):
        for url in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert client.get(url).status_code == 404, url


def test_api_docs_when_turned_on_are_for_signed_in_admins_only(make_console) -> None:
    console = make_console(api_docs=True)
    for role in (None, "viewer", "staff"):
        client = console.sign_in(role)
        for url in ("/docs", "/redoc", "/openapi.json"):
            response = client.get(url)
            assert response.status_code == 404, (role, url)
            assert response.json() == {"detail": "Not Found"}
    admin = console.sign_in("admin")
    assert "swagger" in admin.get("/docs").text.lower()
    assert "redoc" in admin.get("/redoc").text.lower()
    schema = admin.get("/openapi.json").json()
    assert "/admin/login" in schema["paths"] and "/docs" not in schema["paths"]
    admin.submit("/admin/logout")
    assert admin.get("/openapi.json").status_code == 404
