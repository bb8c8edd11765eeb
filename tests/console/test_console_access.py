"""Who may do what: every route walked as nobody, viewer, staff and admin; CSRF on every form;
sessions and the audit log. Sign-in and throttling: test_console_signin.py; ending sessions:
test_console_sessions.py."""

import httpx
import pytest
from console_routes import BRAND, MEMBER, PUBLIC, RANK, ROUTES, valid_forms
from console_support import PASSWORD, finding_with_photo, serve, snapshot
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from starlette.routing import Mount

from bot.app import create_app
from bot.db import is_postgres
from bot.domain.seals import issue_seal
from bot.domain.standards import standards
from bot.models import AuditEntry, Business, StaffUser
from bot.runtime import Runtime
from bot.settings import Settings
from bot.signin import WRONG


def console_routes(console) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /admin, however its routers are nested."""
    found = set()
    for route in iter_route_contexts(console.app.routes):
        path = route.path or ""
        if isinstance(route.original_route, Mount) or not path.startswith("/admin"):
            continue
        found |= {(method, path) for method in (route.methods or set()) - {"HEAD"}}
    return found


def ids(console, world) -> dict[str, int | str]:
    other = console.account("viewer", "someone.else@example.org")
    with console.runtime.store.transaction() as session:
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.email == other))
    return {
        "business_id": world.business_id,
        "item_id": world.item_id,
        "assessment_id": world.assessment_id,
        "survey_id": world.survey_id,
        "broadcast_id": world.broadcast_id,
        "staff_id": staff_id,
        "code": standards().codes[-1],
        "country": "IN",
        "attachment_id": world.attachment_id,
        "document": "pre-assessment",
        "report": world.report_id,
        "ticket_id": world.ticket_id,
        "finding_id": finding_with_photo(console, world),
        "index": 0,
        "topic": "wages",
    }


def test_every_console_route_is_listed_with_the_role_it_needs(console) -> None:
    assert console_routes(console) == set(ROUTES)


def test_audit_entries_have_no_route_that_changes_them(console) -> None:
    assert {path for method, path in console_routes(console) if "audit" in path} == {"/admin/audit"}
    assert ("POST", "/admin/audit") not in ROUTES


@pytest.mark.parametrize("role", [None, "viewer", "staff", "admin", BRAND])
def test_every_route_answers_each_role_as_its_table_says(console, world, role) -> None:
    """Each role gets what the table says; a brand partner gets a plain 404 for every page
    that is not its own (and for a business that gave it no consent), never a 403."""
    with console.runtime.store.transaction() as session:
        business = session.get(Business, world.business_id)
        issue_seal(session, business, console.clock.now(), 24)  # for the QR and revoke routes
    client = console.sign_in(role)
    values = ids(console, world)
    forms = valid_forms(console.clock.now().date(), world.business_id)
    # Signing out ends the walk, so it goes last.
    walk = sorted(ROUTES.items(), key=lambda entry: entry[0][1] == "/admin/logout")
    for (method, path), needs in walk:
        url = path.format(**values)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf": client.token(), **forms.get(path, {})})
        where = f"{method} {url} as {role}: {response.status_code}"
        if needs == PUBLIC:
            assert response.status_code in (200, 303, 401), where
        elif role is None and method == "GET":
            assert response.status_code == 303, where
            assert response.headers["location"].startswith("/admin/login"), where
        elif role is None:
            assert response.status_code == 401, where
        elif role == BRAND and needs == BRAND:
            # Its vendors' list; the world's business never said yes to this brand.
            assert response.status_code == (404 if "{business_id}" in path else 200), where
        elif role == BRAND and needs != MEMBER:
            assert response.status_code == 404, where
            assert "no such page" in response.text, where
        elif needs == BRAND:
            assert response.status_code == 404, where
        elif role != BRAND and RANK[role] < RANK[needs]:
            assert response.status_code == 403, where
        else:
            assert response.status_code in (200, 303, 400), where
            assert "Not allowed" not in response.text, where


def test_forms_without_the_right_csrf_token_are_refused_and_change_nothing(console, world) -> None:
    admin = console.sign_in("admin")
    values = ids(console, world)
    forms = valid_forms(console.clock.now().date(), world.business_id)
    before = snapshot(console)
    for (method, path), _ in ROUTES.items():
        if method != "POST":
            continue
        url = path.format(**values)
        for token in (None, "", "forged-token", admin.token() + "x"):
            data = dict(forms[path])
            if token is not None:
                data["csrf"] = token
            response = admin.post(url, data=data)
            assert response.status_code == 403, f"{url} with token {token!r}"
    assert snapshot(console) == before
    assert admin.get("/admin/").status_code == 200, "still signed in"


def test_a_token_from_another_session_is_refused(console, world) -> None:
    mine, theirs = console.sign_in("staff"), console.sign_in("admin", "other.admin@example.org")
    response = mine.post(f"/admin/items/{world.item_id}/verify", data={"csrf": theirs.token()})
    assert response.status_code == 403


def test_the_session_cookie_is_signed_http_only_and_same_site(console) -> None:
    client = console.client()
    email = console.account("staff")
    response = client.post(
        "/admin/login",
        data={"csrf": client.token(), "email": email, "password": PASSWORD},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the test server is plain http
    tampered = console.client()
    name, value = response.headers["set-cookie"].split(";")[0].split("=", 1)
    tampered.cookies.set(name, value[:-3] + "abc")
    assert tampered.get("/admin/").status_code == 303


def test_the_cookie_is_secure_when_the_console_is_served_over_https(console) -> None:
    settings = Settings(
        database_url=str(console.runtime.settings.database_url),
        secret_key="a production key of more than thirty-two bytes",
        public_base_url="https://console.example.org",
    )
    url, stop = serve(create_app(Runtime(settings, console.clock)))
    try:
        with httpx.Client(base_url=url) as client:
            response = client.get("/admin/login")
        assert "; secure" in response.headers["set-cookie"].lower()
    finally:
        stop()


def test_a_successful_sign_in_forgets_earlier_failures(console) -> None:
    email = console.account("staff")
    client = console.client()
    for password in ["wrong"] * 4 + [PASSWORD] + ["wrong"] * 4:
        client.post(
            "/admin/login", data={"csrf": client.token(), "email": email, "password": password}
        )
    response = client.post(
        "/admin/login",
        data={"csrf": client.token(), "email": email, "password": PASSWORD},
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "email, password",
    [
        ("", ""),
        ("nobody@example.org", PASSWORD),
        ("' OR 1=1 --", "' OR '1'='1"),
        ("<script>alert(1)</script>", "x"),
        ("a" * 5000 + "@example.org", "p" * 100_000),
    ],
)
def test_wrong_sign_ins_get_the_same_clear_answer(console, email, password) -> None:
    console.account("admin")
    client = console.client()
    response = client.post(
        "/admin/login", data={"csrf": client.token(), "email": email, "password": password}
    )
    assert response.status_code == 401
    assert WRONG in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert client.get("/admin/").status_code == 303


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(console) -> None:
    email = console.account("viewer")
    client = console.client()
    assert client.get("/admin/audit").headers["location"] == "/admin/login?next=/admin/audit"
    for target, landing in [
        ("/admin/audit", "/admin/audit"),
        ("https://evil.example.org/", "/admin/"),
        ("//evil.example.org", "/admin/"),
        ("/admin/../../evil", "/admin/"),
        ("/admin\\..\\evil", "/admin/"),
        ("/admin/businesses?q=a", "/admin/businesses?q=a"),
    ]:
        response = client.post(
            "/admin/login",
            data={
                "csrf": client.token(),
                "email": email,
                "password": PASSWORD,
                "next": target,
            },
        )
        assert response.headers["location"] == landing
        assert not response.headers["location"].startswith(("http", "//"))


def test_signing_out_ends_the_session(console) -> None:
    client = console.sign_in("viewer")
    assert client.post("/admin/logout", data={"csrf": client.token()}).status_code == 303
    assert client.get("/admin/").status_code == 303


def test_a_demoted_account_loses_access_at_once(console) -> None:
    client = console.sign_in("staff")
    assert client.get("/admin/simulator").status_code == 200
    with console.runtime.store.transaction() as session:
        session.execute(update(StaffUser).values(role="viewer"))
    assert client.get("/admin/simulator").status_code == 403


def test_oversized_or_unsized_posts_are_refused_before_any_work(console, world) -> None:
    client = console.sign_in("staff")
    huge = client.post(
        f"/admin/businesses/{world.business_id}/items",
        data={"csrf": client.token(), "description": "x" * 400_000},
    )
    assert huge.status_code == 413 and "too much text" in huge.text
    chunked = client.post(
        "/admin/simulator", content=iter([b"csrf=x&phone=%2B1555&text=hi"]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert chunked.status_code == 411


def test_malformed_addresses_are_a_plain_not_found_page(console) -> None:
    client = console.sign_in("admin")
    for url in ["/admin/businesses/abc", "/admin/businesses/99999", "/admin/surveys/-1",
                "/admin/businesses/" + "9" * 40, "/admin/nowhere"]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert "no such page" in response.text


def test_staff_actions_are_in_the_audit_log_with_who_and_when(console, world) -> None:
    client = console.sign_in("staff")
    client.post(f"/admin/items/{world.item_id}/verify", data={"csrf": client.token()})
    page = client.get("/admin/audit").text
    verified = "staff@example.org verified item “Write down the piece rate” of Blue Thread"
    assert verified in page and "staff@example.org signed in" in page
    with console.runtime.store.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "item.verify"))
        assert entry.at == console.clock.now()
        assert entry.detail == {"item": world.item_id}


def test_the_database_itself_refuses_to_change_the_audit_log(console, store) -> None:
    if not is_postgres(store.engine):
        pytest.skip("the append-only trigger is PostgreSQL's")
    console.sign_in("viewer")
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with (
            pytest.raises(DBAPIError, match="cannot be changed or deleted"),
            store.engine.begin() as connection,
        ):
            connection.execute(text(statement))
    with store.transaction() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 1
