"""Bar charts as plain geometry, drawn as inline SVG by the `chart` template macro.

Server-side drawing keeps the console free of JavaScript and of anything fetched from elsewhere.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

WIDTH = 380
ROW = 26
LABEL_WIDTH = 150
LABEL_CHARS = 24


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str
    href: str = ""  # where clicking the bar leads, if anywhere


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""
    href: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    title: str
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def horizontal_bars(
    title: str,
    items: Sequence[tuple[str, int]],
    css: str = "bar",
    width: int = WIDTH,
    marked: Collection[int] = (),
    links: Sequence[str] = (),
) -> Chart:
    """One labelled bar per item, longest bar full width; reads well on a narrow screen.

    A smaller `width` draws the same chart with larger text, for narrow cards. The items at
    the `marked` positions (from 0) are drawn as alarming ("bar bad"). `links`, one address
    per item, makes each bar and its label a link there.
    """
    top = max((value for _, value in items), default=0) or 1
    label_width = min(LABEL_WIDTH, width * 2 // 5)
    room = width - label_width - 40
    chart = Chart(width, max(ROW * len(items), ROW), title)
    for row, (label, value) in enumerate(items):
        y = row * ROW
        size = room * value / top
        href = links[row] if row < len(links) else ""
        chart.rects.append(
            Rect(
                label_width,
                y + 5,
                max(size, 1),
                ROW - 10,
                "bar bad" if row in marked else css,
                f"{label}: {value}",
                href,
            )
        )
        chart.labels.append(
            Label(label_width - 8, y + ROW / 2 + 4, _short(label), "end", href=href)
        )
        chart.labels.append(Label(label_width + size + 6, y + ROW / 2 + 4, str(value), href=href))
    return chart


def stacked_bars(
    title: str,
    items: Sequence[tuple[str, Sequence[tuple[str, int, str]]]],
    width: int = WIDTH,
) -> Chart:
    """One labelled bar per item, split into its parts (name, value, css) side by side, the
    longest total full width; the total is written after the bar."""
    top = max((sum(value for _, value, _ in parts) for _, parts in items), default=0) or 1
    label_width = min(LABEL_WIDTH, width * 2 // 5)
    room = width - label_width - 40
    chart = Chart(width, max(ROW * len(items), ROW), title)
    for row, (label, parts) in enumerate(items):
        y, x = row * ROW, float(label_width)
        for name, value, css in parts:
            if value:
                size = room * value / top
                chart.rects.append(Rect(x, y + 5, size, ROW - 10, css, f"{label}: {value} {name}"))
                x += size
        total = sum(value for _, value, _ in parts)
        chart.labels.append(Label(label_width - 8, y + ROW / 2 + 4, _short(label), "end"))
        chart.labels.append(Label(x + 6, y + ROW / 2 + 4, str(total)))
    return chart


def columns(
    title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[int], str]]
) -> Chart:
    """Grouped columns per category (say, messages in and out per day), with a value scale."""
    height, bottom, left = 180, 24, 34
    plot = height - bottom - 8
    top = max((value for _, values, _ in series for value in values), default=0) or 1
    slot = (WIDTH - left) / max(len(categories), 1)
    bar = slot * 0.8 / max(len(series), 1)
    chart = Chart(WIDTH, height, title)
    chart.labels.append(Label(left - 4, 12, str(top), "end", "axis"))
    chart.labels.append(Label(left - 4, 8 + plot, "0", "end", "axis"))
    step = max(1, round(len(categories) / 7))
    for index, category in enumerate(categories):
        x0 = left + index * slot + slot * 0.1
        for number, (name, values, css) in enumerate(series):
            value = values[index]
            size = plot * value / top
            chart.rects.append(
                Rect(
                    x0 + number * bar,
                    8 + plot - size,
                    bar,
                    max(size, 0.5),
                    css,
                    f"{category}: {value} {name}",
                )
            )
        if index % step == 0:
            chart.labels.append(Label(x0 + slot * 0.4, height - 6, category, "middle", "axis"))
    return chart
