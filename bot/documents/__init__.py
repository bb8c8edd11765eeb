"""Documents people print and forward: a report's data rendered to HTML (Jinja) and to PDF
(WeasyPrint), in English and, when it differs, the leader's language.

`render_html(kind, data, languages)` takes plain data (`bot.domain.reports` gathers it from the
records) and returns one HTML document holding each language in turn; `pdf_of(html)` prints it
to PDF bytes. Fonts come from the system: Debian's fonts-noto-core has Devanagari, so Hindi
prints as text, not boxes.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from messages import LANGUAGES, text
from messages.dates import date_text

TEMPLATES = Path(__file__).resolve().parent / "templates"
KINDS = ("pre_assessment", "assessment", "corrective_plan")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _words(language: str) -> dict[str, Any]:
    """What a template calls to speak `language`: `t(key, **params)` and `when(day)`."""

    def t(key: str, **params: str | int) -> str:
        return text(language, key, params)

    def when(value: date | datetime | None) -> str:
        if value is None:
            return "—"
        return date_text(language, value.date() if isinstance(value, datetime) else value)

    return {"t": t, "when": when, "language": language}


def languages_for(leader_language: str | None) -> list[str]:
    """English, then the leader's language when it is another supported one."""
    if leader_language in LANGUAGES and leader_language != "en":
        return ["en", leader_language]
    return ["en"]


def render_html(
    kind: str, data: Mapping[str, Any], languages: Sequence[str], *, draft: bool = False
) -> str:
    """The whole document as HTML, one section per language. Raises ValueError for an unknown
    kind; a template that names missing data raises jinja2's UndefinedError (a bug)."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    environment = _environment()
    parts = [
        environment.get_template(f"{kind}.html").render(
            **data, **_words(language), kind=kind, draft=draft
        )
        for language in languages
    ]
    return environment.get_template("document.html").render(
        parts=parts, title=text("en", f"report.{kind}.title"), lang=languages[0]
    )


def render_page(template: str, **values: Any) -> str:
    """A whole HTML page from one of the templates here (a card sheet, say), given its values;
    a template that names a missing value raises jinja2's UndefinedError (a bug)."""
    return _environment().get_template(template).render(**values)


def pdf_of(html: str) -> bytes:
    """The HTML printed to PDF (A4, the document's own inline stylesheet). Everything a
    document shows is in it and user text is escaped, so nothing is fetched."""
    from weasyprint import HTML  # imported on first use: it loads Pango and the fonts

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
