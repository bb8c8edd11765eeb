"""QR codes for seals on product tags, made with segno: the seal's public verification URL,
as SVG (for print) and PNG."""

import io

import segno

ERROR_LEVEL = "m"  # 15% of the symbol can be lost (a worn tag) and it still reads


def qr_svg(url: str) -> bytes:
    """The QR code of `url` as a standalone SVG document (4 px modules, quiet zone kept)."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL, micro=False).save(out, kind="svg", scale=4)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG image (10 px modules, quiet zone kept)."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL, micro=False).save(out, kind="png", scale=10)
    return out.getvalue()
