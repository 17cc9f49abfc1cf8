"""The pseudonymised extract: consenting families only, keyed hashes, coarse dates, no free text.

One consenting family is far below any real ``min_group``, so the content checks use k = 1;
tests/disclosure checks k-anonymity on whole cohorts.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import zipfile
from datetime import date

import pandas as pd
import pytest

from tests.unit.helpers import FAMILY_HEADER, write_csv
from tracker.cli import main
from tracker.files.exporting import canonical_frames
from tracker.files.importing import import_files
from tracker.files.research import ResearchExportError, research_extract, research_frames

KEY = "test-key-0f8b2c6e4d1a9735-b7e3c9a1f5d2846e-2a"  # 45 bytes, 20 distinct


@pytest.fixture
def frames(engine, tmp_path):
    header = [*FAMILY_HEADER, "consent_to_share", "consent_on", "presenting_issues"]
    families = write_csv(
        tmp_path / "families.csv",
        header,
        [
            [
                "F1",
                "Northfield",
                "tier 2",
                "Ann Worker",
                "School",
                "2025-01-06",
                "yes",
                "2025-01-20",
                "housing",
            ],
            ["F2", "Riverside", "tier 3", "Bob Worker", "GP", "2025-01-10", "no", "2025-01-20", ""],
            ["F3", "Riverside", "tier 3", "Bob Worker", "GP", "2025-01-10", "", "", ""],
        ],
    )
    scores = write_csv(
        tmp_path / "scores.csv",
        ["family_ref", "instrument", "occasion", "assessed_on", "rater", "domain", "score", "note"],
        [
            ["F1", "taf-dtt", "B", "2025-02-14", "worker", "housing", "4", "Damp in the flat"],
            ["F2", "taf-dtt", "B", "2025-02-14", "worker", "housing", "3", ""],
        ],
    )
    goals = write_csv(
        tmp_path / "goals.csv",
        ["family_ref", "goal", "domain", "status", "set_on"],
        [["F1", "Sam to school on time", "housing", "open", "2025-02-14"]],
    )
    feedback = write_csv(
        tmp_path / "feedback.csv",
        ["family_ref", "given_on", "satisfaction", "comment"],
        [["F1", "2025-03-03", "5", "Ann was brilliant"]],
    )
    report = import_files(engine, [families, scores, goals, feedback], today=date(2025, 6, 1))
    assert report.ok, report.problems
    with engine.connect() as connection:
        return canonical_frames(connection)


def test_only_consenting_families_with_keyed_hashes(frames):
    tables = research_frames(frames, KEY, min_group=1)
    expected = "P-" + hmac.new(KEY.encode(), b"F1", hashlib.sha256).hexdigest()[:16]
    assert tables["families"]["pseudo_id"].tolist() == [expected]
    assert tables["scores"]["pseudo_id"].tolist() == [expected]
    assert research_frames(frames, KEY[::-1], min_group=1)["families"]["pseudo_id"].tolist() != [
        expected
    ]


def test_dates_become_quarters_and_months_from_referral_and_free_text_and_names_go(frames):
    tables = research_frames(frames, KEY, min_group=1)
    family = tables["families"].iloc[0]
    assert family["referral_period"] == "2025-Q1"
    assert family["months_to_closure"] == ""
    assert tables["scores"]["months_from_referral"].tolist() == ["0-2"]
    assert tables["feedback"]["months_from_referral"].tolist() == ["0-2"]
    text = " ".join(table.to_csv() for table in tables.values())
    for secret in (
        "F1",
        "Ann Worker",
        "Damp in the flat",
        "Sam to school",
        "brilliant",
        "housing; ",
        "2025-02",
        "2025-01",
        KEY,
    ):
        assert secret not in text, secret
    assert "family_ref" not in text and "note" not in tables["scores"].columns


def test_the_cli_writes_a_zip_and_needs_the_key(frames, tmp_path, monkeypatch, capsys):
    out = tmp_path / "extract.zip"
    monkeypatch.delenv("TRACKER_PSEUDONYM_KEY", raising=False)
    assert main(["research-export", "--out", str(out)]) == 2
    assert "TRACKER_PSEUDONYM_KEY" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.setenv("TRACKER_PSEUDONYM_KEY", KEY)
    assert main(["research-export", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(
            [
                "README.txt",
                "families.csv",
                "scores.csv",
                "goals.csv",
                "activities.csv",
                "referrals_on.csv",
                "feedback.csv",
            ]
        )
        families = pd.read_csv(io.BytesIO(archive.read("families.csv")))
        readme = archive.read("README.txt").decode()
    # One family is a group of one: under the default k = 5 it is left out, and said so.
    assert len(families) == 0
    assert "k = 5" in readme and "left out: 1 consenting families" in readme
    assert research_extract(frames, KEY, min_group=1).smallest_class == 1
    with pytest.raises(ResearchExportError):
        research_frames(frames, "")
