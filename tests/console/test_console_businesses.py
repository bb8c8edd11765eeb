"""Businesses as staff see and change them: list, page, items, pre-assessment, outcome, seal."""

import html
from datetime import timedelta

import pytest
from assessment_support import assess
from console_support import add_business
from markupsafe import escape
from sqlalchemy import func, select

from bot.channels.provider import Inbound
from bot.domain.actions import MAX_DESCRIPTION
from bot.domain.stage import stage_of
from bot.models import ActionItem, AuditEntry, Business, ChecklistAnswer, OutboundMessage

HOSTILE = "<script>alert('x')</script>'; DROP TABLE businesses; --"


def count(console, model, *where) -> int:
    with console.runtime.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_list_filters_by_stage_and_country_and_searches_by_name(console, world) -> None:
    add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    add_business(console, "+525550000002", "100% Lana_Fina", "Oaxaca", "MX")
    client = console.sign_in("viewer")

    def names(query: str) -> list[str]:
        page = client.get("/admin/businesses" + query).text
        return [name for name in ("Blue Thread", "Tejidos Luna", "Lana_Fina") if name in page]

    assert names("") == ["Blue Thread", "Tejidos Luna", "Lana_Fina"]
    assert names("?country=MX") == ["Tejidos Luna", "Lana_Fina"]
    assert names("?q=luna") == ["Tejidos Luna"]
    assert names("?q=%25") == ["Lana_Fina"]  # % and _ are letters, not wildcards
    assert names("?q=a_f") == ["Lana_Fina"]
    assert names("?stage=remediation") == ["Blue Thread"]
    assert names("?stage=registered&country=MX") == ["Tejidos Luna", "Lana_Fina"]
    assert names("?stage=remediation&country=MX") == []
    assert "No business matches" in client.get("/admin/businesses?q=nothing").text


@pytest.mark.parametrize(
    "query", ["?stage=nonsense", "?country=%27--", "?country=" + "X" * 5000, "?q=" + "z" * 5000]
)
def test_nonsense_filters_are_dropped_not_refused(console, world, query) -> None:
    response = console.sign_in("viewer").get("/admin/businesses" + query)
    assert response.status_code == 200


def test_a_hostile_search_is_shown_back_escaped(console, world) -> None:
    page = console.sign_in("viewer").get("/admin/businesses", params={"q": HOSTILE}).text
    assert HOSTILE not in page
    assert str(escape(HOSTILE)) in page


