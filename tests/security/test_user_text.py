"""People's own words cannot load remote content or become links when the app shows them.

The attack: a case note holding an image that points elsewhere (the reader's browser
fetches it, telling a stranger who read the note and when) and a link dressed as the
app's own "Session expired: sign in again".
"""

from __future__ import annotations

from datetime import date

import pytest
from markdown_it import MarkdownIt

from tests.app.conftest import account, first_worker, open_app
from tests.app.test_family_journey import family_with_history
from tracker.people.access import PRACTITIONER
from tracker.records.families import add_note
from tracker.render.plain_text import markdown_literal
from tracker.store.db import write_session

ATTACKS = [
    "![beacon](http://attacker.example/beacon.png)",
    '<img src="http://attacker.example/beacon.png">',
    "[Session expired: sign in again](http://attacker.example/login)",
    "<http://attacker.example/login>",
    "<script>alert(1)</script>",
    "[ref]\n\n[ref]: http://attacker.example/",
    ":red[alarm] :material/warning: **loud** # Heading",
]


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


@pytest.mark.parametrize("attack", ATTACKS)
def test_typed_markup_is_shown_as_typed_and_loads_nothing(attack):
    html = rendered(markdown_literal(attack))
    assert "<img" not in html
    assert "<a " not in html
    assert "<script" not in html
    assert "<strong>" not in html and "<h1>" not in html


@pytest.mark.parametrize("attack", ATTACKS)
def test_without_escaping_the_attack_would_work(attack):
    """The attacks are real: unescaped, CommonMark turns most of them into markup."""
    html = rendered(attack)
    if "beacon" in attack:
        assert "<img" in html
    if "attacker.example/login" in attack or "[ref]" in attack:
        assert "<a " in html


def test_the_words_and_their_lines_survive():
    text = 'Mum said: "school\'s better" (50% of days).\nNext visit 3/4 - bring forms_2'
    html = rendered(markdown_literal(text))
    assert "Mum said: &quot;school's better&quot; (50% of days).<br />" in html
    assert "Next visit 3/4 - bring forms_2" in html


@pytest.mark.sqlite_only
def test_a_case_note_is_drawn_as_text_on_the_family_page(sample_engine):
    worker_id, name = first_worker(sample_engine)
    family_id = family_with_history(sample_engine, worker_id)
    attack = "\n".join(ATTACKS[:3])
    with write_session(sample_engine) as session:
        add_note(
            session,
            family_id=family_id,
            written_on=date.today(),
            text=attack,
            author="[Admin](http://attacker.example/)",
            today=date.today(),
            actor="tester",
        )
    practitioner = account(sample_engine, "pat", name, PRACTITIONER, worker_id)
    app = open_app(practitioner, "pages/family_journey.py", family="J-1")
    assert not app.exception
    assert attack in [element.value for element in app.text]
    markdown = " ".join(element.value for element in app.markdown)
    assert r"\[Admin\]" in markdown  # the author's name, escaped
    html = rendered(markdown)
    assert "<img" not in html and "<a " not in html
