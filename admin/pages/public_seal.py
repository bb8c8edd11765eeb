"""The public seal page: `GET /seal/{code}`, no sign-in. Anyone holding a product tag learns
the business's name and country, the seal's status and validity, and nothing else, in the
browser's language where the programme speaks it (Accept-Language, negotiated with Babel).

An unknown or malformed code is a plain 404 page. Checks are rate-limited per client (its
address, or what a proxy in TRUSTED_PROXIES reports, as for sign-in), so codes cannot be
enumerated: beyond VERIFY_LIMIT per VERIFY_WINDOW_MINUTES the page answers 429.
"""

from datetime import timedelta

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import client_address, runtime_of
from admin.web import templates
from bot import signin
from bot.domain.seals import allow_verification, verification
from messages import DEFAULT_LANGUAGE, LANGUAGES, text
from messages.countries import country_name

router = APIRouter()
MAX_CODE = 40
MAX_HEADER = 500
MAX_ENTRIES = 20
HEADERS = {"cache-control": "no-store", "x-robots-tag": "noindex"}
NOT_FOUND = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>"
    "<p>Not found.</p></html>"
)


def visitor_language(header: str | None) -> str:
    """The programme language the browser prefers most (Accept-Language, by its q values),
    or the default language. Malformed or overlong headers fall back to the default."""
    if not header or len(header) > MAX_HEADER:
        return DEFAULT_LANGUAGE
    weighted = []
    for position, entry in enumerate(header.split(",")[:MAX_ENTRIES]):
        tag, _, params = entry.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and 0 < weight <= 1:
            weighted.append((-weight, position, tag.replace("_", "-")))
    preferred = [tag for _, _, tag in sorted(weighted)]
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE


def _day(value: object, language: str) -> str:
    try:
        return format_date(value, format="long", locale=Locale.parse(language))
    except (UnknownLocaleError, ValueError):
        return str(value)


@router.get("/seal/{code:path}", include_in_schema=False)
def seal_page(request: Request, code: str) -> Response:
    """The seal's public status; 404 for an unknown code, 429 beyond the rate limit."""
    runtime = runtime_of(request)
    settings, now = runtime.settings, runtime.clock.now()
    language = visitor_language(request.headers.get("accept-language"))
    client = "web:" + signin.client_key(client_address(request))
    window = timedelta(minutes=settings.verify_window_minutes)
    with runtime.store.transaction() as session:
        allowed = allow_verification(session, client, now, settings.verify_limit, window)
        found = verification(session, code[:MAX_CODE], now) if allowed else None
    if not allowed:
        message = text(language, "seal.page_too_many")
        body = f"<!doctype html><html lang={language}><meta charset=utf-8><p>{message}</p></html>"
        return HTMLResponse(body, status_code=429, headers={**HEADERS, "retry-after": "3600"})
    if found is None:
        return HTMLResponse(NOT_FOUND, status_code=404, headers=HEADERS)
    values = {
        "language": language,
        "t": {key: text(language, f"seal.{key}") for key in _LABELS},
        "business": found.business,
        "country": country_name(found.country, language),
        "status": found.status,
        "status_text": text(language, f"seal.status_{found.status}"),
        "number": found.number,
        "valid_until": _day(found.valid_until.date(), language),
    }
    return templates.TemplateResponse(request, "seal_public.html", values, headers=HEADERS)


_LABELS = (
    "page_title",
    "page_business",
    "page_country",
    "page_status",
    "page_number",
    "page_valid",
)
