"""The home page renders against a real database with the sample loaded."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tracker.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_shows_the_sample_cohort(database_url, capsys):
    assert main(["init", "--sample"]) == 0
    capsys.readouterr()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Families"] == "120"
    assert metrics["Key workers"] == "8"
