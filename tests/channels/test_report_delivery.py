"""An issued report reaches its leader: as a PDF document on WhatsApp and Telegram (the
providers fetch it from its link), as a link on SMS; the link opens that one document until it
expires, and each opening is recorded."""

from datetime import timedelta

import pytest
from fakes.telegram import FakeTelegram
from fakes.twilio import FakeTwilio
from sqlalchemy import func, select

from bot.domain.assessments import record_pre_assessment, review_of
from bot.domain.business import register_business
from bot.domain.findings import mark
from bot.domain.reports import issue
from bot.models import Contact, OutboundMessage, Report, ReportOpening

PUBLIC = "https://bot.example.org"


@pytest.fixture
def runtime(make_runtime):
    """Delivery is under test here, not quiet hours: the leaders are in Mexico, where the
    tests' 09:00 UTC is 03:00 at night, so the report notice would wait for the morning."""
    return make_runtime(quiet_hours="")


def leader_with_report(runtime, address: str, channel: str, language: str = "es") -> Report:
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        leader = Contact(
            address=address,
            channel=channel,
            language=language,
            created_at=now,
            consented_at=now,
            last_inbound_at=now,
        )
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Tejidos Luna", "Chiapas", "MX", now).id
        record_pre_assessment(session, business, now, now, 6)
        review = review_of(session, business)
        mark(session, review.id, "PAY-01", "not_met", now, note="Sin tarifas escritas")
        session.query(OutboundMessage).delete()  # what registering queued is not under test
        report = issue(
            session,
            business,
            "pre_assessment",
            now,
            staff_id=None,
            public_base_url=PUBLIC,
            link_days=30,
        )
        session.expunge(report)
        return report


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC + "/r/"), url
    return url.removeprefix(PUBLIC)


def pdf_at(client, url: str, report: Report, store) -> None:
    opened = client.get(path_of(url))
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    with store.transaction() as session:
        assert opened.content == session.get(Report, report.id).pdf


def test_whatsapp_gets_the_pdf_as_a_document(runtime, client, fake_twilio: FakeTwilio) -> None:
    report = leader_with_report(runtime, "+525512340001", "whatsapp")
    assert runtime.sender.send_due() == 1
    [sent] = fake_twilio.messages
    assert sent["To"] == "whatsapp:+525512340001"
    assert sent["MediaUrl"] in sent["Body"]
    assert sent["Body"].startswith("Su Informe de preevaluación está listo")
    pdf_at(client, sent["MediaUrl"], report, runtime.store)


def test_telegram_gets_the_pdf_as_a_document(runtime, client, fake_telegram: FakeTelegram) -> None:
    report = leader_with_report(runtime, "telegram:5550177", "telegram")
    assert runtime.sender.send_due() == 1
    [sent] = fake_telegram.sent
    assert sent["chat_id"] == 5550177
    assert sent["document"] in sent["text"]
    pdf_at(client, sent["document"], report, runtime.store)


def test_sms_gets_a_link_that_opens_only_its_document_until_it_expires(
    runtime, client, fake_twilio: FakeTwilio, clock
) -> None:
    report = leader_with_report(runtime, "+525512340002", "sms")
    assert runtime.sender.send_due() == 1
    [sent] = fake_twilio.messages
    assert "MediaUrl" not in sent
    link = next(word for word in sent["Body"].split() if word.startswith(PUBLIC))
    pdf_at(client, link, report, runtime.store)
    pdf_at(client, link, report, runtime.store)
    checked = client.head(path_of(link))  # providers check a link before fetching it
    assert checked.status_code == 200 and checked.headers["content-type"] == "application/pdf"
    with runtime.store.transaction() as session:
        assert session.scalar(select(func.count(ReportOpening.id))) == 3
    token = path_of(link).removeprefix("/r/")
    for other in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.upper(),
        "",
        "x" * 10_000,
        "..%2F..%2Fadmin",
        f"{report.id}",
        "%00",
    ):
        response = client.get(f"/r/{other}")
        assert response.status_code == 404, other
        assert b"%PDF" not in response.content
    clock.advance(timedelta(days=30))
    expired = client.get(path_of(link))
    assert expired.status_code == 410 and "expired" in expired.text
    with runtime.store.transaction() as session:
        assert session.scalar(select(func.count(ReportOpening.id))) == 3


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_leader_who_opted_out_is_not_told(runtime, channel) -> None:
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        leader = Contact(
            address="+525512340009", channel=channel, language="es", created_at=now,
            consented_at=now, opted_out=True, opted_out_at=now,
        )  # fmt: skip
        session.add(leader)
        session.flush()
        business = register_business(session, leader, "Tejidos Luna", "Chiapas", "MX", now).id
        record_pre_assessment(session, business, now, now, 6)
        before = session.scalar(select(func.count(OutboundMessage.id)))
        issue(session, business, "pre_assessment", now, staff_id=None,
              public_base_url=PUBLIC, link_days=30)  # fmt: skip
        assert session.scalar(select(func.count(OutboundMessage.id))) == before
