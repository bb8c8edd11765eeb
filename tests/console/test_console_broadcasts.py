"""Broadcasts from the console: compose per language, preview, schedule, progress, cancel."""

from console_support import add_business
from sqlalchemy import select

from bot.models import AuditEntry, Broadcast, OutboundMessage
from bot.scheduler import expand_broadcasts_tick

HOSTILE = '<script>alert(1)</script> =HYPERLINK("http://x")'


def test_a_preview_counts_recipients_per_language_and_sms_parts(console, world) -> None:
    add_business(console, "+525550000001", "Tejidos Luna", "Chiapas", "MX")
    client = console.sign_in("staff")
    response = client.post(
        "/admin/broadcasts/preview",
        data={"csrf": client.token(), "text_en": "x" * 200, "text_es": "Capacitación el lunes"},
    )
    assert response.status_code == 200
    page = response.text
    assert "Preview: 2 recipients" in page
    english = page[page.index("<td>English</td>") :][:300]
    assert '<td class="num">2</td>' in english and '<td class="num">2</td>' in english
    assert "Spanish text" in page and "English (fallback)" in page
    assert 'value="remediation"' in page
    with console.runtime.store.transaction() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1  # only the world's


def test_scheduling_a_broadcast_then_following_its_progress(console, world) -> None:
    client = console.sign_in("staff")
    response = client.post(
        "/admin/broadcasts",
        data={"csrf": client.token(), "text_en": HOSTILE, "countries": ["IN"],
              "stages": ["remediation"], "overdue": "", "send_at": ""},
    )  # fmt: skip
    assert response.status_code == 303
    location = response.headers["location"]
    page = client.get(location).text
    assert "Broadcast scheduled for 2026-01-05 09:00 UTC." in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "Stages: Remediation. Countries: India." in " ".join(page.split())
    expand_broadcasts_tick(console.runtime)
    page = client.get(location).text
    assert ">queued<" in page and ">1</strong><span>recipients queued" in page
    with console.runtime.store.transaction() as session:
        sent = session.scalar(
            select(OutboundMessage).where(OutboundMessage.message_key == "broadcast")
        )
        assert sent.address == world.leader and sent.body == HOSTILE
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "broadcast.schedule"))
        assert entry.detail["segment"]["stages"] == ["remediation"]
    listing = client.get("/admin/broadcasts").text
    assert "&lt;script&gt;" in listing and HOSTILE not in listing
    audit = console.sign_in("admin").get("/admin/audit?action=broadcast.schedule").text
    assert "scheduled a broadcast for 2026-01-05 09:00 UTC" in audit


def test_a_scheduled_broadcast_can_be_cancelled(console, world) -> None:
    client = console.sign_in("staff")
    page = client.get(f"/admin/broadcasts/{world.broadcast_id}").text
    assert "Cancel what is not sent yet" in page
    response = client.post(
        f"/admin/broadcasts/{world.broadcast_id}/cancel", data={"csrf": client.token()}
    )
    assert response.status_code == 303
    page = client.get(f"/admin/broadcasts/{world.broadcast_id}").text
    assert "Broadcast cancelled." in page and "Cancel what is not sent yet" not in page
    missing = client.post("/admin/broadcasts/777/cancel", data={"csrf": client.token()})
    assert missing.status_code == 404


def test_a_wrong_broadcast_form_explains_itself_and_schedules_nothing(console, world) -> None:
    client = console.sign_in("staff")
    cases = [
        ({"text_en": ""}, "English is needed."),
        ({"text_en": "   ", "text_es": "Hola"}, "English is needed."),
        ({"text_en": "x" * 1001}, "English is too long"),
        ({"text_en": "Hi", "stages": ["someday"]}, "Choose stages from the list."),
        ({"text_en": "Hi", "countries": ["ZZ"]}, "Choose countries from the list."),
        ({"text_en": "Hi", "channels": ["pigeon"]}, "Choose channels from the list."),
        ({"text_en": "Hi", "send_at": "tomorrow"}, "Sending time must be a date and time"),
        ({"text_en": "Hi", "send_at": "2028-01-01T09:00"}, "up to a year ahead"),
        ({"text_en": "Hi\x07there"}, "printable characters"),
    ]
    for form, message in cases:
        for url in ("/admin/broadcasts", "/admin/broadcasts/preview"):
            response = client.post(url, data={"csrf": client.token(), **form})
            if url.endswith("preview") and "year ahead" in message:
                continue  # a preview does not look at the time
            assert response.status_code == 400, (url, form)
            assert message in response.text, (url, form)
            assert "Preview:" not in response.text
    with console.runtime.store.transaction() as session:
        assert len(session.scalars(select(Broadcast)).all()) == 1
