"""What a fetched file is, and the form it is kept in.

The type is read from the bytes (`filetype`), never taken from the provider's word. An image
is opened and verified with Pillow, re-encoded with no metadata but its EXIF orientation (no
GPS position, no camera, no time, no XMP or comments), and a small thumbnail is made. Voice
notes and other audio, videos, PDFs and other documents are kept as they came.
"""

import io
import warnings
from dataclasses import dataclass

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format -> (content type, format to save in) of the kept original.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "JPEG"),
    "PNG": ("image/png", "PNG"),
    "WEBP": ("image/webp", "WEBP"),
    "GIF": ("image/png", "PNG"),  # the first frame, as a still picture
}
ORIENTATION = 0x0112
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; anything larger is refused, unopened
THUMBNAIL_SIZE = (320, 320)


@dataclass(frozen=True)
class Kept:
    """The file as it is stored: `kind` image|audio|video|document; `thumbnail` (JPEG) for
    images only."""

    kind: str
    content_type: str
    original: bytes
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class Unfit:
    """Not kept: `why` is "size" or "type"; `detail` says what was found, for staff."""

    why: str
    detail: str


def examine(data: bytes, declared: str, allowed: frozenset[str], max_bytes: int) -> Kept | Unfit:
    """The form to keep `data` in, or why not: over `max_bytes` bytes, a type (as detected)
    outside `allowed`, an image that does not open, or a file claiming (`declared`, the
    provider's content type) to be an image that is not one."""
    if len(data) > max_bytes:
        return Unfit("size", f"{len(data)} bytes, over the limit of {max_bytes}")
    guess = filetype.guess(data)
    found = guess.mime if guess is not None else None
    declared = declared.split(";")[0].strip().lower()
    if declared.startswith("image/") and not (found or "").startswith("image/"):
        return Unfit("type", f"said {declared[:60]} but is {found or 'not a known type'}")
    if found is None:
        return Unfit("type", f"not a known file type (said {declared[:60] or 'nothing'})")
    if found not in allowed:
        return Unfit("type", f"{found} is not among the types kept")
    if found.startswith("image/"):
        return _image(data)
    kind = found.split("/")[0]
    return Kept(kind if kind in ("audio", "video") else "document", found, data)


def _image(data: bytes) -> Kept | Unfit:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    return Unfit("size", f"{probe.width}x{probe.height} pixels, too many")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return _clean(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        return Unfit("type", f"an image that does not open: {str(error)[:120]}")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Unfit("size", "an image with too many pixels")


def _clean(image: Image.Image) -> Kept | Unfit:
    """The image re-encoded with no metadata but its orientation, and its thumbnail."""
    formats = IMAGE_FORMATS.get(image.format or "")
    if formats is None:
        return Unfit("type", f"{image.format} images are not kept")
    content_type, save_as = formats
    orientation = image.getexif().get(ORIENTATION)
    exif = Image.Exif()
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        exif[ORIENTATION] = orientation
    pixels = image.copy()
    pixels.info = {key: value for key, value in image.info.items() if key == "icc_profile"}
    if save_as == "JPEG" and pixels.mode not in ("RGB", "L", "CMYK"):
        pixels = pixels.convert("RGB")
    if save_as == "PNG" and pixels.mode == "P" and image.format == "GIF":
        pixels = pixels.convert("RGBA")
    original = io.BytesIO()
    options: dict[str, object] = {"exif": exif.tobytes()} if len(exif) else {}
    if save_as in ("JPEG", "WEBP"):
        options["quality"] = 90
    if "icc_profile" in pixels.info:
        options["icc_profile"] = pixels.info["icc_profile"]
    pixels.save(original, save_as, **options)
    return Kept("image", content_type, original.getvalue(), _thumbnail(image))


def _thumbnail(image: Image.Image) -> bytes:
    """A JPEG at most THUMBNAIL_SIZE, turned upright, with no metadata at all."""
    upright = ImageOps.exif_transpose(image) or image
    small = upright.convert("RGB")
    small.info = {}
    small.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()
