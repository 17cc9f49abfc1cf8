"""Instruments are data: the shipped two, validation, and a third dropped in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.unit.helpers import SCORE_HEADER, families_file, write_csv
from tracker.cli import main
from tracker.instruments.loader import InstrumentError, get_instrument, load_instruments
from tracker.store.settings import get_settings

SHIPPED = get_settings().instruments_dir

TAF_DOMAINS = [
    "housing",
    "income_employment_finance",
    "family_history_relationships_wellbeing",
    "social_community_links",
    "general_health",
    "physical_development",
    "speech_language_communication",
    "emotional_social_development",
    "behavioural_development",
    "self_esteem_self_image",
    "family_social_relationships",
    "self_care_independence",
    "reasoning_problem_solving",
    "participation_learning_education_work",
    "progress_achievement",
    "aspirations",
    "basic_care_safety_protection",
    "routines_boundaries",
    "emotional_warmth_stability",
    "physical_health",
    "mental_health_wellbeing",
    "drug_alcohol_use",
]
STAR_AREAS = [
    "physical_health",
    "wellbeing",
    "meeting_emotional_needs",
    "keeping_children_safe",
    "social_networks",
    "education_learning",
    "boundaries_behaviour",
    "family_routine",
    "home_money",
    "progress_to_work",
]

THIRD = """
key: local-wellbeing
name: Local well-being check
version: 2
scale_min: 0
scale_max: 4
step: 0.5
higher_is_better: true
reliability: {value: 0.75, kind: test-retest, source: "A local study (2024)"}
bands:
  - {min: 0, max: 1.5, label: Struggling}
  - {min: 2, max: 4, label: Coping}
sections:
  - key: all
    label: Everything
    domains:
      - key: sleep
        label: Sleep
        descriptions: ["Hardly sleeping.", "Sleeping well most nights."]
      - key: mood
        label: Mood
        descriptions: ["Low most days.", "Mostly bright."]
