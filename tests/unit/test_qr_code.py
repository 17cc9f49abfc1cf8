"""The QR code of a self-rating link: what is drawn is segno's symbol for that link, read
back from the SVG's path module by module (no scanner needed)."""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET

import segno

from tracker.render.qr_code import QR_WIDTH, QUIET_ZONE, qr_svg

SVG = "{http://www.w3.org/2000/svg}"


def link() -> str:
    return f"https://outcomes.example-council.gov.uk/rate?invite={secrets.token_urlsafe(32)}"


def drawn_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The symbol's width with its margin, and the (row, column) of every dark module the
    SVG's line path draws: ``M x y`` and ``m dx dy`` move, ``h n`` draws n modules, each
    row's line running through the middle of it (y + 0.5)."""
    root = ET.fromstring(svg)
    _, _, width, height = (int(n) for n in root.get("viewBox").split())
    assert width == height
    (line,) = [p for p in root.iter(f"{SVG}path") if p.get("stroke")]
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", line.get("d")):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(y - 0.5), int(x) + step) for step in range(int(a))}
            x += float(a)
    return width, dark


def test_the_drawing_is_segnos_symbol_for_the_link_at_level_m_with_a_quiet_zone():
    url = link()
    width, dark = drawn_modules(qr_svg(url))
    symbol = segno.make_qr(url, error="M", boost_error=False)
    size = len(symbol.matrix)
    assert symbol.error == "M" and symbol.version in (5, 6)
    assert width == size + 2 * QUIET_ZONE
    expected = {
        (row + QUIET_ZONE, column + QUIET_ZONE)
        for row, line in enumerate(symbol.matrix)
        for column, module in enumerate(line)
        if module
    }
    assert dark == expected
    margin = range(QUIET_ZONE)
    assert not [(r, c) for r, c in dark if r in margin or c in margin or r >= width - QUIET_ZONE]


def test_another_link_draws_another_code():
    assert drawn_modules(qr_svg(link()))[1] != drawn_modules(qr_svg(link()))[1]


def test_the_code_is_dark_on_white_with_no_size_fixed_and_nothing_active():
    svg = qr_svg(link())
    root = ET.fromstring(svg)
    assert root.get("width") is None and root.get("height") is None, "the page sizes it"
    background = next(root.iter(f"{SVG}path"))
    assert background.get("fill") == "#fff", "a light margin, even on a dark theme"
    assert root.find(f"{SVG}title").text == "QR code of the link"
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags == {"svg", "title", "path"}
    assert not re.search(r"<script|\son\w+=|href|javascript:", svg, re.IGNORECASE)


def test_the_code_fits_a_phone_and_keeps_modules_large_enough_to_scan():
    width, _ = drawn_modules(qr_svg(link()))
    assert QR_WIDTH <= 320, "inside a 360 px screen's margins"
    assert QR_WIDTH / width >= 5.5, "CSS pixels per module"
