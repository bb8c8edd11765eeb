"""Reading posted forms field by field: every bad value becomes a message, never an error page."""

from collections.abc import Collection, Mapping
from datetime import date, datetime

from starlette.datastructures import FormData

from admin.times import from_input
from bot.domain.zones import ZoneError

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


class Fields:
    """Collects cleaned values and, for each field that is wrong, a message saying what to type."""

    def __init__(self, form: FormData) -> None:
        self.form = form
        self.errors: list[str] = []

    def raw(self, name: str) -> str:
        value = self.form.get(name)
        return value.replace("\x00", "") if isinstance(value, str) else ""

    def text(self, name: str, label: str, max_length: int, required: bool = True) -> str:
        return self._checked(self.raw(name).strip(), label, max_length, required)

    def _checked(self, value: str, label: str, max_length: int, required: bool) -> str:
        if required and not value:
            self.errors.append(f"{label} is needed.")
        elif len(value) > max_length:
            self.errors.append(f"{label} is too long: at most {max_length} characters.")
        return value[:max_length]

    def joined(self, name: str, label: str, max_length: int, required: bool = True) -> str:
        """Every value of a field sent several times (ticked boxes), or one typed list, as one
        comma-separated text, checked like `text`."""
        values = [
            v.replace("\x00", "").strip() for v in self.form.getlist(name) if isinstance(v, str)
        ]
        return self._checked(",".join(v for v in values if v), label, max_length, required)

    def choice(self, name: str, label: str, choices: Mapping[str, str]) -> str:
        value = self.raw(name).strip()
        if value not in choices:
            self.errors.append(
                f"Choose {label.lower()} from the list: {', '.join(choices.values())}."
            )
            return ""
        return value

    def day(self, name: str, label: str) -> date | None:
        value = self.raw(name).strip()
        try:
            parsed = date.fromisoformat(value[:10]) if len(value) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.errors.append(f"{label} must be a date like 2026-03-15.")
            return None
        if not EARLIEST <= parsed <= LATEST:
            self.errors.append(f"{label} must be between {EARLIEST} and {LATEST}.")
            return None
        return parsed

    def moment(self, name: str, label: str, zone_name: str = "UTC") -> datetime | None:
        """A date and time as a browser's datetime-local field sends it, typed in the IANA
        zone `zone_name`, as naive UTC. A time the clocks skip there is refused with a message;
        one they pass twice is the first (admin.times.from_input)."""
        value = self.raw(name).strip()
        try:
            parsed = datetime.fromisoformat(value) if 16 <= len(value) <= 19 else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo or not EARLIEST <= parsed.date() <= LATEST:
            self.errors.append(f"{label} must be a date and time like 2026-03-15T09:00.")
            return None
        try:
            return from_input(parsed, zone_name)
        except ZoneError as error:
            self.errors.append(f"{label}: {error}")
            return None

    def picked(self, name: str, label: str, choices: Collection[str]) -> list[str]:
        """The ticked boxes or selected options of a multiple choice, each one of `choices`."""
        values = [value for value in self.form.getlist(name) if isinstance(value, str)]
        if any(value not in choices for value in values):
            self.errors.append(f"Choose {label.lower()} from the list.")
            return []
        return list(dict.fromkeys(values))

    def whole(self, name: str, label: str, minimum: int, maximum: int) -> int | None:
        value = self.raw(name).strip()
        if value.isascii() and value.isdigit() and len(value) <= 9:
            number = int(value)
            if minimum <= number <= maximum:
                return number
        self.errors.append(f"{label} must be a whole number from {minimum} to {maximum}.")
        return None

    def typed(self, *names: str, limit: int = 2000) -> dict[str, str]:
        """What the person typed, to show it again in the form next to the messages."""
        return {name: self.raw(name)[:limit] for name in names}
