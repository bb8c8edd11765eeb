"""Where the bytes of evidence files live, addressed by their SHA-256 (64 lower-case hex
characters): a folder under the data directory, or an S3-compatible object store (boto3) that
several processes on several machines share.

Every operation goes through `MediaStore`; a name that is not a SHA-256 is refused with
ValueError before it reaches a path or a key, so no caller can name anything else.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from bot.settings import Settings

_DIGEST = re.compile(r"[0-9a-f]{64}")
# What a store may raise for a passing fault (a full disk, an unreachable object store).
StoreError = (OSError, BotoCoreError, ClientError)


class Missing(LookupError):
    """No object has this hash (deleted, or never stored)."""


class MediaStore(Protocol):
    """Content-addressed bytes: put returns the SHA-256 the bytes are kept under."""

    def put(self, data: bytes) -> str: ...

    def get(self, digest: str) -> bytes:
        """The bytes; raises Missing when there are none."""
        ...

    def exists(self, digest: str) -> bool: ...

    def delete(self, digest: str) -> None:
        """Deletes the object; nothing happens when there is none."""
        ...


def digest_of(data: bytes) -> str:
    """The SHA-256 of the bytes, as the store names them."""
    return hashlib.sha256(data).hexdigest()


def checked(digest: str) -> str:
    """The digest when it is a SHA-256 in lower-case hex; ValueError otherwise."""
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise ValueError("not a SHA-256 content hash")
    return digest


class FolderStore:
    """Objects as files `<root>/<ab>/<digest>`, written to a temporary file and renamed, so a
    reader never sees half an object."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        digest = checked(digest)
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        digest = digest_of(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError:
            raise Missing(digest) from None

    def exists(self, digest: str) -> bool:
        return self._path(digest).is_file()

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)


class ObjectStore:
    """Objects as keys `<prefix><digest>` in one bucket of an S3-compatible store."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _key(self, digest: str) -> str:
        return self.prefix + checked(digest)

    def put(self, data: bytes) -> str:
        digest = digest_of(data)
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(digest),
            Body=data,
            ContentType="application/octet-stream",
        )
        return digest

    def get(self, digest: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError as error:
            if _not_found(error):
                raise Missing(digest) from None
            raise
        return answer["Body"].read()

    def exists(self, digest: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(digest))
        except ClientError as error:
            if _not_found(error):
                return False
            raise
        return True

    def delete(self, digest: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(digest))


def _not_found(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def describe_store(settings: Settings) -> str:
    """One line for the start-up banner: where evidence files are kept, and the size limit."""
    limit = f"files up to {settings.media_max_bytes / (1024 * 1024):g} MB"
    if settings.media_s3_bucket:
        where = settings.media_s3_endpoint_url or "AWS"
        return f"Media: S3 bucket {settings.media_s3_bucket} at {where}, {limit}"
    return f"Media: folder {Path(settings.data_dir) / 'media'}, {limit}"


def media_store(settings: Settings) -> MediaStore:
    """The deployment's store: the S3 bucket MEDIA_S3_BUCKET names, or DATA_DIR/media."""
    if not settings.media_s3_bucket:
        return FolderStore(Path(settings.data_dir) / "media")
    client = boto3.client(
        "s3",
        endpoint_url=settings.media_s3_endpoint_url or None,
        region_name=settings.media_s3_region or None,
        aws_access_key_id=settings.media_s3_access_key_id or None,
        aws_secret_access_key=settings.media_s3_secret_access_key or None,
    )
    return ObjectStore(client, settings.media_s3_bucket, settings.media_s3_prefix)
