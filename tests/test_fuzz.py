"""Ten thousand random inputs never raise, and always get a reply or a deliberate silence."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.channels.provider import Inbound
from bot.models import Contact
from flows.keywords import keyword

MESSAGES_PER_CONVERSATION = 20
CONVERSATIONS = 500  # 500 x 20 = 10,000 inbound messages

answers = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1000, max_size=5000),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So"]), max_size=20),
    st.sampled_from(
        [
            "",
            "1",
            "2",
            "3",
            "4",
            "STOP",
            "START",
            "HELP",
            "MENU",
            "LANG",
            "India",
            "Blue Thread",
            "०",
            "١",
            "🧵",
            "\x00",
            "\ud800",
            "'; DROP TABLE contacts;--",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


def test_random_conversations_never_break_the_bot(store, engine) -> None:
    counter = iter(range(10**9))

    @settings(
        max_examples=CONVERSATIONS,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(answers, min_size=MESSAGES_PER_CONVERSATION, max_size=MESSAGES_PER_CONVERSATION)
    )
    def conversation(lines: list[str]) -> None:
        address = f"+1555{next(counter):07d}"
        for number, line in enumerate(lines):
            with store.transaction() as session:
                contact = session.scalar(select(Contact).where(Contact.address == address))
                silenced = contact is not None and contact.opted_out
            handled = engine.handle(Inbound("sim", address, f"{address}-{number}", line))
            answered = keyword(line) in ("start", "resume", "help")
            if silenced and not answered:
                assert handled.replies == []
            else:
                assert handled.replies, f"no reply to {line!r}"
                assert all(reply.body.strip() for reply in handled.replies)

    conversation()
