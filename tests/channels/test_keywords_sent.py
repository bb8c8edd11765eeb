"""What an opted-out person still receives through the real sender: HELP's answer, and the
confirmation of coming back; nothing else."""

from datetime import timedelta

from fakes.twilio import FakeTwilio
from test_sender import rows, say


def test_help_while_opted_out_is_sent_and_nothing_else_is(
    runtime, fake_twilio: FakeTwilio, clock
) -> None:
    for text in ("hi", "STOP", "HELP", "menu"):
        say(runtime, text)
        clock.advance(timedelta(seconds=5))
    runtime.sender.send_due()
    assert [(row.message_key, row.status) for row in rows(runtime)] == [
        ("onboarding.choose_language", "cancelled"),
        ("keyword.stopped", "sent"),
        ("keyword.help", "sent"),
    ]
    say(runtime, "YES")
    runtime.sender.send_due()
    assert [row.message_key for row in rows(runtime)][-2:] == [
        "keyword.restarted",
        "onboarding.choose_language",
    ]
    assert len(fake_twilio.messages) == 4
