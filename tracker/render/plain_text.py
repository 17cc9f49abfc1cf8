"""People's own words shown inside Markdown, as the words they typed and nothing more.

Streamlit draws most text as Markdown, where a case note saying ``![x](https://…)`` would
make every reader's browser fetch that address, and ``[Session expired](https://…)``
would be a working link. Text that people type goes through ``markdown_literal`` before
it meets Markdown; long free text is better drawn with ``st.text``, which parses nothing.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be escaped with a backslash in CommonMark, and
# an escaped one is always literal; escaping them all leaves nothing to be read as
# emphasis, a link, an image, HTML, a table, a heading or a Streamlit directive.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def markdown_literal(text: str) -> str:
    """``text`` escaped so Markdown shows it exactly, line breaks kept."""
    escaped = _PUNCTUATION.sub(r"\\\1", text)
    return "  \n".join(escaped.splitlines())
