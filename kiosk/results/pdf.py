"""A one-page PDF holding one RGB image, fitted to an A4 page: no PDF dependency.

The page is A4 portrait (595 x 842 pt); the image is scaled to fill its width and centred
vertically (a report page rendered at A4's aspect ratio fills the page). The image is an
8-bit DeviceRGB XObject, zlib-compressed (FlateDecode), drawn by a one-line content stream.
Enough for a printable report; text in it is pixels, not selectable.
"""

from __future__ import annotations

import zlib

A4_PT = (595.28, 841.89)


def image_pdf(width_px: int, height_px: int, rgb: bytes, page_pt: tuple[float, float] = A4_PT) -> bytes:
    """The PDF file of one page showing `rgb` (width_px * height_px * 3 bytes, rows top first)."""
    if width_px <= 0 or height_px <= 0 or len(rgb) != width_px * height_px * 3:
        raise ValueError(f"need {width_px} x {height_px} x 3 bytes of RGB, got {len(rgb)}")
    pw, ph = page_pt
    scale = min(pw / width_px, ph / height_px)
    w, h = width_px * scale, height_px * scale
    x, y = (pw - w) / 2, (ph - h) / 2
    image = zlib.compress(rgb, 6)
    content = f"q {w:.2f} 0 0 {h:.2f} {x:.2f} {y:.2f} cm /Im0 Do Q\n".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
         "/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>").encode("ascii"),
        (f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} "
         f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length {len(image)} >>\n"
         "stream\n").encode("ascii") + image + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{o:010d} 00000 n \n".encode("ascii") for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)
