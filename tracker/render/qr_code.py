"""A link as a QR code, for a family to scan from the key worker's laptop with their phone.

Drawn by ``segno`` as an SVG with a ``viewBox`` and no fixed size, so the page chooses
how large it shows (``QR_WIDTH``) and a narrow screen can shrink it without cutting it off.
"""

from __future__ import annotations

import io

import segno

# Error correction M recovers about 15% of the symbol: enough for screen glare and a
# finger on the trackpad, and it keeps a self-rating link's code small (version 5 or 6).
# A fixed level (no boosting) keeps the code the same size for the same length of link.
ERROR_LEVEL = "M"
# The light margin round the code that scanners need: four modules, as the standard asks.
QUIET_ZONE = 4
# CSS pixels on screen: about 6 per module for a self-rating link (41 modules and the
# margin), which a phone camera reads from arm's length, and narrower than a 360 px phone.
QR_WIDTH = 280


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG document: dark modules on white, a light quiet zone
    (it stays light on a dark theme), nothing but a title and one path."""
    symbol = segno.make(url, error=ERROR_LEVEL, boost_error=False, micro=False)
    out = io.BytesIO()
    symbol.save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        omitsize=True,
        title="QR code of the link",
        nl=False,
    )
    return out.getvalue().decode("utf-8")
