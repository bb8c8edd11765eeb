"""Phone numbers in one canonical form (E.164) so one person is one contact on every channel."""

import phonenumbers


def to_e164(raw: str) -> str | None:
    """E.164 for a typed or provider-given number ('whatsapp:' prefix allowed), or None."""
    candidate = raw.strip().removeprefix("whatsapp:").strip()
    if not candidate.startswith("+") or len(candidate) > 32:
        return None
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(address: str) -> str | None:
    """The country a phone number belongs to, used to suggest the business's country."""
    if not address.startswith("+"):
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(address, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None
