"""The join-code card handed to workers: a survey's code, how to join on each channel the
programme runs, and the anonymity promise, in each of the card's languages; several cards to
an A4 page, with dashed edges to cut along."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.documents import pdf_of, render_page
from messages import text

CARDS_PER_PAGE = 6


@dataclass(frozen=True)
class JoinWay:
    """One way to join: `kind` is sms, whatsapp, telegram or voice; `address` the number or
    name."""

    kind: str
    address: str


def card_lines(code: str, ways: Sequence[JoinWay], language: str) -> dict[str, object]:
    """What one card says in one language: title, code label, what to send, how, the promise."""
    send = f"{text(language, 'survey.join_word')} {code}"
    # A number for SMS and WhatsApp, the bot's name for Telegram: each text takes its own. A
    # call takes the code alone, on the keypad.
    how = [
        text(
            language,
            f"card.{way.kind}",
            {
                "code": code if way.kind == "voice" else send,
                "number": way.address,
                "name": way.address,
            },
        )
        for way in ways
    ]
    return {
        "language": language,
        "title": text(language, "card.title"),
        "code_label": text(language, "card.code"),
        "send": send,
        "how": how,
        "anonymous": text(language, "card.anonymous"),
    }


def join_card_pdf(code: str, ways: Sequence[JoinWay], languages: Sequence[str]) -> bytes:
    """A4 PDF of `CARDS_PER_PAGE` identical cards for the survey with this join code, each in
    every one of `languages` (English first is the caller's choice). Fonts as for reports."""
    return codes_pdf([code] * CARDS_PER_PAGE, ways, languages)


def codes_pdf(codes: Sequence[str], ways: Sequence[JoinWay], languages: Sequence[str]) -> bytes:
    """A4 PDF with one card per code in `codes` (the single-use cards of a survey in card
    mode, or one code repeated), `CARDS_PER_PAGE` to a page, each in every one of
    `languages`."""
    html = render_page(
        "join_card.html",
        title=f"{text(languages[0], 'card.title')} {codes[0] if len(set(codes)) == 1 else ''}",
        cards=[
            {"code": code, "parts": [card_lines(code, ways, language) for language in languages]}
            for code in codes
        ],
        lang=languages[0],
    )
    return pdf_of(html)


def join_ways(
    sms_from: str, whatsapp_from: str, telegram_username: str, voice_from: str = ""
) -> list[JoinWay]:
    """The ways to join the programme runs, from its settings: the SMS number, the WhatsApp
    number (without Twilio's "whatsapp:" prefix), the Telegram bot's name and the number to
    call for a survey by voice, each if set."""
    ways = []
    if sms_from.strip():
        ways.append(JoinWay("sms", sms_from.strip()))
    if whatsapp_from.strip():
        ways.append(JoinWay("whatsapp", whatsapp_from.strip().removeprefix("whatsapp:")))
    if telegram_username.strip():
        name = telegram_username.strip()
        ways.append(JoinWay("telegram", name if name.startswith("@") else f"@{name}"))
    if voice_from.strip():
        ways.append(JoinWay("voice", voice_from.strip()))
    return ways
