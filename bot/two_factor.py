"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

An account first gets a pending secret (shown as text and as a QR code); two-factor is on once a
code from the app is confirmed. A code is accepted for its own 30-second step and one step either
side (clocks drift), and never twice: the last accepted step is kept, and only a later step's
code is accepted after it.
"""

import hmac
from datetime import UTC, datetime

import pyotp
import segno

from bot.domain.errors import Invalid
from bot.models import StaffUser

ISSUER = "Ethical Handcraft"
DRIFT_STEPS = 1
CODE_DIGITS = 6
# What a code field keeps of what was typed (spaces and dashes allowed between digits).
MAX_TYPED = 20


class TwoFactorError(Invalid):
    """Why two-factor could not be turned on or off, worded for the person who asked."""


def is_on(user: StaffUser) -> bool:
    """True when the account must give a code to sign in."""
    return user.totp_secret is not None and user.totp_enabled_at is not None


def clean_code(typed: str) -> str | None:
    """A typed code without spaces or dashes, or None unless it is exactly six ASCII digits."""
    code = typed.replace(" ", "").replace("-", "")
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


def pending_secret(user: StaffUser) -> str:
    """The secret to enrol with: the account's unconfirmed one, or a new one it now keeps.

    Raises TwoFactorError when two-factor is already on.
    """
    if is_on(user):
        raise TwoFactorError("Two-factor sign-in is already on for this account.")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """`uri` as an inline SVG QR code (paths only: no scripts, no styles)."""
    return segno.make(uri, error="m").svg_inline(scale=4, title="QR code for the authenticator app")


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at `now` (naive UTC), for tests and support."""
    return pyotp.TOTP(secret).at(now.replace(tzinfo=UTC))


def accept_code(user: StaffUser, typed: str, now: datetime) -> bool:
    """Check a code against the account's secret at `now` (naive UTC) and use it up.

    Returns True, and remembers the step, only for a right code whose step is later than the
    last one accepted; a wrong, malformed or replayed code returns False and changes nothing.
    """
    code = clean_code(typed)
    if code is None or user.totp_secret is None:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now.replace(tzinfo=UTC))
    last = user.totp_last_step if user.totp_last_step is not None else -1
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last and hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def confirm(user: StaffUser, typed: str, now: datetime) -> None:
    """Turn two-factor on with the first code from the app.

    Raises TwoFactorError when it is already on, there is no pending secret, or the code is wrong.
    """
    if is_on(user):
        raise TwoFactorError("Two-factor sign-in is already on for this account.")
    if user.totp_secret is None:
        raise TwoFactorError("Open the two-factor page again to get a secret first.")
    if clean_code(typed) is None:
        raise TwoFactorError("Type the 6-digit code your authenticator app shows.")
    if not accept_code(user, typed, now):
        raise TwoFactorError(
            "That code does not match. Check the app shows this account and the phone's clock "
            "is right, then type the current code."
        )
    user.totp_enabled_at = now


def turn_off(user: StaffUser) -> None:
    """Forget the account's secret: it signs in with its password alone until enrolled again.

    Raises TwoFactorError when two-factor is not on (or pending).
    """
    if user.totp_secret is None:
        raise TwoFactorError("Two-factor sign-in is not on for this account.")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
