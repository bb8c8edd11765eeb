"""The two secrets that live outside the database: the console's SECRET_KEY and the SURVEY_KEY.

A production deployment must set both (32 bytes or more). On a loopback `PUBLIC_BASE_URL` (a
laptop, a test) a missing or weak key is replaced by a random one kept in a file in the data
directory, created once with mode 0600, so a newcomer's first run needs no configuration.
"""

import ipaddress
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import Settings

MIN_KEY_BYTES = 32
DEFAULT_SECRET_KEY = "change-me-in-production"


class KeyUnusable(RuntimeError):
    """A key is missing or too weak for a public deployment; the message says which and how."""


def is_loopback(url: str) -> bool:
    """True for http(s) URLs whose host is localhost or a loopback address (127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _strong(value: str) -> bool:
    return len(value.encode("utf-8")) >= MIN_KEY_BYTES and value != DEFAULT_SECRET_KEY


def _resolve(settings: Settings, name: str, configured: str) -> bytes:
    if _strong(configured):
        return configured.encode("utf-8")
    if not is_loopback(settings.public_base_url):
        raise KeyUnusable(
            f"{name} must be set to at least {MIN_KEY_BYTES} random bytes when PUBLIC_BASE_URL "
            f"({settings.public_base_url}) is not a loopback address. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    path = Path(settings.data_dir) / name.lower()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_once(path, secrets.token_urlsafe(48))
        kept = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as error:
        raise KeyUnusable(f"Cannot keep {name} in {path}: {error}. Set {name} instead.") from None
    if _strong(kept):
        return kept.encode("utf-8")
    raise KeyUnusable(f"{path} holds no usable key; delete it to make a new one.")


def _create_once(path: Path, key: str) -> None:
    """Write `key` to `path` unless it exists, atomically: the key is written to a private
    temporary file first and then linked into place, so a process starting at the same moment
    (serve and worker together) reads either no file or the whole key, never half of it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(key + "\n")
        os.link(temporary, path)  # fails if another process made it first: theirs is kept
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def secret_key(settings: Settings) -> bytes:
    """The key that signs console cookies. Raises KeyUnusable when unusable off loopback."""
    return _resolve(settings, "SECRET_KEY", settings.secret_key)


def survey_key(settings: Settings) -> bytes:
    """The key that seals survey answers in progress. Raises KeyUnusable when unusable off
    loopback. It must never be stored in the database or its backups."""
    return _resolve(settings, "SURVEY_KEY", settings.survey_key)
