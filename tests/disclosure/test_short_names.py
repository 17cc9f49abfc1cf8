"""A family's short name ("Smith household", initials) stays with the staff who work with it.

It is personal data, kept and exported like a family's other details for managers, but
it never appears in the cohort figures, the report card (any audience, any format) or
the research extract. Every family in the sample is given a name no other text could
hold, and each output is searched for all of them.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.cli import main
from tracker.measures.periods import last_full_quarter
from tracker.store.db import write_session
from tracker.store.models import Family

KEY = "test-key-0f8b2c6e4d1a9735-b7e3c9a1f5d2846e-2a"


@pytest.fixture
def named(sample_engine) -> set[str]:
    """Every family's short name, made unmistakable."""
    with write_session(sample_engine) as session:
        ids = session.execute(sa.select(Family.id)).scalars().all()
        for family_id in ids:
            session.execute(
                sa.update(Family)
                .where(Family.id == family_id)
                .values(short_name=f"Qzx{family_id}v household")
            )
    return {f"Qzx{family_id}v" for family_id in ids}


def text_of(path: Path) -> str:
    """A file's text; a zip's (an Excel workbook is one) is all its members' together."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return path.read_text()


def found(text: str, names: set[str]) -> set[str]:
    return {name for name in names if name in text}


def test_the_full_export_keeps_short_names_like_the_other_family_details(named, tmp_path):
    """The control: the names are there to be found, and managers' export carries them."""
    out = tmp_path / "export.zip"
    assert main(["export", "--format", "zip", "--out", str(out)]) == 0
    assert found(text_of(out), named) == named


@pytest.mark.parametrize("audience", ["published", "service"])
def test_cohort_figures_hold_no_short_name(named, audience, capsys):
    capsys.readouterr()
    for instrument in ("taf-dtt", "family-outcomes-10"):
        argv = ["cohort", "--instrument", instrument, "--json", "--audience", audience]
        assert main(argv) == 0
        printed = capsys.readouterr().out
        json.loads(printed)  # the figures themselves, not an error
        assert not found(printed, named)


@pytest.mark.parametrize("audience", ["published", "service"])
@pytest.mark.parametrize("kind", ["json", "html", "xlsx"])
def test_the_report_card_holds_no_short_name(named, audience, kind, tmp_path):
    quarter = last_full_quarter(date.today())
    out = tmp_path / f"card.{kind}"
    argv = ["report-card", "--from", quarter.start.isoformat(), "--to", quarter.end.isoformat()]
    argv += ["--audience", audience, "--format", kind, "--out", str(out)]
    assert main(argv) == 0
    assert not found(text_of(out), named)


def test_the_research_extract_holds_no_short_name(named, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("TRACKER_MIN_GROUP", "1")  # keep every consenting family in
    out = tmp_path / "extract.zip"
    assert main(["research-export", "--out", str(out)]) == 0
    text = text_of(out)
    with zipfile.ZipFile(out) as archive:
        families = archive.read("families.csv").decode()
    assert len(io.StringIO(families).readlines()) > 1, "consenting families are in it"
    assert not found(text, named)
    assert "short_name" not in text
