"""The QRIS string as an image to scan, apart from the rail: the bot draws it for any rail
whose instructions are a QR code, without loading Pakasir's HTTP adapter."""

from __future__ import annotations

import io


def qr_png(payload: str, scale: int = 8) -> bytes:
    """The QRIS string as a PNG image (for sendPhoto); segno needs no Pillow."""
    import segno  # imported on first use: only the bot's payment screen needs it

    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