def test_the_business_page_shows_details_tree_checklist_items_and_conversation(
    console, world
) -> None:
    now = console.clock.now()
    with console.runtime.store.transaction() as session:
        session.add(
            ChecklistAnswer(
                business_id=world.business_id, question="worker_list", answer="no", answered_at=now
            )
        )
    console.runtime.engine.handle(Inbound("sms", world.leader, "SM-x1", HOSTILE))
    page = console.sign_in("viewer").get(f"/admin/businesses/{world.business_id}").text
    assert "Blue Thread Embroidery" in page and "India" in page and world.leader in page
    assert "Remediation" in page  # the stage, derived from the open remediation item
    assert "Sunita&#39;s stitching group" in page and "Chomu home workers" in page
    assert "Layer 2" in page and "40 workers, 30 at home" in page
    assert "Write down the piece rate" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(" in page
    assert ">no<" in page
    assert f"Code {world.survey_code} · Chomu workers</a>: 0 responses, open" in page


def test_a_viewer_sees_the_business_without_any_form_to_change_it(console, world) -> None:
    page = console.sign_in("viewer").get(f"/admin/businesses/{world.business_id}").text
    assert "Add item" not in page and "Mark verified" not in page and "Record outcome" not in page


def test_staff_add_an_item_that_reaches_the_leader_and_the_audit_log(console, world) -> None:
    client = console.sign_in("staff")
    due = console.clock.now().date() + timedelta(days=14)
    response = client.post(
        f"/admin/businesses/{world.business_id}/items",
        data={
            "csrf": client.token(),
            "kind": "corrective",
            "severity": "zero_tolerance",
            "description": "Check and record the age of every worker",
            "due_on": due.isoformat(),
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "Item added; the leader has been told." in page
    assert "Check and record the age of every worker" in page and "Zero tolerance" in page
    with console.runtime.store.transaction() as session:
        item = session.scalar(select(ActionItem).where(ActionItem.kind == "corrective"))
        assert (item.severity, item.due_on, item.status) == ("zero_tolerance", due, "open")
        staff_id = session.scalar(select(AuditEntry.staff_id).where(AuditEntry.action == "login"))
        assert item.created_by == staff_id
        told = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.address == world.leader)
        ).all()
        assert any("Check and record the age" in body for body in told)
    assert count(console, AuditEntry, AuditEntry.action == "item.create") == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"description": ""}, "Description is needed."),
        (
            {"description": "x" * (MAX_DESCRIPTION + 1)},
            f"Description is too long: at most {MAX_DESCRIPTION} characters.",
        ),
        ({"description": "ok"}, f"The description must be 3 to {MAX_DESCRIPTION} printable"),
        ({"due_on": ""}, "Due date must be a date like 2026-03-15."),
        ({"due_on": "15/03/2026"}, "Due date must be a date like 2026-03-15."),
        ({"due_on": "2026-02-30"}, "Due date must be a date like 2026-03-15."),
        ({"due_on": "2025-12-01"}, "The due date must be between today and 730 days from now."),
        ({"kind": "urgent"}, "Choose kind from the list"),
        ({"severity": HOSTILE}, "Choose severity from the list"),
    ],
)
def test_a_wrong_item_form_comes_back_with_a_clear_message_and_adds_nothing(
    console, world, change, message
) -> None:
    client = console.sign_in("staff")
    form = {
        "kind": "remediation",
        "severity": "major",
        "description": "Pay every group within 7 days",
        "due_on": (console.clock.now().date() + timedelta(days=10)).isoformat(),
        **change,
    }
    response = client.post(
        f"/admin/businesses/{world.business_id}/items", data={"csrf": client.token(), **form}
    )
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert HOSTILE not in response.text
    assert 'name="description"' in response.text  # the form is shown again
    assert count(console, ActionItem) == 1


def test_what_was_typed_is_kept_when_the_form_comes_back(console, world) -> None:
    client = console.sign_in("staff")
    response = client.post(
        f"/admin/businesses/{world.business_id}/items",
        data={"csrf": client.token(), "kind": "corrective", "severity": "minor",
              "description": HOSTILE, "due_on": "not a date"},
    )  # fmt: skip
    assert response.status_code == 400
    assert str(escape(HOSTILE)) in response.text
    assert '<option value="corrective" selected>' in response.text


def test_staff_edit_an_item_and_mark_it_verified(console, world) -> None:
    client = console.sign_in("staff")
    due = console.clock.now().date() + timedelta(days=60)
    edited = client.post(
        f"/admin/items/{world.item_id}",
        data={"csrf": client.token(), "severity": "minor",
              "description": "Write the piece rate on every order slip", "due_on": due.isoformat()},
    )  # fmt: skip
    assert edited.status_code == 303
    refused = client.post(
        f"/admin/items/{world.item_id}",
        data={"csrf": client.token(), "severity": "minor", "description": "", "due_on": "x"},
    )
    assert refused.status_code == 400 and "Description is needed." in refused.text
    verified = client.post(f"/admin/items/{world.item_id}/verify", data={"csrf": client.token()})
    assert verified.status_code == 303
    page = client.get(f"/admin/businesses/{world.business_id}").text
    assert "Item marked verified." in page and "Verified" in page
    with console.runtime.store.transaction() as session:
        item = session.get(ActionItem, world.item_id)
        assert (item.severity, item.due_on, item.status) == ("minor", due, "verified")
        assert item.description == "Write the piece rate on every order slip"
    after = client.post(
        f"/admin/items/{world.item_id}",
        data={"csrf": client.token(), "severity": "major", "description": "Too late",
              "due_on": due.isoformat()},
    )  # fmt: skip
    assert after.status_code == 400 and "already verified" in after.text


