"""The command line contracts: init, import, cohort --json, export, generate."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.unit.helpers import SCORE_HEADER, families_file, scores_file, snapshot, write_csv
from tracker.cli import main
from tracker.files.exporting import write_canonical_csvs
from tracker.files.sample import SampleSpec, generate
from tracker.store import migrate
from tracker.store.db import make_engine
from tracker.store.journeys import Journey

ROOT = Path(__file__).resolve().parents[2]
COHORT_KEYS = {"instrument", "families", "with_review", "awaiting_review", "overall", "domains"}
OVERALL_KEYS = {
    "n",
    "mean_baseline",
    "mean_latest",
    "mean_change",
    "improved",
    "same",
    "worse",
    "standardised_response_mean",
    "standardised_response_mean_ci_low",
    "standardised_response_mean_ci_high",
    "net_improvement",
    "net_improvement_ci_low",
    "net_improvement_ci_high",
    "net_improvement_method",
    "wilcoxon_p",
    "reliable_improvement",
    "reliable_deterioration",
    "no_reliable_change",
}
DOMAIN_KEYS = {
    "domain",
    "n",
    "mean_baseline",
    "mean_latest",
    "mean_change",
    "improved",
    "same",
    "worse",
    "pct_improved",
    "sign_test_p",
    "p_holm",
}


def run_json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "exactly one JSON object on one line"
    return json.loads(out)


def test_init_migrates_to_head_and_loads_the_sample_once(database_url, capsys):
    assert main(["init", "--sample"]) == 0
    first = capsys.readouterr().out
    assert "Imported families: 120 new" in first
    engine = make_engine(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    before = snapshot(engine)
    assert main(["init", "--sample"]) == 0
    assert "already has families" in capsys.readouterr().out
    assert snapshot(engine) == before


def test_cohort_json_has_the_contract_keys(sample_engine, capsys):
    figures = run_json(capsys, ["cohort", "--instrument", "taf-dtt", "--json"])
    assert set(figures) >= COHORT_KEYS
    assert set(figures["overall"]) >= OVERALL_KEYS
    assert len(figures["domains"]) == 22
    assert all(set(row) >= DOMAIN_KEYS for row in figures["domains"])
    assert figures["families"] == figures["with_review"] + figures["awaiting_review"]
    assert figures["overall"]["n"] <= figures["with_review"]


def test_cohort_filters_narrow_the_cohort(sample_engine, capsys):
    everyone = run_json(capsys, ["cohort", "--instrument", "taf-dtt", "--json", "--min-group", "0"])
    north = run_json(
        capsys,
        ["cohort", "--instrument", "taf-dtt", "--json", "--min-group", "0", "--area", "Northfield"],
    )
    assert 0 < north["families"] < everyone["families"]
    family_view = run_json(
        capsys,
        ["cohort", "--instrument", "taf-dtt", "--json", "--min-group", "0", "--rater", "family"],
    )
    assert family_view["families"] < everyone["families"]
    window = run_json(
        capsys,
        ["cohort", "--instrument", "taf-dtt", "--json", "--min-group", "0", "--from", "2099-01-01"],
    )
    assert window["families"] == 0


def test_cohort_suppresses_small_groups(sample_engine, capsys):
    figures = run_json(
        capsys, ["cohort", "--instrument", "taf-dtt", "--json", "--min-group", "100000"]
    )
    assert figures["families"] is None
    assert all(value is None for value in figures["overall"].values())
    assert all(row["n"] is None and row["mean_change"] is None for row in figures["domains"])


STAMP_KEYS = {"audience", "method", "min_group", "filters", "baseline_rule", "made_on"}


def test_cohort_json_is_stamped_with_its_audience(sample_engine, capsys):
    service = run_json(capsys, ["cohort", "--instrument", "taf-dtt", "--json"])
    assert set(service) >= STAMP_KEYS
    assert service["audience"] == "service"
    assert service["made_on"] == date.today().isoformat()
    published = run_json(
        capsys, ["cohort", "--instrument", "taf-dtt", "--json", "--audience", "published"]
    )
    assert set(published) >= STAMP_KEYS | COHORT_KEYS
    assert published["audience"] == "published"
    assert "rounded to the nearest 5" in published["method"]
    assert published["baseline_rule"].startswith("first journey")
    counts = [published[key] for key in ("families", "with_review", "awaiting_review")]
    counts += [row["n"] for row in published["domains"]]
    assert all(count == "*" or count % 5 == 0 for count in counts)
    assert published["families"] != service["families"] or service["families"] % 5 == 0
    assert published["overall"]["wilcoxon_p"] in {"< 0.001", "< 0.01", "< 0.05", "0.05 or more"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--min-group", "2"], "minimum group of at least 3"),
        (["--from", "2025-01-02"], "must be the 1st of a month"),
        (["--to", "2025-02-27"], "must be the last day of a month"),
    ],
)
def test_published_cohort_refuses_what_cannot_protect_families(
    sample_engine, capsys, options, message
):
    argv = ["cohort", "--instrument", "taf-dtt", "--audience", "published", *options]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert main(["cohort", "--instrument", "taf-dtt", *options]) == 0  # service: as before


def test_published_cohort_text_is_stamped(sample_engine, capsys):
    argv = ["cohort", "--instrument", "taf-dtt", "--audience", "published", "--to", "2026-06-30"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Audience: published" in out
    assert "Whose ratings: Worker and joint." in out
    assert "Baselines: up to 30 Jun 2026." in out
    assert "Filters: none (every family)." in out
    assert f"Made on {date.today():%d %b %Y}." in out


def test_cohort_text_output_and_unknown_instrument(sample_engine, capsys):
    assert main(["cohort", "--instrument", "family-outcomes-10"]) == 0
    assert "Reliable change" in capsys.readouterr().out
    assert main(["cohort", "--instrument", "nope", "--json"]) == 2
    assert "unknown instrument 'nope'" in capsys.readouterr().err


def test_import_reports_problems_and_exits_non_zero(engine, tmp_path, capsys):
    families_file(tmp_path)
    bad = write_csv(
        tmp_path / "scores.csv",
        SCORE_HEADER,
        [["F1", "taf-dtt", "B", "2025-02-01", "worker", "housing", "x"]],
    )
    assert main(["import", str(tmp_path / "families.csv"), str(bad)]) == 1
    err = capsys.readouterr().err
    assert "scores.csv:2: score: 'x' is not a number" in err
    assert "Nothing was written" in err
    assert snapshot(engine)["families"] == []


def test_import_then_reimport_says_nothing_changed(engine, tmp_path, capsys):
    files = [str(families_file(tmp_path)), str(scores_file(tmp_path))]
    assert main(["import", *files]) == 0
    said = capsys.readouterr()
    assert "Imported scores: 5 new" in said.out
    # A long import shows it is alive, on standard error, one line per stage and tenth.
    progress = said.err.splitlines()
    assert progress[0].startswith("Reading and checking: ") and progress[-1] == "Done: 100%"
    assert len(progress) == len(set(progress))
    assert main(["import", *files]) == 0
    assert "Nothing changed" in capsys.readouterr().out


def test_import_dry_run_and_replace_flags(engine, tmp_path, capsys):
    files = [str(families_file(tmp_path)), str(scores_file(tmp_path))]
    assert main(["import", "--dry-run", *files]) == 0
    assert "Dry run: nothing was written." in capsys.readouterr().out
    assert snapshot(engine)["scores"] == []
    assert main(["import", *files]) == 0
    change = write_csv(
        tmp_path / "change.csv",
        SCORE_HEADER,
        [["F1", "taf-dtt", "R1", "2025-03-01", "worker", "housing", "1"]],
    )
    assert main(["import", str(change)]) == 1
    assert "use replace to overwrite" in capsys.readouterr().err
    assert main(["import", "--replace", str(change)]) == 0
    assert "1 replaced" in capsys.readouterr().out


def test_import_of_a_missing_file_is_a_usage_error(engine, tmp_path, capsys):
    assert main(["import", str(tmp_path / "nope.csv")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_export_round_trips_exactly(sample_engine, tmp_path, monkeypatch, capsys):
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["export", "--out", str(first)]) == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'copy.db'}")
    assert main(["init"]) == 0
    assert main(["import", *map(str, sorted(first.glob("*.csv")))]) == 0
    assert main(["export", "--out", str(second)]) == 0
    capsys.readouterr()
    names = sorted(path.name for path in first.glob("*.csv"))
    assert names == sorted(path.name for path in second.glob("*.csv"))
    assert len(names) == 9 and "stakeholder_feedback.csv" in names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert snapshot(make_engine()) == snapshot(sample_engine)


def test_generate_writes_importable_files(database_url, tmp_path, capsys):
    out = tmp_path / "gen"
    argv = ["generate", "--families", "30", "--seed", "7", "--as-of", "2026-01-31"]
    assert main([*argv, "--out", str(out)]) == 0
    names = sorted(p.name for p in out.glob("*.csv"))
    assert names == sorted(
        f"{stem}.csv"
        for stem in (
            "key_workers",
            "families",
            "scores",
            "goals",
            "activities",
            "referrals_on",
            "feedback",
            "notes",
            "stakeholder_feedback",
        )
    )
    assert main(["init"]) == 0
    assert main(["import", *(str(out / name) for name in names)]) == 0
    assert "Imported families: 30 new" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command", [[sys.executable, "-m", "tracker"], [str(Path(sys.executable).parent / "tracker")]]
)
def test_module_and_console_script_both_run(command, database_url):
    result = subprocess.run(
        [*command, "cohort", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--instrument" in result.stdout


def test_rebuild_journeys_checks_then_mends_the_journey_table(sample_engine, capsys):
    with sample_engine.connect() as connection:
        kept = connection.execute(sa.select(sa.func.count()).select_from(Journey)).scalar_one()
    assert kept > 120, "the sample's families each have at least one journey"
    assert main(["rebuild-journeys", "--check"]) == 0
    assert "in step" in capsys.readouterr().out
    with sample_engine.begin() as connection:
        lost = connection.execute(
            sa.select(Journey.family_id, Journey.instrument, Journey.raters, Journey.journey)
            .order_by(Journey.family_id, Journey.instrument, Journey.raters, Journey.journey)
            .limit(1)
        ).one()
        connection.execute(
            sa.delete(Journey).where(
                Journey.family_id == lost.family_id,
                Journey.instrument == lost.instrument,
                Journey.raters == lost.raters,
                Journey.journey == lost.journey,
            )
        )
        connection.execute(sa.update(Journey).values(latest_on=date(2001, 1, 1)))
    assert main(["rebuild-journeys", "--check"]) == 1
    captured = capsys.readouterr()
    assert f"{kept:,} journey rows out of step" in captured.err
    with sample_engine.connect() as connection:
        left = connection.execute(sa.select(sa.func.count()).select_from(Journey)).scalar_one()
    assert left == kept - 1, "--check changes nothing"
    assert main(["rebuild-journeys"]) == 0
    assert capsys.readouterr().out == f"Rebuilt the journey table: {kept:,} journey rows.\n"
    assert main(["rebuild-journeys", "--check"]) == 0
    assert "in step" in capsys.readouterr().out


def test_bench_hands_its_arguments_to_the_checkouts_bench(capfd):
    assert main(["bench", "--help"]) == 0
    assert "--families N" in capfd.readouterr().out
    assert main(["bench", "--families", "-1"]) == 2
    assert "--families: must be zero or more" in capfd.readouterr().err


def test_bench_without_a_checkout_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("tracker.cli.bench.PROJECT_ROOT", tmp_path)
    assert main(["bench", "--families", "10"]) == 2
    assert f"there is no bench/ in {tmp_path}" in capsys.readouterr().err


def _expected_families(sample: dict, instrument: str, **attributes) -> int:
    """Families with a worker or joint baseline on the instrument, worked out in pandas."""
    scores = sample["scores"]
    baselines = scores[
        (scores["instrument"] == instrument)
        & (scores["occasion"] == "baseline")
        & scores["rater"].isin(["worker", "joint"])
    ]
    families = sample["families"].merge(
        sample["key_workers"].rename(
            columns={"name": "key_worker", "background": "key_worker_type"}
        ),
        on="key_worker",
    )
    for column, value in attributes.items():
        if column == "status":
            closed = families["closed_on"] != ""
            families = families[closed if value == "closed" else ~closed]
        else:
            families = families[families[column] == value]
    return int(
        baselines["family_ref"]
        .isin(families["family_ref"])
        .groupby(baselines["family_ref"])
        .any()
        .sum()
    )


def test_every_cohort_filter_selects_the_right_families(database_url, tmp_path, capsys):
    spec = SampleSpec(families=120, seed=3, as_of=date.today() - timedelta(days=1))
    sample = generate(spec)
    paths = write_canonical_csvs(sample, tmp_path)
    assert main(["init"]) == 0
    assert main(["import", *map(str, paths)]) == 0
    capsys.readouterr()
    cases = [
        {"area": "Northfield"},
        {"tier_of_need": "tier 3"},
        {"key_worker_type": "health"},
        {"age_group": "0-4"},
        {"referral_source": "School"},
        {"status": "closed"},
        {"status": "open"},
    ]
    option = {
        "area": "--area",
        "tier_of_need": "--tier",
        "key_worker_type": "--key-worker-type",
        "age_group": "--age-group",
        "referral_source": "--referral-source",
        "status": "--status",
    }
    for case in cases:
        ((column, value),) = case.items()
        figures = run_json(
            capsys,
            [
                "cohort",
                "--instrument",
                "taf-dtt",
                "--json",
                "--min-group",
                "0",
                option[column],
                value,
            ],
        )
        assert figures["families"] == _expected_families(sample, "taf-dtt", **case), case
        assert figures["filters"][column] == value
