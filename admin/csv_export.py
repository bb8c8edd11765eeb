"""CSV downloads that are safe to open in a spreadsheet."""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from fastapi.responses import Response

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset("".join(_FORMULA_START))
_PHONE = re.compile(r"\+[0-9]+")


def safe_cell(value: object) -> str:
    """Text a spreadsheet shows as text, not as a formula.

    A datetime (naive ones are UTC, as the database keeps them) becomes ISO 8601 with its
    offset, "2026-12-01T10:00:00+00:00"; a date "2026-12-01"; None an empty cell. A cell of
    "+" and digits only (a phone number) is written as is; any other text starting with =, +,
    -, @, a tab or a carriage return gets a leading ' so the spreadsheet does not run it.
    """
    if isinstance(value, str) and (not value or value[0] not in _FORMULA_CHARS):
        return value  # most cells: plain text, nothing to guard
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if _PHONE.fullmatch(text):
        return text
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A UTF-8 CSV attachment (with a byte-order mark for spreadsheets), every cell safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
