"""Every text exists in every language, with the same placeholders, within its SMS budget."""

import pytest

from flows.answers import fold
from flows.core import Option, Reply
from flows.keywords import keyword
from messages import KEYWORDS, LANGUAGES, catalogue, keyword_words, placeholders
from messages.render import render_text
from messages.sms import is_gsm7, segments

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
    "limit": 10,
    "value": "Bosnia and Herzegovina",
    "number": 6,
    "total": 6,
    "question": "Do you feel safe doing this work at home (tools, chemicals, light)?",
}
# The longest menu each prompt can carry, so the budget covers what a basic phone shows.
WIDEST_MENU = tuple(Option(key) for key in ("onboarding.role_leader", "onboarding.start_again"))
MENUS = {
    "onboarding.choose_language": tuple(Option(f"language.{code}") for code in LANGUAGES),
    "menu.main": (Option("menu.stage"), Option("menu.language"), Option("menu.help")),
    "invalid.choice": tuple(Option(f"language.{code}") for code in LANGUAGES),
    "survey.consent": (Option("survey.begin"), Option("survey.decline")),
    "survey.question": tuple(Option(f"survey.q.agreed_rate.{n}") for n in (1, 2, 3)),
    "survey.answer_invalid": tuple(Option(f"survey.q.agreed_rate.{n}") for n in (1, 2, 3)),
}


# The programme journey. Lists show a page of entries cut to 24 characters, fixed options, More.
SAMPLE_PARAMS.update(
    {
        "process": "Hand embroidery and zari beading on silk",
        "parent": "Shree Ganesh Embroidery & Beading Works",
        "payment": "Mobile money",
        "workers": 100000,
        "home": 100000,
        "count": 120,
        "done": 8,
        "severity": "zero tolerance",
        "due": "30 September 2026",
        "date": "30 September 2026",
        # A ticket: who answers (the longest category name) and staff's answer, which the
        # console shows in SMS parts before it is sent (a typical short one here).
        "who": "Nuestra persona experta en Registros y cumplimiento legal",
        "hours": 24,
        "category": "Records and legal compliance",
        "text": "Yes: write the rate on each order slip and give a copy to the group leader.",
        # A report's notice: its name, the link's address (PUBLIC_BASE_URL, /r/, a 32-character
        # token) and the day it expires.
        "report": "Rapport de pré-évaluation",
        "link": "https://handcraft.example.org/r/" + "x" * 32,
        "until": "30 September 2026",
        # The longest item description staff may write (bot.domain.actions.MAX_DESCRIPTION).
        "description": "Write down the piece rate of each order and give a copy to every "
        "worker group, home-based ones too, by Monday 2 March.",
    }
)
# Brand partners and the seal: a brand's name as long as an organisation may be, a revocation
# reason as long as staff may write (bot.domain.seals.MAX_REASON), a seal's number.
SAMPLE_PARAMS.update(
    {
        "brand": "Maison Artisanale des Tisserands & Brodeuses du Sud (Europe)",
        "reason": "A child under the minimum working age was found at a home worker group, March.",
        "seal": "EH-2026-00042",
        "until": "30 September 2028",
    }
)
# Said in a survey call, never sent as a text: only kept within the longest budget.
BUDGETS.update({key: MAX_SEGMENTS for key in catalogue("en") if key.startswith("call.")})
BUDGETS.update(
    {
        key: 3
        for key in (
            "brands.ask",
            "brands.given",
            "seal.revoked",
            "seal.expired",
            "seal.verify_active",
            "seal.verify_expired",
            "seal.verify_revoked",
        )
    }
)
# Texts carrying a business name and its next step, an entry's details or an item's whole
# description: in Hindi (and in Spanish or French with accents) they are UCS-2.
BUDGETS.update(
    {
        key: 3
        for key in (
            "stage.mapping",
            "stage.pre_assessment",
            "stage.remediation",
            "stage.assessment_scheduled",
            "stage.corrective_action",
            "supply.summary",
            "supply.node_menu",
            "supply.ask_save",
            "actions.item",
            "actions.new",
            "actions.changed",
            "actions.before",
            "actions.due",
            "actions.overdue",
            "actions.verified",
            "actions.withdrawn",
            "report.issued_notice",  # a link, and the report's name in Hindi is UCS-2
            "ticket.opened",  # an expert's category by name
            "menu.main",  # nine choices, after a long business name, in Devanagari
        )
    }
)
# Pages hold as many entries as fit the budget (flows.paging), and always at least one.
_ENTRIES = (Option("common.value", {"value": ">> Shree Ganesh Embroid.."}),)
_MORE = Option("list.more")
_AFTER = tuple(Option(f"supply.{key}") for key in ("add_another", "my_chain", "main_menu"))
_ITEM = tuple(Option(f"actions.{key}") for key in ("done", "need_help", "later"))
_TOPICS = (
    *(
        Option(f"lesson.{topic}")
        for topic in (
            "child_labour",
            "forced_labour",
            "wages",
            "hours",
            "safety",
            "discrimination",
            "records",
            "environment",
        )
    ),
    Option("training.checklist"),
)
_MAIN_MENU = tuple(
    Option(f"menu.{key}")
    for key in (
        "report",
        "chain",
        "training",
        "actions",
        "assessment",
        "stage",
        "language",
        "talk",
        "help",
    )
)
MENUS.update(
    {
        "menu.main": _MAIN_MENU,
        "invalid.choice": _TOPICS,
        "supply.ask_parent": (Option("supply.parent_us"), *_ENTRIES, _MORE),
        "supply.ask_payment": tuple(
            Option(f"supply.pay_{method}") for method in ("cash", "mobile_money", "bank")
        ),
        "supply.ask_save": (Option("supply.save"), Option("supply.cancel")),
        "supply.saved": _AFTER,
        "supply.cancelled": _AFTER,
        "supply.updated": _AFTER,
        "supply.removed": _AFTER,
        "supply.what_next": _AFTER,
        "supply.list": (*_ENTRIES, Option("supply.add"), Option("supply.confirm_all"), _MORE),
        "supply.list_empty": (Option("supply.add"), Option("supply.main_menu")),
        "supply.node_menu": tuple(Option(f"supply.{key}") for key in ("edit", "remove", "back")),
        "supply.ask_field": tuple(
            Option(f"supply.field_{field}")
            for field in ("name", "place", "process", "workers", "parent", "payment")
        ),
        "supply.ask_remove": (Option("supply.yes_remove"), Option("common.no")),
        "actions.ask": _ITEM,
        "actions.note_saved": _ITEM,
        "actions.photo_saved": _ITEM,
        "actions.invalid": _ITEM,
        "actions.list": (*_ENTRIES, Option("actions.main_menu"), _MORE),
        "training.topics": _TOPICS,
        **{
            f"lesson.{topic.key.removeprefix('lesson.')}.{part}": (
                Option("training.next"),
                Option("training.stop"),
            )
            for topic in _TOPICS[:-1]
            for part in (1, 2)
        },
        **{
            f"checklist.{question}": tuple(
                Option(f"checklist.answer_{answer}") for answer in ("yes", "no", "not_sure")
            )
            for question in (
                "worker_list",
                "ages",
                "rates_written",
                "paid_on_time",
                "pay_record",
                "complaints",
                "chemicals",
            )
        },
    }
)


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        other = catalogue(language)
        assert set(other) == set(english), f"{language}: keys differ"
        for key, template in english.items():
            assert placeholders(other[key]) == placeholders(template), f"{language}: {key}"


