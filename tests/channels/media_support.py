"""Files as people send them, for the media tests: photos with EXIF (a GPS position among it),
voice notes, documents, and things pretending to be one of those."""

import io

from PIL import Image
from sqlalchemy import select

from bot.models import Attachment

ORIENTATION, MAKE, DATETIME, GPS_IFD = 0x0112, 0x010F, 0x0132, 0x8825


def jpeg_with_gps(size: tuple[int, int] = (640, 480), orientation: int = 6) -> bytes:
    """A JPEG with a camera, a time, an orientation, a GPS position and a comment."""
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 8):
        image.putpixel((x, x % size[1]), (0, 0, 255))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PhoneMaker"
    exif[DATETIME] = "2026:01:05 09:30:00"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (26.0, 54.0, 42.0), 3: "E", 4: (75.0, 47.0, 6.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"home of the photographer")
    return out.getvalue()


def ogg_voice() -> bytes:
    """The first bytes of an Ogg Opus voice note, as Telegram and WhatsApp record them."""
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 300


def pdf_document() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def attachments(store) -> list[Attachment]:
    with store.transaction() as session:
        rows = session.scalars(select(Attachment).order_by(Attachment.id)).all()
        session.expunge_all()
        return list(rows)
