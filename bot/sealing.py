"""Sealing with the survey key, which lives outside the database.

Two sub-keys are derived from each survey key with HKDF-SHA256: one seals (AES-256-GCM), one
tags (HMAC-SHA256). A sealed value is always the same size, whatever it holds (its plaintext is
padded to `SEALED_SIZE` bytes, and anything larger is refused), so neither the size of a stored
conversation nor of a pending response shows how far someone got. Each seal names its purpose
as associated data, so a sealed conversation cannot be passed off as a pending response.

Rotation: new seals and tags use the current key; keys listed in SURVEY_KEYS_PREVIOUS still
open old seals and still recognise old tags.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from bot.keys import survey_key
from bot.settings import Settings

SEALED_SIZE = 1024
_LENGTH = struct.Struct(">H")
_NONCE_BYTES = 12
_SEAL_INFO = b"handcraft survey seal v1"
_TAG_INFO = b"handcraft survey tag v1"
_SESSION_KEY = "sealer"


class Unsealable(ValueError):
    """No known key opens this value: it was sealed under a lost key, or was tampered with."""


class TooLarge(ValueError):
    """The value does not fit the fixed sealed size."""


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class Sealer:
    """Seals and tags with the current survey key; opens and recognises with previous ones too."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        keys = [current, *(key for key in previous if key and key != current)]
        self._aeads = [AESGCM(_derive(key, _SEAL_INFO)) for key in keys]
        self._tag_keys = [_derive(key, _TAG_INFO) for key in keys]

    @classmethod
    def from_settings(cls, settings: Settings) -> "Sealer":
        """The current key from `bot.keys.survey_key` and the comma-separated previous keys."""
        previous = [
            part.strip().encode("utf-8")
            for part in settings.survey_keys_previous.split(",")
            if part.strip()
        ]
        return cls(survey_key(settings), previous)

    def seal(self, plaintext: bytes, purpose: str) -> str:
        """Fixed-size, encrypted and authenticated text for storage; TooLarge past SEALED_SIZE."""
        room = SEALED_SIZE - _LENGTH.size
        if len(plaintext) > room:
            raise TooLarge(f"{len(plaintext)} bytes do not fit a sealed value ({room} at most)")
        padded = _LENGTH.pack(len(plaintext)) + plaintext + bytes(room - len(plaintext))
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[0].encrypt(nonce, padded, purpose.encode("utf-8"))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, token: str, purpose: str) -> bytes:
        """The plaintext sealed under any known key for this purpose, or Unsealable."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise Unsealable("not a sealed value") from None
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        for aead in self._aeads:
            try:
                padded = aead.decrypt(nonce, sealed, purpose.encode("utf-8"))
            except (InvalidTag, ValueError):
                continue
            (length,) = _LENGTH.unpack_from(padded)
            return padded[_LENGTH.size : _LENGTH.size + length]
        raise Unsealable("no known survey key opens this value")

    def seal_json(self, value: Any, purpose: str) -> str:
        """`seal` of compact JSON."""
        return self.seal(
            json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), purpose
        )

    def unseal_json(self, token: str, purpose: str) -> Any:
        """The value `seal_json` sealed, or Unsealable."""
        return json.loads(self.unseal(token, purpose))

    def tag(self, message: str) -> str:
        """A keyed hash (hex) under the current key: equal inputs give equal tags."""
        return self.tags(message)[0]

    def tags(self, message: str) -> list[str]:
        """The tag under every known key, current first: to recognise tags made before a
        rotation."""
        data = message.encode("utf-8")
        return [hmac.new(key, data, hashlib.sha256).hexdigest() for key in self._tag_keys]


def attach(session: Session, sealer: Sealer) -> None:
    """Make the sealer available to domain handlers running in this session's transaction."""
    session.info[_SESSION_KEY] = sealer


def sealer_of(session: Session) -> Sealer:
    """The sealer `attach` gave this session; a RuntimeError if none was."""
    sealer = session.info.get(_SESSION_KEY)
    if not isinstance(sealer, Sealer):
        raise RuntimeError("no survey key attached to this transaction")
    return sealer