def test_no_text_is_left_empty_or_untranslated_by_accident() -> None:
    english = catalogue("en")
    # Words spelt alike in English and the other language ("version" in French).
    shared = {"common.value", "report.version"} | {f"language.{code}" for code in LANGUAGES}
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
                assert meaning.setdefault(fold(word), name) == name, f"'{word}' is ambiguous"


# A label may read as a keyword only when it names that keyword (the menu's Help), or as YES,
# which is a keyword only while someone is opted out, when no option is read.
LABELS_NAMING_A_KEYWORD = {"menu.help": "help"}


def test_no_text_a_person_may_type_back_reads_as_another_keyword() -> None:
    for language in LANGUAGES:
        for key, value in catalogue(language).items():
            for word in value.split("|"):
                meaning = keyword(word)
                if meaning not in (None, "resume"):
                    assert LABELS_NAMING_A_KEYWORD.get(key) == meaning, f"{language}: {key}"


def test_segment_counting_matches_the_gsm_and_ucs2_limits() -> None:
    assert segments("") == 1
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


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 159 + "]", 2),  # 161 septets: one over a single SMS
        ("a" * 158 + "]", 1),  # 160 septets: the single-SMS limit, escape pair included
        ("]" * 80, 1),
        ("]" * 81, 2),
        # Each part holds 76 escape pairs (152 septets): the 77th never straddles two parts.
        ("]" * 153, 3),
        ("]" * 152, 2),
        # An escape pair at septets 153-154 moves whole to the next part.
        ("a" * 152 + "]" + "a" * 152, 3),
        ("a" * 153 + "]" + "a" * 151, 2),
        ("a" * 152 + "\f" + "a" * 152, 3),
        # Every character of the extension table costs two septets.
        ("^{}\\[~]|€\f" * 15, 2),  # 300 septets
    ],
)
def test_gsm7_escape_pairs_are_never_split_between_parts(text: str, parts: int) -> None:
    assert segments(text) == parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("😀" * 35, 1),  # 70 UTF-16 code units: the single-SMS limit
        ("😀" * 35 + "a", 2),
        ("न" * 69 + "😀", 2),  # 71 code units
        # A surrogate pair at code units 67-68 moves whole to the next part.
        ("न" * 66 + "😀" + "न" * 66, 3),
        ("न" * 67 + "😀" + "न" * 65, 2),
        ("😀" * 67, 3),  # 33 pairs (66 units) per part
    ],
)
def test_ucs2_surrogate_pairs_are_never_split_between_parts(text: str, parts: int) -> None:
    assert segments(text) == parts


def test_only_the_gsm_alphabet_stays_gsm7() -> None:
    assert is_gsm7("Hello [world] €5 ¿Qué? Ñoño")
    assert not is_gsm7("ç")  # only the capital Ç is in the default alphabet
    assert not is_gsm7("नमस्ते")
    assert not is_gsm7("a\x1bb")  # the escape code alone is no character
