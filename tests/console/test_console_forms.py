"""Every console form tried with wrong, empty, huge and hostile values in every field: the answer
is the page again with a message (or the change done), never an error page, and whatever was
typed is shown escaped."""

import pytest
from console_routes import ROUTES, valid_forms
from console_support import finding_with_photo

from bot.domain.standards import standards

HOSTILE = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>; DROP TABLE businesses;--"
BAD_VALUES = {
    "empty": "",
    "wrong": "not what this field takes",
    "number": "-99999999999999999999",
    "huge": "x" * 20_000,
    "hostile": HOSTILE,
    "unicode": "Ω≈ç√∫˜µ 😀 \u202e\u200b ज़",
}
FORMS = sorted(path for method, path in ROUTES if method == "POST")


@pytest.fixture
def admin(console):
    return console.sign_in("admin")


@pytest.mark.parametrize("path", [p for p in FORMS if p not in ("/admin/logout",)])
def test_every_field_of_every_form_takes_bad_values_calmly(console, world, admin, path) -> None:
    ids = {
        "business_id": world.business_id,
        "item_id": world.item_id,
        "assessment_id": world.assessment_id,
        "survey_id": world.survey_id,
        "broadcast_id": world.broadcast_id,
        # Another account: signing oneself out everywhere would end the walk.
        "staff_id": console.account_id(console.account("viewer", "other@example.org")),
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
    url = path.format(**ids)
    form = valid_forms(console.clock.now().date(), world.business_id)[path]
    for field in [*form, "unexpected_field"]:
        for name, value in BAD_VALUES.items():
            data = {**form, field: value, "csrf": admin.token()}
            response = admin.post(url, data=data)
            where = f"{url} {field}={name}: {response.status_code}"
            assert response.status_code in (200, 303, 400, 401, 404, 429), where
            if response.status_code in (200, 400, 401, 429):
                assert HOSTILE not in response.text, where
                assert "<script>alert" not in response.text, where
            if response.status_code == 303:
                landing = admin.get(response.headers["location"])
                assert landing.status_code == 200, where
                assert "<script>alert" not in landing.text, where


def test_a_form_posted_with_nothing_at_all_is_answered(console, world, admin) -> None:
    other = console.account_id(console.account("viewer", "other@example.org"))
    finding = finding_with_photo(console, world)
    for path in FORMS:
        if path == "/admin/logout":
            continue
        url = path.format(
            business_id=world.business_id, item_id=world.item_id,
            assessment_id=world.assessment_id, survey_id=world.survey_id,
            broadcast_id=world.broadcast_id, staff_id=other,
            code=standards().codes[-1], country="IN", attachment_id=world.attachment_id,
            document="pre-assessment", report=world.report_id, ticket_id=world.ticket_id,
            finding_id=finding, index=0, topic="wages",
        )  # fmt: skip
        response = admin.post(url, data={"csrf": admin.token()})
        assert response.status_code in (303, 400, 401, 429), (url, response.status_code)


def test_a_multipart_upload_to_a_form_is_refused_cleanly(console, world, admin) -> None:
    response = admin.post(
        "/admin/simulator",
        data={"csrf": admin.token(), "phone": "+15550001234"},
        files={"text": ("evil.html", b"<script>alert(1)</script>", "text/html")},
    )
    assert response.status_code in (400, 403)
