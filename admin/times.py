"""Times as a staff member reads and types them: in their own time zone, always naming it."""

from datetime import date, datetime

from bot.domain.zones import to_local, to_utc

INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # a datetime-local field's value


def shown(value: datetime | date | None, zone_name: str) -> str:
    """A stored naive-UTC moment as "2026-03-01 09:00 CST" in the zone (its abbreviation, or
    its offset like "-05" where it has none); a date as ISO; "—" for nothing."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = to_local(value, zone_name)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return value.isoformat()


def for_input(value: datetime, zone_name: str) -> str:
    """A stored naive-UTC moment as a datetime-local field's value in the zone."""
    return to_local(value, zone_name).strftime(INPUT_FORMAT)


def from_input(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time typed in the zone as naive UTC; ZoneError for a time the clocks skip
    (see bot.domain.zones.to_utc)."""
    return to_utc(local, zone_name)
