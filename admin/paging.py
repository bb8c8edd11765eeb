"""Numbered pages for long console lists: which page numbers to link, with gaps between."""

from dataclasses import dataclass
from urllib.parse import urlencode

MAX_PAGE = 100_000


@dataclass(frozen=True)
class Pages:
    """Page `current` (1-based) of `count` pages; `links` has the numbers to show, None for a
    gap ("…"); `url(n)` is the list's address for page n with the same filters and sort."""

    current: int
    count: int
    links: list[int | None]
    base: str
    query: dict[str, str]

    def url(self, number: int) -> str:
        kept = {key: value for key, value in self.query.items() if value}
        return f"{self.base}?{urlencode({**kept, 'page': number})}"


def page_number(raw: str) -> int:
    """The page asked for in a query parameter: anything but a whole number from 1 up (empty,
    letters, zero, negative, huge) is page 1."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return 1
    return min(max(int(text), 1), MAX_PAGE)


def pages(
    total: int, per_page: int, asked: int, base: str, query: dict[str, str], around: int = 2
) -> Pages:
    """The pages of `total` rows, `per_page` each; a page past the last shows the first."""
    count = max(1, -(-total // per_page))
    current = asked if 1 <= asked <= count else 1
    shown = {1, count, *range(current - around, current + around + 1)}
    links: list[int | None] = []
    for number in sorted(n for n in shown if 1 <= n <= count):
        if links and links[-1] is not None and number - links[-1] > 1:
            links.append(None)
        links.append(number)
    return Pages(current, count, links, base, query)