"""


def test_the_taf_tool_is_a_22_domain_need_scale():
    taf = get_instrument("taf-dtt")
    assert list(taf.domain_keys) == TAF_DOMAINS
    assert (taf.scale_min, taf.scale_max, taf.step) == (1, 5, 1)
    assert taf.higher_is_better is False and taf.direction == -1
    # No published reliability: the yardstick is estimated from the service's baselines.
    assert taf.reliability is None and taf.reference_sd is None and taf.caseness is None
    assert [band.label for band in taf.bands] == [
        "None",
        "Minor",
        "Moderate",
        "Significant",
        "Critical / complex",
    ]
    assert taf.band_for(3).label == "Moderate"


def test_the_family_star_is_a_10_area_scale_read_in_stages():
    star = get_instrument("family-outcomes-10")
    assert list(star.domain_keys) == STAR_AREAS
    assert (star.scale_min, star.scale_max, star.higher_is_better) == (1, 10, True)
    assert [(band.min, band.max, band.label) for band in star.bands] == [
        (1, 2, "Stuck"),
        (3, 4, "Open to help"),
        (5, 6, "Trying things"),
        (7, 8, "Finding what works"),
        (9, 10, "Managing well"),
    ]
    assert star.band_for(8).label == "Finding what works"


def test_every_domain_describes_every_band_in_our_own_words():
    for instrument in load_instruments(SHIPPED).values():
        for domain in instrument.domains:
            assert len(domain.descriptions) == len(instrument.bands)
            assert all(len(text.split()) >= 4 for text in domain.descriptions)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("scale_max: 4", "bands must end at scale_max"),
        ("reliability: {value: 0.75, kind: test-retest, source: A local study}", None),
        ("reliability: {value: 1.5, kind: test-retest, source: A local study}", "reliability"),
        ("reliability: 0.75", "reliability"),  # a figure without its source is refused
        ("reliability: {value: 0.75, kind: a guess, source: A local study}", "kind"),
        ("reliability: {value: 0.75, kind: test-retest}", "source"),
        ("caseness: {value: 9, source: A local study}", "caseness must lie on the scale"),
        ("reference_sd: {value: 0, source: A local study}", "reference_sd must be above 0"),
        ("step: 0.5", None),
        ("step: 0.3", "whole number of steps"),
    ],
)
def test_malformed_instruments_are_reported_with_the_file(tmp_path, change, message):
    text = THIRD.replace("scale_max: 4", "scale_max: 5").replace(
        "{min: 2, max: 4, label: Coping}", "{min: 2, max: 5, label: Coping}"
    )
    key, _ = change.split(": ", 1)
    lines = [change if line.startswith(f"{key}:") else line for line in text.splitlines()]
    if change not in lines:  # a field the file does not have yet
        lines.insert(1, change)
    (tmp_path / "local.yaml").write_text("\n".join(lines))
    if message is None:
        assert "local-wellbeing" in load_instruments(tmp_path)
        return
    with pytest.raises(InstrumentError) as raised:
        load_instruments(tmp_path)
    assert str(raised.value).startswith("local.yaml:")
    assert message in str(raised.value)


def test_descriptions_must_match_the_bands(tmp_path):
    (tmp_path / "local.yaml").write_text(
        THIRD.replace('["Low most days.", "Mostly bright."]', '["Low most days."]')
    )
    with pytest.raises(InstrumentError, match="'mood' has 1 descriptions; it needs one per band"):
        load_instruments(tmp_path)


def test_unknown_instrument_lists_the_known_ones():
    with pytest.raises(InstrumentError, match="known: family-outcomes-10, taf-dtt"):
        get_instrument("nope", SHIPPED)


def test_a_third_instrument_dropped_into_the_folder_works_end_to_end(
    tmp_path: Path, monkeypatch, engine, capsys
):
    folder = tmp_path / "instruments"
    shutil.copytree(SHIPPED, folder)
    (folder / "local-wellbeing.yaml").write_text(THIRD)
    monkeypatch.setenv("TRACKER_INSTRUMENTS_DIR", str(folder))

    rows = []
    # Five families; each improves sleep by 1.5 and mood by 0.5 (higher is better).
    for ref in ["F1", "F2", "F3", "F4", "F5"]:
        rows += [
            [ref, "local-wellbeing", "baseline", "2025-02-01", "worker", "sleep", "1"],
            [ref, "local-wellbeing", "baseline", "2025-02-01", "worker", "mood", "2"],
            [ref, "local-wellbeing", "review", "2025-04-01", "worker", "sleep", "2.5"],
            [ref, "local-wellbeing", "review", "2025-04-01", "worker", "mood", "2.5"],
        ]
    families = [
        [ref, "Northfield", "tier 2", "Ann", "School", "2025-01-06"]
        for ref in ["F1", "F2", "F3", "F4", "F5"]
    ]
    families_file(tmp_path, families)
    write_csv(tmp_path / "scores.csv", SCORE_HEADER, rows)
    assert main(["import", str(tmp_path / "families.csv"), str(tmp_path / "scores.csv")]) == 0
    capsys.readouterr()

    assert main(["cohort", "--instrument", "local-wellbeing", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["families"] == 5
    by_domain = {row["domain"]: row for row in figures["domains"]}
    assert by_domain["sleep"]["mean_change"] == pytest.approx(1.5)
    assert by_domain["mood"]["mean_change"] == pytest.approx(0.5)
    assert figures["overall"]["mean_change"] == pytest.approx(1.0)
    assert figures["overall"]["improved"] == 5

    off_step = write_csv(
        tmp_path / "bad.csv",
        SCORE_HEADER,
        [["F1", "local-wellbeing", "review", "2025-05-01", "worker", "mood", "2.25"]],
    )
    assert main(["import", str(off_step)]) == 1
    assert "not a whole step of 0.5 on local-wellbeing" in capsys.readouterr().err
