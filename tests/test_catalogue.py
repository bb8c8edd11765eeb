"""Every text exists in every language, with the same placeholders, within its SMS budget."""

import pytest

from flows.core import Option, Reply
from messages import KEYWORDS, LANGUAGES, catalogue, keyword_words, placeholders
from messages.render import render_text
from messages.sms import segments

MAX_SEGMENTS = 3
DEFAULT_BUDGET = 2
BUDGETS: dict[str, int] = {}
SAMPLE_PARAMS = {
    "name": "Shree Ganesh Embroidery & Beading Works",
    "business": "Shree Ganesh Embroidery & Beading Works",
    "place": "Sanganer, Jaipur district, Rajasthan",
    "country": "Bosnia and Herzegovina",
    "code": "AB12CD34",
    "max": 9,
    "value": "Bosnia and Herzegovina",
}
# The longest menu each prompt can carry, so the budget covers what a basic phone shows.
WIDEST_MENU = tuple(Option(key) for key in ("onboarding.role_leader", "onboarding.start_again"))
MENUS = {
    "onboarding.choose_language": tuple(Option(f"language.{code}") for code in LANGUAGES),
    "menu.main": (Option("menu.stage"), Option("menu.language"), Option("menu.help")),
    "invalid.choice": tuple(Option(f"language.{code}") for code in LANGUAGES),
}


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        other = catalogue(language)
        assert set(other) == set(english), f"{language}: keys differ"
        for key, template in english.items():
            assert placeholders(other[key]) == placeholders(template), f"{language}: {key}"


def test_no_text_is_left_empty_or_untranslated_by_accident() -> None:
    english = catalogue("en")
    shared = {"common.value"} | {f"language.{code}" for code in LANGUAGES}
    for language in LANGUAGES:
        for key, value in catalogue(language).items():
            assert value.strip(), f"{language}: {key} is empty"
            if language != "en" and key not in shared and len(value) > 12:
                assert value != english[key], f"{language}: {key} is still English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_render_fits_its_segment_budget(language: str) -> None:
    for key in catalogue(language):
        budget = BUDGETS.get(key, DEFAULT_BUDGET)
        assert budget <= MAX_SEGMENTS
        params = {name: SAMPLE_PARAMS[name] for name in placeholders(catalogue("en")[key])}
        reply = Reply(key, params, MENUS.get(key, WIDEST_MENU))
        body = render_text(language, reply).body
        assert segments(body) <= budget, f"{language}: {key} is {segments(body)} segments: {body}"


def test_keywords_mean_one_thing_across_languages() -> None:
    meaning: dict[str, str] = {}
    for language in LANGUAGES:
        for name in KEYWORDS:
            for word in keyword_words(language)[name]:
                assert meaning.setdefault(word, name) == name, f"'{word}' is ambiguous"


def test_segment_counting_matches_the_gsm_and_ucs2_limits() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2
    assert segments("न" * 70) == 1
    assert segments("न" * 71) == 2
    assert segments("a" * 133 + "ç") == 2
    assert segments("a" * 134 + "ç") == 3
