"""The media store: a folder under the data directory, or an S3-compatible object store (moto's
server mode, a real HTTP server on loopback), behind one interface; files fetched by the
background tick land in either."""

import socket
from collections.abc import Iterator

import boto3
import pytest
from channel_support import PHONE
from media_support import attachments, jpeg_with_gps, pdf_document
from moto.server import ThreadedMotoServer

from bot.channels.provider import Inbound
from bot.media.store import (
    FolderStore,
    MediaStore,
    Missing,
    ObjectStore,
    describe_store,
    digest_of,
    media_store,
)
from bot.scheduler import fetch_media_tick
from bot.settings import Settings

BUCKET = "evidence"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", **KEYS).create_bucket(
        Bucket=BUCKET
    )
    yield url
    server.stop()


def s3_settings(s3_url: str, **values: str) -> dict[str, str]:
    return {
        "media_s3_bucket": BUCKET,
        "media_s3_endpoint_url": s3_url,
        "media_s3_access_key_id": KEYS["aws_access_key_id"],
        "media_s3_secret_access_key": KEYS["aws_secret_access_key"],
        **values,
    }


@pytest.fixture(params=["folder", "s3"])
def any_store(request, tmp_path, s3_url) -> MediaStore:
    if request.param == "folder":
        return media_store(Settings(_env_file=None, data_dir=str(tmp_path)))
    return media_store(Settings(_env_file=None, **s3_settings(s3_url, media_s3_prefix="t/")))


def test_the_settings_choose_the_store(tmp_path, s3_url) -> None:
    assert isinstance(media_store(Settings(_env_file=None, data_dir=str(tmp_path))), FolderStore)
    assert isinstance(media_store(Settings(_env_file=None, **s3_settings(s3_url))), ObjectStore)


def test_the_banner_says_where_files_are_kept(tmp_path, s3_url) -> None:
    folder = Settings(_env_file=None, data_dir=str(tmp_path), media_max_bytes=5 * 1024 * 1024)
    assert describe_store(folder) == f"Media: folder {tmp_path / 'media'}, files up to 5 MB"
    bucket = Settings(_env_file=None, **s3_settings(s3_url))
    assert describe_store(bucket) == f"Media: S3 bucket {BUCKET} at {s3_url}, files up to 10 MB"


def test_objects_are_put_got_checked_and_deleted_by_content_hash(any_store) -> None:
    data = pdf_document()
    digest = any_store.put(data)
    assert digest == digest_of(data) and len(digest) == 64
    assert any_store.put(data) == digest  # the same bytes, the same object
    assert any_store.exists(digest)
    assert any_store.get(digest) == data
    any_store.delete(digest)
    assert not any_store.exists(digest)
    with pytest.raises(Missing):
        any_store.get(digest)
    any_store.delete(digest)  # deleting what is gone is no error


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/passwd", "a" * 63, "A" * 64, "", "0" * 64 + "/x"]
)
def test_a_name_that_is_not_a_content_hash_never_reaches_the_store(any_store, name) -> None:
    for operation in (any_store.get, any_store.exists, any_store.delete):
        with pytest.raises(ValueError):
            operation(name)


def test_the_folder_store_keeps_objects_under_the_data_directory(tmp_path) -> None:
    store = media_store(Settings(_env_file=None, data_dir=str(tmp_path)))
    digest = store.put(b"evidence")
    assert (tmp_path / "media" / digest[:2] / digest).read_bytes() == b"evidence"
    assert [path.name for path in (tmp_path / "media" / digest[:2]).iterdir()] == [digest]


def test_a_fetched_photo_is_kept_in_the_object_store_shared_by_every_process(
    make_runtime, store, fake_twilio, s3_url
) -> None:
    runtime = make_runtime(**s3_settings(s3_url))
    url = fake_twilio.add_media(jpeg_with_gps(), "image/jpeg")
    runtime.engine.handle(Inbound("sms", PHONE, "SM" + "5" * 32, "", (url,)))

    assert fetch_media_tick(runtime).stored == 1

    [row] = attachments(store)
    other_process = make_runtime(**s3_settings(s3_url))
    assert other_process.media.store.exists(row.sha256)
    assert other_process.media.store.exists(row.thumbnail_sha256)
    raw = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **KEYS)
    listed = raw.list_objects_v2(Bucket=BUCKET, Prefix="media/")
    assert {item["Key"] for item in listed["Contents"]} >= {
        f"media/{row.sha256}",
        f"media/{row.thumbnail_sha256}",
    }
