"""Time zones: of a business (one of its country's zones), of a person the programme writes
to, and the conversion of a local wall-clock time to the naive UTC everything is stored in.

Zone names are IANA names ("America/Mexico_City"). A country's zones come from Babel's CLDR
territory data, ordered as the tz database's zone.tab lists them (its most populous zone first,
so Mexico City for Mexico) where the machine has that file; a phone number's zone comes from
phonenumbers' data.
"""

import zoneinfo
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from babel.core import get_global
from phonenumbers import timezone as phone_zones

from bot.domain.errors import Invalid

DEFAULT_ZONE = "UTC"
MAX_ZONE_NAME = 64


class ZoneError(Invalid):
    """A time zone name or a local time that cannot be used as given."""


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted: what a staff member may choose."""
    return tuple(sorted(_known()))


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(
        name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"
    ) | {"UTC"}


def checked_zone(name: str) -> str:
    """`name` when it is a zone this machine knows; ZoneError (naming it, cut short) if not."""
    if not isinstance(name, str) or name not in _known():
        shown = str(name)[:MAX_ZONE_NAME]
        raise ZoneError(f"'{shown}' is not a time zone name like Europe/Paris.")
    return name


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo of a known name; UTC for one this machine does not know (stored data is
    never an error when shown)."""
    return ZoneInfo(name if name in _known() else DEFAULT_ZONE)


def country_zones(country: str) -> tuple[str, ...]:
    """The zones of a country (ISO 3166 alpha-2, any case), its default first; () for an
    unknown country."""
    code = country.upper()
    zones = [name for name in get_global("territory_zones").get(code, ()) if name in _known()]
    order = _tab_order().get(code, ())
    ranked = {name: position for position, name in enumerate(order)}
    return tuple(sorted(zones, key=lambda name: ranked.get(name, len(ranked))))


def default_zone(country: str) -> str:
    """The zone a new business in `country` gets: its country's first, or UTC."""
    zones = country_zones(country)
    return zones[0] if zones else DEFAULT_ZONE


@lru_cache(maxsize=1)
def _tab_order() -> dict[str, tuple[str, ...]]:
    """Country code -> its zones in zone.tab's order (most populous first); {} without it."""
    order: dict[str, list[str]] = {}
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) >= 3:
                order.setdefault(fields[0], []).append(fields[2])
        break
    return {code: tuple(names) for code, names in order.items()}


@lru_cache(maxsize=4096)
def phone_zone(address: str) -> str:
    """The zone of a phone number in E.164 (a 'whatsapp:' prefix allowed): the first that
    phonenumbers gives for it when that is a known zone, else UTC (also for chat ids)."""
    number = address.removeprefix("whatsapp:")
    if not number.startswith("+"):
        return DEFAULT_ZONE
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return DEFAULT_ZONE
    for name in phone_zones.time_zones_for_number(parsed):
        canonical = _canonical(name)
        if canonical in _known():
            return canonical
    return DEFAULT_ZONE


def _canonical(name: str) -> str:
    """The current name of an old alias (Asia/Calcutta -> Asia/Kolkata), per CLDR."""
    return get_global("zone_aliases").get(name, name)


def to_local(moment: datetime, zone_name: str) -> datetime:
    """A stored naive-UTC moment as an aware time in the zone."""
    return moment.replace(tzinfo=UTC).astimezone(zone(zone_name))


def local_moment(day: date, clock: time, zone_name: str) -> datetime:
    """`clock` on `day` in the zone as naive UTC; a time skipped by a clock change is taken
    as the moment just after the change."""
    return datetime.combine(day, clock, tzinfo=zone(zone_name)).astimezone(UTC).replace(tzinfo=None)


def to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time typed in the zone (naive) as naive UTC.

    A time that does not exist there (skipped when the clocks go forward) raises ZoneError
    saying so; a time that happens twice (when they go back) is taken as the first of the two.
    """
    where = zone(zone_name)
    first = local.replace(tzinfo=where, fold=0)
    back = first.astimezone(UTC).astimezone(where).replace(tzinfo=None)
    if back != local:
        raise ZoneError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name}: the clocks go forward "
            "then. Choose a time after the change."
        )
    return first.astimezone(UTC).replace(tzinfo=None)
