"""What a fetched file is and the form it is kept in: read from the bytes; photos verified,
re-encoded with no metadata but their orientation, thumbnailed; other files kept as they came."""

import io

import pytest
from PIL import Image, PngImagePlugin

from bot.media.checks import THUMBNAIL_SIZE, Kept, Unfit, examine

ALL = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf", "audio/ogg"}
)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>26,54N</exif:GPSLatitude></x:xmpmeta>'


def gps_exif(orientation: int = 3) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (26.0, 54.0, 42.0)})
    return exif


def encoded(image: Image.Image, kind: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_png_loses_its_text_xmp_and_exif_but_its_orientation() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home, 26.9N 75.8E")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = encoded(Image.new("RGB", (50, 40), "teal"), "PNG", pnginfo=info, exif=gps_exif())
    kept = examine(data, "image/png", ALL, 10**6)
    assert isinstance(kept, Kept) and kept.content_type == "image/png"
    image = opened(kept.original)
    assert dict(image.getexif()) == {0x0112: 3}
    assert not set(image.info) - {"exif", "dpi"}
    assert b"taken at home" not in kept.original and b"GPSLatitude" not in kept.original


def test_a_webp_keeps_only_its_orientation() -> None:
    data = encoded(Image.new("RGB", (50, 40), "teal"), "WEBP", exif=gps_exif(), xmp=XMP)
    kept = examine(data, "image/webp", ALL, 10**6)
    assert isinstance(kept, Kept) and kept.content_type == "image/webp"
    assert dict(opened(kept.original).getexif()) == {0x0112: 3}
    assert b"GPSLatitude" not in kept.original and b"PhoneMaker" not in kept.original


def test_a_jpeg_loses_its_xmp_and_a_gif_becomes_a_still_png() -> None:
    jpeg = encoded(Image.new("RGB", (50, 40), "teal"), "JPEG", exif=gps_exif(), xmp=XMP)
    kept = examine(jpeg, "image/jpeg", ALL, 10**6)
    assert isinstance(kept, Kept) and b"GPSLatitude" not in kept.original
    gif = encoded(Image.new("P", (20, 20)), "GIF")
    still = examine(gif, "image/gif", ALL, 10**6)
    assert isinstance(still, Kept) and still.content_type == "image/png"
    assert opened(still.original).format == "PNG"


def test_thumbnails_are_small_upright_jpegs() -> None:
    data = encoded(Image.new("RGB", (1200, 600), "teal"), "JPEG", exif=gps_exif(orientation=6))
    kept = examine(data, "image/jpeg", ALL, 10**7)
    assert isinstance(kept, Kept) and kept.thumbnail is not None
    small = opened(kept.thumbnail)
    assert small.format == "JPEG" and small.size == (160, 320)
    assert max(small.size) <= max(THUMBNAIL_SIZE) and not small.getexif()


@pytest.mark.parametrize(
    ("data", "declared", "why", "detail"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image/jpeg", "type", "does not open"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml", "type",
         "said image/svg+xml but is not a known type"),
        (b"%PDF-1.4\n" + b"0" * 50, "image/jpeg", "type", "said image/jpeg but is application/pdf"),
        (b"MZ\x90\x00" + b"\x00" * 100, "application/pdf", "type", "is not among the types kept"),
        (b"", "", "type", "not a known file type"),
        (b"%PDF-1.4\n" + b"0" * 5000, "application/pdf", "size", "over the limit of 1000"),
    ],
)  # fmt: skip
def test_files_that_are_not_what_they_say_or_not_kept_are_unfit(data, declared, why, detail):
    found = examine(data, declared, ALL, 1000)
    assert isinstance(found, Unfit) and found.why == why and detail in found.detail


def test_documents_and_voice_notes_are_kept_as_they_came() -> None:
    pdf = b"%PDF-1.4\n" + b"0" * 50
    assert examine(pdf, "", ALL, 1000) == Kept("document", "application/pdf", pdf)
    voice = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 30
    assert examine(voice, "audio/ogg", ALL, 1000) == Kept("audio", "audio/ogg", voice)
