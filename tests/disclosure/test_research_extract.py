"""The research extract is k-anonymous: no family stands out on what it publishes about them.

The attack (issue 19): on area, tier, age group, disability, referral source, referral month,
closed month and closure reason, 111 of 111 consenting families were unique, so anyone who
knew those few facts about a family found its scores. Here every combination of the columns
the extract publishes about a family must leave each family among at least ``min_group``.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

import pandas as pd
import pytest

from tracker.files.exporting import canonical_frames
from tracker.files.research import pseudonym, research_extract, research_frames
from tracker.files.sample import SampleSpec, generate

KEY = "disclosure-key-7d1f3a9c5e2b8046-c4a6e8f0b2d1973a"
MIN_GROUP = 5
CALENDAR = re.compile(r"\b(19|20)\d\d-(0[1-9]|1[0-2])\b")


def published_about_each_family(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every column of the families table but the pseudonym: all of it may be known."""
    return [column for column in tables["families"].columns if column != "pseudo_id"]


def smallest_class_by_counting(families: pd.DataFrame, columns: list[str]) -> int:
    """The smallest equivalence class, counted by hand rather than by pandas."""
    counts = Counter(tuple(row) for row in families[columns].astype(str).itertuples(index=False))
    return min(counts.values())


@pytest.fixture
def sample_frames(sample_engine) -> dict[str, pd.DataFrame]:
    with sample_engine.connect() as connection:
        return canonical_frames(connection)


@pytest.fixture(scope="module")
def large_frames() -> dict[str, pd.DataFrame]:
    """A generated cohort of 3,000 families, as canonical text frames."""
    return generate(SampleSpec(families=3000, seed=19))


def assert_no_family_stands_out(tables: dict[str, pd.DataFrame]) -> None:
    families = tables["families"]
    assert len(families) >= MIN_GROUP
    columns = published_about_each_family(tables)
    assert smallest_class_by_counting(families, columns) >= MIN_GROUP
    for size in range(1, len(columns) + 1):
        for chosen in combinations(columns, size):
            smallest = families.groupby(list(chosen), dropna=False).size().min()
            assert smallest >= MIN_GROUP, (chosen, smallest)


def assert_no_calendar_dates(tables: dict[str, pd.DataFrame]) -> None:
    """Calendar months in any table pin a family's timing more finely than its class."""
    for name, table in tables.items():
        text = table.to_csv(index=False)
        assert not CALENDAR.search(text), (name, CALENDAR.search(text).group(0))


def band_widths(values: pd.Series) -> set[int | str]:
    """How many months each "low-high" band spans; other labels as they are."""
    widths: set[int | str] = set()
    for value in values.dropna().unique():
        low, dash, high = str(value).partition("-")
        widths.add(int(high) - int(low) + 1 if dash and low.isdigit() else str(value))
    return widths - {"", "24+", "before referral", "other"}


def assert_other_tables_time_no_finer(tables: dict[str, pd.DataFrame]) -> None:
    """Rows in the other tables must not time a family more finely than its class does."""
    families = tables["families"]
    published = band_widths(families["months_to_closure"]) | band_widths(
        families["months_to_re_referral"]
    )
    for name, table in tables.items():
        for column in table.columns.drop("pseudo_id"):
            if column.endswith(("_after", "from_referral")):
                assert band_widths(table[column]) <= published, (name, column)


def test_the_sample_cohort_has_no_family_that_stands_out(sample_frames):
    tables = research_frames(sample_frames, KEY)
    assert_no_family_stands_out(tables)
    assert_no_calendar_dates(tables)
    assert_other_tables_time_no_finer(tables)


def test_a_large_cohort_has_no_family_that_stands_out(large_frames):
    tables = research_frames(large_frames, KEY)
    assert_no_family_stands_out(tables)
    assert_no_calendar_dates(tables)
    assert_other_tables_time_no_finer(tables)


def assert_the_reported_class_is_true(frames: dict[str, pd.DataFrame]) -> None:
    extract = research_extract(frames, KEY, min_group=MIN_GROUP)
    families = extract.tables["families"]
    columns = published_about_each_family(extract.tables)
    assert extract.smallest_class == smallest_class_by_counting(families, columns)
    assert extract.smallest_class >= extract.min_group == MIN_GROUP
    consenting = (frames["families"]["consent_to_share"] == "yes").sum()
    assert len(families) + extract.left_out == consenting
    # Most consenting families stay in: the extract is still worth having.
    assert extract.left_out <= 0.1 * consenting
    readme = extract.readme
    assert f"smallest group: {extract.smallest_class} families" in readme
    assert f"k = {MIN_GROUP}" in readme and f"left out: {extract.left_out}" in readme


def test_the_smallest_class_is_reported_and_true_on_the_sample(sample_frames):
    assert_the_reported_class_is_true(sample_frames)


def test_the_smallest_class_is_reported_and_true_on_a_large_cohort(large_frames):
    assert_the_reported_class_is_true(large_frames)


def test_left_out_families_leave_no_rows_behind(large_frames):
    extract = research_extract(large_frames, KEY, min_group=MIN_GROUP)
    kept = set(extract.tables["families"]["pseudo_id"])
    for name, table in extract.tables.items():
        assert set(table["pseudo_id"]) <= kept, name


def test_free_text_typed_by_few_families_is_not_exported(large_frames):
    frames = {name: frame.copy() for name, frame in large_frames.items()}
    families = frames["families"]
    kept = set(research_frames(frames, KEY)["families"]["pseudo_id"])
    refs = [ref for ref in families["family_ref"] if pseudonym(ref, KEY) in kept]
    few, many = refs[: MIN_GROUP - 1], refs[100 : 100 + 2 * MIN_GROUP]
    typed = families["family_ref"].isin(few)
    families.loc[typed, "referral_source"] = "Mrs Okafor at St Anne's"
    families.loc[typed, "area"] = "Flat 3 Rose Court"
    services = pd.DataFrame(
        {
            "family_ref": few + many,
            "service": ["Dr Hale's private clinic"] * len(few) + ["Family hub"] * len(many),
            "referred_on": "2026-01-05",
        }
    )
    frames["referrals_on"] = pd.concat([frames["referrals_on"], services], ignore_index=True)
    text = " ".join(table.to_csv() for table in research_frames(frames, KEY).values())
    for secret in ("Okafor", "Rose Court", "Dr Hale"):
        assert secret not in text, secret
    # A service enough families were referred on to is shared, so it is shown.
    assert "Family hub" in text


def test_consent_still_excludes_families_and_pseudonyms_are_keyed(sample_frames):
    tables = research_frames(sample_frames, KEY)
    families = sample_frames["families"]
    refused = families.loc[families["consent_to_share"] != "yes", "family_ref"]
    assert len(refused) > 0
    published = set().union(*(set(table["pseudo_id"]) for table in tables.values()))
    assert not published & {pseudonym(ref, KEY) for ref in refused}
    consenting = families.loc[families["consent_to_share"] == "yes", "family_ref"]
    assert set(tables["families"]["pseudo_id"]) <= {pseudonym(ref, KEY) for ref in consenting}
    assert not set(tables["families"]["pseudo_id"]) & {
        pseudonym(ref, KEY[::-1]) for ref in consenting
    }
