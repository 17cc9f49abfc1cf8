"""One family's journey on one instrument: timeline, change table, overall, views, progress.

Frames are built in code from a few rows; expected values are worked out by hand in the
comments. On taf-dtt lower is better (1 = no need, 5 = critical); on the star higher is.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from tracker.instruments.loader import get_instrument
from tracker.measures.journey import (
    SAME_MOMENT_DAYS,
    build_journey,
    compared_days,
    overall_over_time,
    progress,
    timeline,
    views_differ,
)

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better, midpoint 3
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better, midpoint 5.5

SCORE_COLUMNS = ["assessment_id", "occasion", "assessed_on", "rater", "domain", "value", "note"]


def scores_frame(rows) -> pd.DataFrame:
    """A family_scores()-shaped frame from ``(id, occasion, "YYYY-MM-DD", rater, {domain:
    value})`` rows. A value of None is a row for an area that was not scored."""
    records = [
        (assessment_id, occasion, date.fromisoformat(day), rater, domain, value, None)
        for assessment_id, occasion, day, rater, values in rows
        for domain, value in values.items()
    ]
    return pd.DataFrame(records, columns=SCORE_COLUMNS)


def missing(value) -> bool:
    return value is None or pd.isna(value)


# A TAF family: worker baseline, worker review, then a joint review on the same day as
# the family's own ratings (which the default view leaves out).
TAF_FAMILY = [
    (1, "baseline", "2025-02-01", "worker",
     {"housing": 4, "income_employment_finance": 3, "general_health": 3,
      "physical_development": 5, "aspirations": None}),
    (2, "review", "2025-03-01", "worker",
     {"housing": 3, "income_employment_finance": 3, "general_health": 4}),
    (3, "review", "2025-05-01", "joint",
     {"housing": 2, "income_employment_finance": 3, "general_health": 4, "aspirations": 2}),
    (4, "review", "2025-05-01", "family", {"housing": 5, "general_health": 1}),
]  # fmt: skip


# --------------------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------------------


def test_timeline_is_one_row_per_assessment_in_date_order_with_numbered_reviews():
    scores = scores_frame(
        [
            (4, "closure", "2025-08-01", "worker", {"housing": 2, "general_health": 2}),
            (2, "review", "2025-04-01", "worker", {"housing": 3, "general_health": 3}),
            (1, "baseline", "2025-02-01", "worker", {"housing": 4, "general_health": 3}),
            (3, "review", "2025-06-01", "worker", {"housing": 3, "general_health": 2}),
        ]
    )
    steps = timeline(scores)
    assert list(steps["assessment_id"]) == [1, 2, 3, 4]
    assert list(steps["label"]) == ["Baseline", "Review 1", "Review 2", "Closure"]
    assert list(steps["assessed_on"]) == [
        date(2025, 2, 1),
        date(2025, 4, 1),
        date(2025, 6, 1),
        date(2025, 8, 1),
    ]


def test_timeline_keeps_the_joint_rating_when_worker_and_joint_share_a_day():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker", {"housing": 4}),
            (2, "review", "2025-05-01", "worker", {"housing": 3}),
            (3, "review", "2025-05-01", "joint", {"housing": 2}),
            (4, "review", "2025-07-01", "worker", {"housing": 2}),
        ]
    )
    steps = timeline(scores)
    assert list(steps["assessment_id"]) == [1, 3, 4]
    assert list(steps["rater"]) == ["worker", "joint", "worker"]
    # The dropped worker review is not counted: the 1 Jul review is Review 2.
    assert list(steps["label"]) == ["Baseline", "Review 1", "Review 2"]


def test_timeline_leaves_out_the_family_ratings_unless_asked_for():
    scores = scores_frame(TAF_FAMILY)
    assert list(timeline(scores)["assessment_id"]) == [1, 2, 3]

    family_only = timeline(scores, raters=("family",))
    assert list(family_only["assessment_id"]) == [4]
    assert list(family_only["rater"]) == ["family"]
    # The family's first rating is a review occasion, so it is labelled as one.
    assert list(family_only["label"]) == ["Review 1"]


def test_timeline_names_a_follow_up():
    scores = scores_frame(
        [
            (1, "baseline", "2025-01-10", "joint", {"wellbeing": 3}),
            (2, "closure", "2025-06-10", "joint", {"wellbeing": 6}),
            (3, "follow-up", "2025-12-10", "joint", {"wellbeing": 7}),
        ]
    )
    assert list(timeline(scores)["label"]) == ["Baseline", "Closure", "Follow-up"]


# --------------------------------------------------------------------------------------
# build_journey: the change table
# --------------------------------------------------------------------------------------


def test_table_has_one_row_per_area_with_plain_labels():
    table = build_journey(scores_frame(TAF_FAMILY), TAF).table
    assert len(table) == 22
    assert table.index[0] == "housing"
    assert table.index[-1] == "drug_alcohol_use"
    assert list(table.index) == list(TAF.domain_keys)
    assert table.loc["housing", "Area"] == "Housing"
    assert table.loc["general_health", "Area"] == "General health"


def test_one_column_per_assessment_named_by_label_and_date():
    journey = build_journey(scores_frame(TAF_FAMILY), TAF)
    table = journey.table
    assert list(table.columns) == [
        "Area",
        "Baseline (01 Feb 2025)",
        "Review 1 (01 Mar 2025)",
        "Review 2 (01 May 2025)",
        "Change",
        "Direction",
    ]
    assert list(table.loc["housing", table.columns[1:4]]) == [4, 3, 2]
    # Not scored, or no row at all, is shown as missing.
    assert missing(table.loc["aspirations", "Baseline (01 Feb 2025)"])
    assert missing(table.loc["physical_development", "Review 2 (01 May 2025)"])


def test_change_on_a_need_scale_is_baseline_minus_latest_so_positive_is_better():
    journey = build_journey(scores_frame(TAF_FAMILY), TAF)
    assert journey.baseline_id == 1
    assert journey.latest_id == 3  # the joint review, not the same-day family one
    table = journey.table
    # housing 4 -> 2: need went down by 2, which is better.
    assert table.loc["housing", "Change"] == 2
    assert table.loc["housing", "Direction"] == "▲ better"
    # general health 3 -> 4: more need, worse.
    assert table.loc["general_health", "Change"] == -1
    assert table.loc["general_health", "Direction"] == "▼ worse"
    # income 3 -> 3.
    assert table.loc["income_employment_finance", "Change"] == 0
    assert table.loc["income_employment_finance", "Direction"] == "● same"


def test_change_compares_the_baseline_with_the_latest_not_the_previous_review():
    journey = build_journey(scores_frame(TAF_FAMILY), TAF)
    # housing: baseline 4, review 1 is 3, review 2 is 2 -> 4 - 2 = 2, not 3 - 2 = 1.
    assert journey.table.loc["housing", "Change"] == 2


def test_a_re_referral_starts_a_new_journey_and_the_change_is_the_current_one():
    # Housing 4 -> 2, then a new baseline of 5 on re-referral, then 3 at its review.
    # The old rule scored the first baseline against the newest assessment (4 - 3 = +1;
    # before that review, 4 - 5 = -1). The page shows the current journey: 5 - 3 = +2.
    rows = [
        (1, "baseline", "2024-01-10", "worker", {"housing": 4}),
        (2, "review", "2024-04-10", "worker", {"housing": 2}),
        (3, "baseline", "2024-09-01", "worker", {"housing": 5}),
        (4, "review", "2024-12-01", "worker", {"housing": 3}),
    ]
    journey = build_journey(scores_frame(rows), TAF)
    assert (journey.baseline_id, journey.latest_id) == (3, 4)
    assert journey.table.loc["housing", "Change"] == 2
    # Before the new journey's first review it is awaiting review: no change at all.
    waiting = build_journey(scores_frame(rows[:3]), TAF)
    assert (waiting.baseline_id, waiting.latest_id) == (3, None)
    assert missing(waiting.table.loc["housing", "Change"])


def test_change_is_missing_and_direction_blank_when_an_area_is_not_paired():
    table = build_journey(scores_frame(TAF_FAMILY), TAF).table
    # physical development: scored at baseline only; aspirations: at the latest only;
    # drug or alcohol use: nobody scored it at all.
    for key in ("physical_development", "aspirations", "drug_alcohol_use"):
        assert missing(table.loc[key, "Change"]), key
        assert table.loc[key, "Direction"] == "", key


def test_direction_is_words_and_arrows_not_only_colour():
    table = build_journey(scores_frame(TAF_FAMILY), TAF).table
    shown = {text for text in table["Direction"] if text}
    assert shown == {"▲ better", "▼ worse", "● same"}


def test_need_scale_has_no_stage_now_column():
    assert "Stage now" not in build_journey(scores_frame(TAF_FAMILY), TAF).table.columns


def test_star_change_is_latest_minus_baseline_with_the_stage_now():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker",
             {"wellbeing": 3, "home_money": 8, "physical_health": 9}),
            (2, "review", "2025-06-01", "worker",
             {"wellbeing": 7, "home_money": 6, "physical_health": 9}),
        ]
    )  # fmt: skip
    journey = build_journey(scores, STAR)
    table = journey.table
    assert journey.latest_id == 2
    assert table.loc["wellbeing", "Change"] == 4
    assert table.loc["wellbeing", "Direction"] == "▲ better"
    assert table.loc["home_money", "Change"] == -2
    assert table.loc["home_money", "Direction"] == "▼ worse"
    assert table.loc["physical_health", "Change"] == 0
    # Stage now is the band of the latest score: 7 -> 7-8, 6 -> 5-6, 9 -> 9-10.
    assert table.loc["wellbeing", "Stage now"] == "Finding what works"
    assert table.loc["home_money", "Stage now"] == "Trying things"
    assert table.loc["physical_health", "Stage now"] == "Managing well"
    band_labels = {band.label for band in STAR.bands}
    assert table.loc["family_routine", "Stage now"] not in band_labels  # not scored


def test_awaiting_review_has_a_baseline_but_no_latest_and_no_change():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker", {"housing": 4, "general_health": 2}),
            # The family's own later rating does not make this a reviewed journey.
            (2, "review", "2025-05-01", "family", {"housing": 2, "general_health": 2}),
        ]
    )
    journey = build_journey(scores, TAF)
    assert journey.baseline_id == 1
    assert journey.latest_id is None
    table = journey.table
    assert [c for c in table.columns if "(" in c] == ["Baseline (01 Feb 2025)"]
    assert table.loc["housing", "Baseline (01 Feb 2025)"] == 4
    assert all(missing(value) for value in table["Change"])
    assert set(table["Direction"]) == {""}


# --------------------------------------------------------------------------------------
# overall_over_time
# --------------------------------------------------------------------------------------


def test_overall_is_the_mean_of_the_scored_areas_at_each_assessment():
    scores = scores_frame(
        [
            # (4 + 2) / 2 = 3.0 over 2 scored areas; the unscored one is left out.
            (1, "baseline", "2025-02-01", "worker",
             {"housing": 4, "general_health": 2, "aspirations": None}),
            # (2 + 2 + 2) / 3 = 2.0 over 3 areas.
            (2, "review", "2025-05-01", "worker",
             {"housing": 2, "general_health": 2, "aspirations": 2}),
            # The family's own same-day view is not in the timeline.
            (3, "review", "2025-05-01", "family",
             {"housing": 5, "general_health": 5, "aspirations": 5}),
        ]
    )  # fmt: skip
    overall = overall_over_time(scores, timeline(scores))
    assert list(overall["assessment_id"]) == [1, 2]
    assert list(overall["overall"]) == [3.0, 2.0]
    assert list(overall["domains_scored"]) == [2, 3]
    assert list(overall["label"]) == ["Baseline", "Review 1"]


def test_overall_uses_the_joint_assessment_that_won_the_day():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker", {"wellbeing": 2, "home_money": 4}),
            (2, "review", "2025-05-01", "worker", {"wellbeing": 9, "home_money": 9}),
            # (5 + 6) / 2 = 5.5
            (3, "review", "2025-05-01", "joint", {"wellbeing": 5, "home_money": 6}),
        ]
    )
    overall = overall_over_time(scores, timeline(scores))
    assert list(overall["assessment_id"]) == [1, 3]
    assert list(overall["overall"]) == [3.0, 5.5]


# --------------------------------------------------------------------------------------
# views_differ
# --------------------------------------------------------------------------------------


def test_views_differ_by_two_or_more_on_the_same_day():
    scores = scores_frame(
        [
            (1, "review", "2025-03-01", "worker",
             {"housing": 4, "general_health": 3, "income_employment_finance": 1,
              "aspirations": 2}),
            (2, "review", "2025-03-01", "family",
             {"housing": 2, "general_health": 2, "income_employment_finance": 4,
              "drug_alcohol_use": 5}),
        ]
    )  # fmt: skip
    # housing 4 vs 2: exactly 2 -> differs; income 1 vs 4 -> differs;
    # general health 3 vs 2 -> only 1 apart; aspirations and drug use were scored by one side.
    assert views_differ(scores) == {
        "housing": (4, 2),
        "income_employment_finance": (1, 4),
    }


def test_views_differ_uses_the_latest_shared_day_only():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker", {"housing": 5}),
            (2, "baseline", "2025-02-01", "family", {"housing": 1}),
            (3, "review", "2025-05-01", "worker", {"housing": 3}),
            (4, "review", "2025-05-01", "family", {"housing": 3}),
            # The worker alone later on: no family view that day to compare with.
            (5, "review", "2025-07-01", "worker", {"housing": 1}),
        ]
    )
    # 1 Feb differed by 4, but on 1 May, the latest shared day, they agree.
    assert views_differ(scores) == {}


def test_views_differ_compares_with_the_joint_rating_when_there_is_one():
    scores = scores_frame(
        [
            (1, "review", "2025-05-01", "worker", {"wellbeing": 9, "home_money": 2}),
            (2, "review", "2025-05-01", "joint", {"wellbeing": 4, "home_money": 8}),
            (3, "review", "2025-05-01", "family", {"wellbeing": 4, "home_money": 5}),
        ]
    )
    # Against the joint view: wellbeing 4 vs 4 agree; home and money 8 vs 5 differ by 3.
    assert views_differ(scores) == {"home_money": (8, 5)}


def test_views_differ_is_empty_when_the_views_are_more_than_two_weeks_apart():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker", {"housing": 5}),
            (2, "baseline", "2025-02-16", "family", {"housing": 1}),
        ]
    )
    assert SAME_MOMENT_DAYS == 14
    assert compared_days(scores) is None  # 15 days apart
    assert views_differ(scores) == {}


def test_views_differ_pairs_a_family_rating_sent_days_later_with_the_closest_worker_one():
    scores = scores_frame(
        [
            (1, "baseline", "2025-01-10", "worker", {"housing": 5, "health": 2}),
            (2, "review", "2025-04-01", "worker", {"housing": 4, "health": 2}),
            # Sent from the family's phone four days after the review; 14 days is the limit.
            (3, "review", "2025-04-05", "family", {"housing": 2, "health": 3}),
            (4, "review", "2025-04-19", "worker", {"housing": 1, "health": 1}),
        ]
    )
    # 1 Apr is 4 days before, 19 Apr 14 days after: the closer one, 1 Apr, is compared.
    assert compared_days(scores) == (date(2025, 4, 5), date(2025, 4, 1))
    assert views_differ(scores) == {"housing": (4, 2)}


def test_views_differ_takes_the_earlier_worker_rating_when_two_are_as_close():
    scores = scores_frame(
        [
            (1, "review", "2025-04-01", "worker", {"housing": 4}),
            (2, "review", "2025-04-03", "family", {"housing": 2}),
            (3, "review", "2025-04-05", "worker", {"housing": 2}),
        ]
    )
    assert compared_days(scores) == (date(2025, 4, 3), date(2025, 4, 1))
    assert views_differ(scores) == {"housing": (4, 2)}


# --------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------


def test_progress_on_a_need_scale():
    journey = build_journey(scores_frame(TAF_FAMILY), TAF)
    result = progress(journey, TAF)
    assert result.better == ["Housing"]  # 4 -> 2
    assert result.harder == ["General health"]  # 3 -> 4
    # Latest (joint) scores: housing 2 and aspirations 2 are fine; income 3 (the
    # midpoint: still a need) did not move; general health 4 is already under "harder";
    # physical development has no latest score.
    assert result.still_working_on == ["Income, employment and finance"]


def test_progress_on_a_star_uses_the_lower_half_of_the_scale():
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "joint",
             {"wellbeing": 2, "physical_health": 9, "home_money": 4, "family_routine": 5}),
            (2, "review", "2025-06-01", "joint",
             {"wellbeing": 5, "physical_health": 6, "home_money": 4, "family_routine": 8}),
        ]
    )  # fmt: skip
    result = progress(build_journey(scores, STAR), STAR)
    assert result.better == ["Parent's own well-being", "Daily routines"]
    assert result.harder == ["Health and physical care"]
    # Midpoint 5.5: home and money stayed at 4, below it. Well-being (5) is below it too,
    # but it moved up from 2, so it is listed under "better" only.
    assert result.still_working_on == ["Home and money"]


def test_no_area_is_listed_both_as_better_and_as_still_working_on():
    """A worked example of the rule: each area goes in one list at most.

    Need scale, midpoint 3. Housing 5 -> 4 got better yet is still a significant need;
    income 4 -> 5 got harder; general health stayed at 4; aspirations stayed at 1.
    Housing goes under "better", income under "harder", general health under "still
    working on", and aspirations (no need) nowhere.
    """
    scores = scores_frame(
        [
            (1, "baseline", "2025-02-01", "worker",
             {"housing": 5, "income_employment_finance": 4, "general_health": 4,
              "aspirations": 1}),
            (2, "review", "2025-05-01", "worker",
             {"housing": 4, "income_employment_finance": 5, "general_health": 4,
              "aspirations": 1}),
        ]
    )  # fmt: skip
    result = progress(build_journey(scores, TAF), TAF)
    assert result.better == ["Housing"]
    assert result.harder == ["Income, employment and finance"]
    assert result.still_working_on == ["General health"]
    lists = [result.better, result.harder, result.still_working_on]
    listed = [label for names in lists for label in names]
    assert len(listed) == len(set(listed))


def test_progress_while_awaiting_review_lists_only_what_needs_work_now():
    scores = scores_frame(
        [(1, "baseline", "2025-02-01", "worker", {"housing": 4, "general_health": 2})]
    )
    result = progress(build_journey(scores, TAF), TAF)
    assert result.better == []
    assert result.harder == []
    assert result.still_working_on == ["Housing"]
