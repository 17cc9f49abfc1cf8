"""Print an HTML page to PDF in Chromium, as a person pressing Print would, and read it back."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

# The computed size, in CSS pixels, of the smallest text outside the inline SVG.
SMALLEST_TEXT = """() => Math.min(...Array.from(document.body.querySelectorAll('*'))
    .filter((e) => !e.closest('svg') && e.childNodes.length
      && Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim()))
    .map((e) => parseFloat(getComputedStyle(e).fontSize)))"""
A4_POINTS = (595.3, 841.9)


@dataclass(frozen=True)
class Printout:
    pdf: bytes = field(repr=False)
    pages: int
    size: tuple[float, float]  # the first page, in points
    text: str
    smallest_text_pt: float

    @property
    def words(self) -> str:
        """The text with every run of whitespace as one space, so wrapped lines rejoin."""
        return " ".join(self.text.split())

    @property
    def is_a4(self) -> bool:
        return all(abs(got - want) < 2 for got, want in zip(self.size, A4_POINTS, strict=True))


def print_a4(context, html: str, screenshot: Path | None = None) -> Printout:
    """Print ``html`` on A4 with its own @page rules, in a fresh tab of ``context``."""
    sheet = context.new_page()
    try:
        sheet.set_content(html, wait_until="load")
        sheet.emulate_media(media="print")
        smallest = sheet.evaluate(SMALLEST_TEXT) * 72 / 96
        pdf = sheet.pdf(format="A4", prefer_css_page_size=True, print_background=True)
        if screenshot is not None:
            sheet.screenshot(path=screenshot, full_page=True)
    finally:
        sheet.close()
    reader = PdfReader(io.BytesIO(pdf))
    first = reader.pages[0]
    return Printout(
        pdf=pdf,
        pages=len(reader.pages),
        size=(float(first.mediabox.width), float(first.mediabox.height)),
        text="\n".join(page.extract_text() for page in reader.pages),
        smallest_text_pt=smallest,
    )