def test_items_that_do_not_exist_are_not_found(console, world) -> None:
    client = console.sign_in("staff")
    for url in ["/admin/items/999999", "/admin/items/999999/verify", "/admin/items/0/verify"]:
        response = client.post(url, data={"csrf": client.token(), "severity": "major"})
        assert response.status_code == 404, url


def test_overdue_items_are_marked_on_the_business_page(console, world) -> None:
    console.clock.advance(timedelta(days=31))
    page = console.sign_in("viewer").get(f"/admin/businesses/{world.business_id}").text
    assert "overdue" in page


def test_recording_the_pre_assessment_schedules_the_assessment(console) -> None:
    business_id = add_business(console, "+15550100002", "Kamal Prints")
    client = console.sign_in("staff")
    today = console.clock.now().date()
    for form, message in [
        ({"held_on": "", "months": "6"}, "Pre-assessment date must be a date"),
        ({"held_on": today.isoformat(), "months": "0"}, "Months until the assessment must be"),
        ({"held_on": today.isoformat(), "months": "1e9"}, "Months until the assessment must be"),
        ({"held_on": (today + timedelta(days=1)).isoformat(), "months": "6"}, "in the future"),
    ]:
        response = client.post(
            f"/admin/businesses/{business_id}/pre-assessment",
            data={"csrf": client.token(), **form},
        )
        assert response.status_code == 400 and message in response.text, form
    response = client.post(
        f"/admin/businesses/{business_id}/pre-assessment",
        data={"csrf": client.token(), "held_on": "2026-01-02", "months": "6"},
    )
    assert response.status_code == 303
    page = client.get(f"/admin/businesses/{business_id}").text
    assert "the assessment is due 2026-07-02" in page and "2026-07-02" in page
    with console.runtime.store.transaction() as session:
        business = session.get(Business, business_id)
        assert stage_of(session, business) == "assessment_scheduled"


def test_an_outcome_then_the_seal(console, world) -> None:
    client = console.sign_in("staff")
    early = client.post(
        f"/admin/businesses/{world.business_id}/seal", data={"csrf": client.token()}
    )
    assert early.status_code == 400 and "Record the assessment outcome" in early.text
    wrong = client.post(
        f"/admin/assessments/{world.assessment_id}/outcome",
        data={"csrf": client.token(), "outcome": "excellent", "notes": ""},
    )
    assert wrong.status_code == 400 and "Choose outcome from the list" in wrong.text
    unmarked = client.post(
        f"/admin/assessments/{world.assessment_id}/outcome",
        data={"csrf": client.token(), "outcome": "pass", "notes": ""},
    )
    assert unmarked.status_code == 400 and "day the assessment is held" in unmarked.text
    with console.runtime.store.transaction() as session:
        assess(session, world.assessment_id, console.runtime.clock.now())
    recorded = client.post(
        f"/admin/assessments/{world.assessment_id}/outcome",
        data={"csrf": client.token(), "outcome": "pass", "notes": HOSTILE},
    )
    assert recorded.status_code == 303
    sealed = client.post(
        f"/admin/businesses/{world.business_id}/seal", data={"csrf": client.token()}
    )
    assert sealed.status_code == 303
    page = client.get(f"/admin/businesses/{world.business_id}").text
    assert "Seal awarded to Blue Thread Embroidery." in page
    assert HOSTILE not in page and "Pass" in page
    again = client.post(
        f"/admin/businesses/{world.business_id}/seal", data={"csrf": client.token()}
    )
    assert again.status_code == 400 and "already awarded" in again.text
    actions = {entry for (entry,) in _audit(console)}
    assert {"assessment.outcome", "seal.award"} <= actions


def _audit(console):
    with console.runtime.store.transaction() as session:
        return session.execute(select(AuditEntry.action)).all()
