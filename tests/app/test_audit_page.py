"""The audit trail page: each entry a sentence with its time, never JSON or column names."""

from __future__ import annotations

from datetime import date

from tests.app.conftest import by_label, open_app
from tests.app.test_family_journey import family_with_history
from tracker.records.families import add_note
from tracker.store.db import write_session

PAGE = "pages/audit.py"


def test_entries_read_as_sentences_with_their_time(admin, practitioner, sample_engine):
    family_id = family_with_history(sample_engine, practitioner.key_worker_id)
    with write_session(sample_engine) as session:
        add_note(
            session,
            family_id=family_id,
            written_on=date.today(),
            text="Met at the gate",
            author=practitioner.name,
            today=date.today(),
            actor=practitioner.actor,
        )
    app = open_app(admin, PAGE)
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table.columns) == ["When (UTC)", "What happened", "Entry"]
    sentences = table["What happened"].tolist()
    # Dated today, so no date; the audit page names the family, as the History tab need not.
    assert f"{practitioner.name} added a note: “Met at the gate” for family J-1." in sentences
    assert "tester added family J-1, referred" in " ".join(sentences)
    for text in sentences:
        assert "{" not in text and "_id" not in text and "None" not in text, text
    assert all(when[:2].isdigit() and when[3:6].isalpha() for when in table["When (UTC)"]), (
        "UK dates: 12 Mar 2026 14:05"
    )


def test_the_filter_names_actions_in_words(admin, sample_engine):
    app = open_app(admin, PAGE)
    what = by_label(app.selectbox, "What")
    assert "Failed sign-in" in what.options and "sign_in_failed" not in what.options
    what.set_value("create").run()
    assert not app.exception
    sentences = app.dataframe[0].value["What happened"].tolist()
    assert sentences and all(" added " in text for text in sentences), sentences
