"""Every text a person reads, keyed, one catalogue per language."""

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Formatter

LANGUAGES = ("en", "es", "fr", "hi")
DEFAULT_LANGUAGE = "en"
# `resume` (YES, UNSTOP) opts back in like `start`, but only while the person is opted out.
KEYWORDS = ("stop", "start", "resume", "help", "menu", "lang")
_HERE = Path(__file__).parent
# Texts rewritten at run time, (language, key) -> template; see `use_overrides`.
_overrides: Mapping[tuple[str, str], str] = {}


@cache
def _files(language: str) -> tuple[dict, ...]:
    """A language's catalogue is every TOML file in its folder, one file per feature."""
    loaded = []
    for path in sorted((_HERE / language).glob("*.toml")):
        with path.open("rb") as handle:
            loaded.append(tomllib.load(handle))
    return tuple(loaded)


@cache
def catalogue(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for table in _files(language):
        texts = table.get("text", {})
        clash = merged.keys() & texts.keys()
        if clash:
            raise ValueError(f"{language}: keys defined twice: {sorted(clash)}")
        merged.update(texts)
    return merged


@cache
def _shared_keywords() -> dict[str, list[str]]:
    """The words carriers act on, which work in every language (see keywords.toml)."""
    with (_HERE / "keywords.toml").open("rb") as handle:
        return tomllib.load(handle)["keywords"]


@cache
def keyword_words(language: str) -> dict[str, tuple[str, ...]]:
    """The global keywords of a language as listed, the shared carrier words included;
    `flows.keywords` reads typed text against them."""
    table: dict[str, list[str]] = {}
    for loaded in _files(language):
        table.update(loaded.get("keywords", {}))
    shared = _shared_keywords()
    return {name: (*shared.get(name, ()), *table.get(name, ())) for name in KEYWORDS}


@cache
def verify_words(language: str) -> tuple[str, ...]:
    """The words that ask to verify a seal in a language (`[verify] words` in its
    catalogue), as listed; `flows.verify` reads typed text against them."""
    words: list[str] = []
    for loaded in _files(language):
        words.extend(loaded.get("verify", {}).get("words", []))
    return tuple(words)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def use_overrides(texts: Mapping[tuple[str, str], str]) -> None:
    """From now on `text` reads these templates, (language, key) -> template, instead of the
    catalogue's; every earlier override is dropped. Keys unknown to the catalogue are ignored,
    and a template must carry the catalogue text's placeholders (the caller checks)."""
    global _overrides
    _overrides = {
        (language, key): template
        for (language, key), template in texts.items()
        if language in LANGUAGES and key in catalogue(language) and template
    }


def overridden(language: str, key: str) -> str | None:
    """The template `text` uses instead of the catalogue's for this key, or None."""
    return _overrides.get((language, key))


def text(language: str | None, key: str, params: dict[str, str | int] | None = None) -> str:
    """The text for a key in a language, falling back to English for an unknown language;
    a template set with `use_overrides` wins over the catalogue's."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    template = _overrides.get((chosen, key)) or catalogue(chosen)[key]
    return template.format(**(params or {}))
