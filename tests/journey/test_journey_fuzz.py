"""Random answers anywhere in the journey never break the bot and always get a reply."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from journey_support import business_id

from bot.domain.actions import create_action_item
from bot.domain.supply import add_node

pytest_plugins = ["journey_fixtures"]  # leader, new_runtime

CONVERSATIONS = 25
MESSAGES = 30

answers = st.one_of(
    st.sampled_from([str(number) for number in range(0, 11)]),
    st.sampled_from(["MENU", "HELP", "LANG", "done", "need help", "12 8", "12, 8 at home", "More"]),
    st.text(max_size=30),
    st.text(min_size=500, max_size=3000),
    st.sampled_from(["", "🧵", "१२ ८", "\x00", "\ud800", "'; DROP TABLE supply_nodes;--", "-1"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
photos = st.one_of(st.just(()), st.just(("https://media.example.org/a.jpg",)))


def test_random_answers_in_the_journey_always_get_a_reply(store, clock, leader) -> None:
    business = business_id(store, leader.address)
    with store.transaction() as session:
        parent = None
        for number in range(12):
            parent = add_node(
                session,
                business,
                clock.now(),
                name=f"Group {number}",
                place="Bagru",
                process="printing",
                workers=5,
                home_workers=2,
                payment_method="bank",
                parent_id=parent if number % 3 else None,
            ).id
        for day in (10, 20):
            create_action_item(
                session,
                business,
                "remediation",
                "minor",
                "Buy gloves.",
                date(2026, 2, day),
                clock.now(),
            )

    @settings(
        max_examples=CONVERSATIONS,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(st.tuples(answers, photos), min_size=MESSAGES, max_size=MESSAGES))
    def conversation(lines: list[tuple[str, tuple[str, ...]]]) -> None:
        for text, media in lines:
            replies = leader.send(text, media)
            assert replies, f"no reply to {text!r}"
            assert all(body.strip() for _, body in replies)

    conversation()
