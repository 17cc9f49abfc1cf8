"""Cohort figures, checked against hand-worked arithmetic.

All frames are built in code. Every expected figure below is worked out by hand in the
comments; only the Wilcoxon p-values are compared with scipy called directly. Built from
frames, a cohort's yardstick comes from every first baseline in them (see
test_yardstick.py); read from the database, from the whole service's.
"""

from __future__ import annotations

import json
import math
import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.unit.helpers import frames
from tests.unit.small_instruments import cut_down
from tracker.instruments.loader import get_instrument
from tracker.measures.cohort import (
    CohortFilter,
    breakdown,
    build_cohort,
    caveats,
    change_by_month,
    cohort_figures,
    figures,
    load_cohort,
    mean_interval,
    scatter_points,
    transitions,
    wilcoxon_p,
)
from tracker.measures.yardstick import service_yardstick

TAF = get_instrument("taf-dtt")  # need scale 1-5, lower is better, 22 areas
STAR = get_instrument("family-outcomes-10")  # star 1-10, higher is better, 10 areas
TWO = cut_down("taf-dtt", 2)  # housing and income only: one paired area is half
ONE = cut_down("taf-dtt", 1)  # housing only

H = "housing"
I = "income_employment_finance"  # noqa: E741
M = "mental_health_wellbeing"
FIGURE_KEYS = (
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
)


def domain(figures: dict, key: str) -> dict:
    (found,) = [item for item in figures["domains"] if item["domain"] == key]
    return found


def scipy_p(changes) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(changes).pvalue)


# --------------------------------------------------------------------------------------
# The hand-worked cohort (taf-dtt: change = baseline - latest, positive = less need)
#
# Only housing (H), income (I) and mental health (M) are ever scored; the other 19
# domains have no score rows. All ratings are worker or joint (the default view).
#
# fam baseline (date, scores)     latest used (date, scores)      paired changes
#  1  10 Jan  H5 I5               10 Apr  H3 I4                   H +2, I +1
#  2  15 Jan  H3 I3 M1 (joint)    15 Apr  H4 I5 M=None            H -1, I -2  (M unpaired)
#  3   1 Feb  H4 I4 M4            1 Jun closure H3 I3 M3          H +1, I +1, M +1
#                                 (1 Mar review H2 I2 M2 is NOT the latest)
#  4  10 Feb  H4 M4               10 May  H5 M3 I2                H -1, M +1  (I unpaired:
#                                                                  no baseline row)
#  5   1 Mar  H2 I4               1 Jun   H2 I3                   H  0, I +1
#  6  15 Mar  H5 M5               15 Jun  H4 M3                   H +1, M +2
#  7   1 Apr  H3 I3               (none)                          awaiting review
#  8  (no baseline: a review only, 1 Feb)                         not in the cohort
#
# Family overall scores (mean over that family's paired domains only):
#  fam  baseline          latest            change
#   1   (5+5)/2 = 5.0     (3+4)/2 = 3.5     +1.5
#   2   (3+3)/2 = 3.0     (4+5)/2 = 4.5     -1.5   (M=1 left out: else 7/3)
#   3   (4+4+4)/3 = 4.0   (3+3+3)/3 = 3.0   +1.0
#   4   (4+4)/2 = 4.0     (5+3)/2 = 4.0      0.0
#   5   (2+4)/2 = 3.0     (2+3)/2 = 2.5     +0.5
#   6   (5+5)/2 = 5.0     (4+3)/2 = 3.5     +1.5
#
# Overall, n = 6:
#   mean_baseline = (5+3+4+4+3+5)/6 = 24/6 = 4.0
#   mean_latest   = (3.5+4.5+3+4+2.5+3.5)/6 = 21/6 = 3.5
#   mean_change   = (1.5-1.5+1+0+0.5+1.5)/6 = 3/6 = 0.5
#   improved 4 (fams 1,3,5,6), same 1 (fam 4), worse 1 (fam 2); pct = 4/6*100 = 66.667
#   SD(change), ddof=1: deviations from 0.5 are 1, -2, 0.5, -0.5, 0, 1;
#     squares 1 + 4 + 0.25 + 0.25 + 0 + 1 = 6.5; var = 6.5/5 = 1.3; SD = sqrt(1.3) = 1.140175
#   standardised response mean = 0.5 / sqrt(1.3) = 0.438529
#   Reliable change: on taf-dtt a family needs 11 of the 22 areas paired to be classified;
#   nobody here has more than 3, so all 6 are not classifiable (see the TWO cohort below).
#
# Per domain (raw scale means; change oriented):
#   H: fams 1-6, n=6. baseline 5,3,4,4,2,5 = 23 -> 23/6 = 3.833333
#                     latest   3,4,3,5,2,4 = 21 -> 21/6 = 3.5
#                     changes +2,-1,+1,-1,0,+1 = 2 -> 2/6 = 0.333333
#                     improved 3, same 1, worse 2, pct 3/6 = 50
#   I: fams 1,2,3,5, n=4. baseline 5,3,4,4 = 16 -> 4.0; latest 4,5,3,3 = 15 -> 3.75
#                     changes +1,-2,+1,+1 = 1 -> 0.25; improved 3, same 0, worse 1, pct 75
#   M: fams 3,4,6, n=3. baseline 4,4,5 = 13 -> 4.333333; latest 3,3,3 -> 3.0
#                     changes +1,+1,+2 = 4 -> 1.333333; improved 3, same 0, worse 0, pct 100
#
# Counts: families 7 (fams 1-7), with_review 6, awaiting_review 1.
# --------------------------------------------------------------------------------------

COHORT_ROWS = [
    (101, 1, "baseline", "2024-01-10", "worker", {H: 5, I: 5}),
    (102, 1, "review", "2024-04-10", "worker", {H: 3, I: 4}),
    (201, 2, "baseline", "2024-01-15", "joint", {H: 3, I: 3, M: 1}),
    (202, 2, "review", "2024-04-15", "worker", {H: 4, I: 5, M: None}),
    (301, 3, "baseline", "2024-02-01", "worker", {H: 4, I: 4, M: 4}),
    (302, 3, "review", "2024-03-01", "worker", {H: 2, I: 2, M: 2}),
    (303, 3, "closure", "2024-06-01", "joint", {H: 3, I: 3, M: 3}),
    (401, 4, "baseline", "2024-02-10", "worker", {H: 4, M: 4}),
    (402, 4, "review", "2024-05-10", "worker", {H: 5, M: 3, I: 2}),
    (501, 5, "baseline", "2024-03-01", "worker", {H: 2, I: 4}),
    (502, 5, "review", "2024-06-01", "worker", {H: 2, I: 3}),
    (601, 6, "baseline", "2024-03-15", "joint", {H: 5, M: 5}),
    (602, 6, "review", "2024-06-15", "joint", {H: 4, M: 3}),
    (701, 7, "baseline", "2024-04-01", "worker", {H: 3, I: 3}),
    (801, 8, "review", "2024-02-01", "worker", {H: 1, I: 1}),
]

# The yardstick, from the 7 first baselines' overall scores (every scored area):
#   fam 1 (5+5)/2 = 5, fam 2 (3+3+1)/3 = 7/3, fams 3 and 4: 4, fam 5 3, fam 6 5, fam 7 3.
#   In thirds 15, 7, 12, 12, 9, 15, 9: sum 79/3, sum of squares 949/9;
#   SS = 949/9 - (79/3)^2/7 = 402/63; var = 402/63/6 = 67/63; SD = sqrt(67/63) = 1.031257.
#   Fewer than 30 families scored all 22 areas, so reliability is the default 0.70.
REFERENCE_SD = math.sqrt(67 / 63)


@pytest.fixture
def cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    return frames(COHORT_ROWS)


def test_hand_worked_counts(cohort):
    result = figures(build_cohort(*cohort, TAF), min_group=1)
    assert result["instrument"] == "taf-dtt"
    assert result["min_group"] == 1
    assert result["families"] == 7
    assert result["with_review"] == 6
    assert result["awaiting_review"] == 1


def test_hand_worked_overall_figures(cohort):
    overall = figures(build_cohort(*cohort, TAF), min_group=1)["overall"]
    assert overall["n"] == 6
    assert overall["mean_baseline"] == pytest.approx(4.0)
    assert overall["mean_latest"] == pytest.approx(3.5)
    assert overall["mean_change"] == pytest.approx(0.5)
    assert (overall["improved"], overall["same"], overall["worse"]) == (4, 1, 1)
    assert overall["pct_improved"] == pytest.approx(400 / 6)
    # SRM = 0.5 / sqrt(1.3); with ddof=0 it would be 0.5 / sqrt(6.5/6) = 0.4804
    assert overall["standardised_response_mean"] == pytest.approx(0.5 / math.sqrt(1.3))
    assert overall["standardised_response_mean"] == pytest.approx(0.438529, abs=1e-6)
    # net improvement: 4 of 6 improved, 1 of 6 worse -> 66.67 - 16.67 = 50 points
    assert overall["net_improvement"] == pytest.approx(50.0)
    assert overall["not_classifiable"] == 6 and overall["pct_not_classifiable"] == 100
    assert overall["reliable_improvement"] == 0
    assert overall["reliable_deterioration"] == 0
    assert overall["no_reliable_change"] == 0
    # overall Wilcoxon over the families' overall changes
    assert overall["wilcoxon_p"] == pytest.approx(scipy_p([1.5, -1.5, 1.0, 0.0, 0.5, 1.5]))


def test_hand_worked_yardstick(cohort):
    yardstick = build_cohort(*cohort, TAF).yardstick
    assert yardstick.reference_sd == pytest.approx(REFERENCE_SD)
    assert yardstick.reference_sd == pytest.approx(1.031257, abs=1e-6)
    assert (yardstick.n_reference, yardstick.reliability) == (7, 0.70)
    assert figures(build_cohort(*cohort, TAF), min_group=1)["yardstick"] == yardstick.as_dict()


# The same cohort on TWO (housing and income only; mental health is not in it), where one
# paired area of two is half, so every reviewed family is classified.
#  fam  paired        baseline  latest  change
#   1   H +2, I +1    5         3.5     +1.5
#   2   H -1, I -2    3         4.5     -1.5
#   3   H +1, I +1    4         3       +1.0
#   4   H -1          4         5       -1.0
#   5   H  0, I +1    3         2.5     +0.5
#   6   H +1          5         4       +1.0
# Yardstick: first baselines over H and I: 5, 3, 4, 4 (H only), 3, 5 (H only), 3 (fam 7):
#   sum 27, sum of squares 109; SS = 109 - 27^2/7 = 34/7; var = 34/42 = 17/21;
#   SD = sqrt(17/21) = 0.899735. 5 complete cases < 30, so r = 0.70:
#   S_diff = sqrt(17/21) x sqrt(0.6) = 0.696932; 1.96 x S_diff = 1.365987.
#   RCI: fam 1 +1.5/0.696932 = +2.152290 better; fam 2 -2.152290 worse;
#        fams 3, 6 +1.434860, fam 4 -1.434860, fam 5 +0.717430: no reliable change.
TWO_S_DIFF = math.sqrt(17 / 21 * 0.6)


def test_hand_worked_reliable_change_index_per_family(cohort):
    built = build_cohort(*cohort, TWO)
    assert built.s_diff == pytest.approx(TWO_S_DIFF)
    assert built.s_diff == pytest.approx(0.696932, abs=1e-6)
    rci = dict(zip(built.overall["family_id"], built.overall["rci"], strict=True))
    assert rci == pytest.approx(
        {1: 2.152290, 2: -2.152290, 3: 1.434860, 4: -1.434860, 5: 0.717430, 6: 1.434860},
        abs=1e-6,
    )
    overall = figures(built, min_group=1)["overall"]
    assert (
        overall["reliable_improvement"],
        overall["reliable_deterioration"],
        overall["no_reliable_change"],
        overall["not_classifiable"],
    ) == (1, 1, 4, 0)
    assert overall["pct_reliable_improvement"] == pytest.approx(100 / 6)
    assert overall["reliable_change_sd"] == pytest.approx(TWO_S_DIFF)
    assert "reliable_recovery" not in overall  # taf-dtt declares no caseness


def test_reliable_recovery_with_a_caseness_threshold(cohort):
    # Caseness 4 on the need scale: cases at baseline are fams 1 (5), 3 (4), 4 (4), 6 (5).
    # Recovered (below 4 at the latest and reliably better): fam 1 only; fam 3 reaches 3
    # but not reliably; fam 6 reaches 4, still a case. 1 of 4 = 25%.
    built = build_cohort(*cohort, cut_down("taf-dtt", 2, caseness=4))
    overall = figures(built, min_group=1)["overall"]
    assert overall["cases_at_baseline"] == 4
    assert overall["reliable_recovery"] == 1
    assert overall["pct_reliable_recovery"] == pytest.approx(25.0)


def test_hand_worked_domain_figures(cohort):
    result = figures(build_cohort(*cohort, TAF), min_group=1)
    assert [item["domain"] for item in result["domains"]] == list(TAF.domain_keys)

    housing = domain(result, H)
    assert housing["n"] == 6
    assert housing["mean_baseline"] == pytest.approx(23 / 6)
    assert housing["mean_latest"] == pytest.approx(3.5)
    assert housing["mean_change"] == pytest.approx(2 / 6)
    assert (housing["improved"], housing["same"], housing["worse"]) == (3, 1, 2)
    assert housing["pct_improved"] == pytest.approx(50.0)

    income = domain(result, I)
    assert income["n"] == 4
    assert income["mean_baseline"] == pytest.approx(4.0)
    assert income["mean_latest"] == pytest.approx(3.75)
    assert income["mean_change"] == pytest.approx(0.25)
    assert (income["improved"], income["same"], income["worse"]) == (3, 0, 1)
    assert income["pct_improved"] == pytest.approx(75.0)

    mental = domain(result, M)
    assert mental["n"] == 3
    assert mental["mean_baseline"] == pytest.approx(13 / 3)
    assert mental["mean_latest"] == pytest.approx(3.0)
    assert mental["mean_change"] == pytest.approx(4 / 3)
    assert (mental["improved"], mental["same"], mental["worse"]) == (3, 0, 0)
    assert mental["pct_improved"] == pytest.approx(100.0)


def test_domain_sign_tests_by_hand_and_holm(cohort):
    # Sign test, ties dropped, two-sided: 2 × the smaller binomial(½) tail, at most 1.
    #   housing 2,-1,1,-1,0,1: 3 up, 2 down of 5 -> 2 × P(X <= 2) = 2 × 16/32 -> 1
    #   income 1,-2,1,1: 3 up, 1 down of 4 -> 2 × (1 + 4)/16 = 0.625
    #   mental health 1,1,2: 3 up of 3 -> 2 × 1/8 = 0.25
    # Holm over the 3 areas tested: 0.25 × 3 = 0.75; 0.625 × 2 -> 1; 1 × 1 = 1.
    result = figures(build_cohort(*cohort, TAF), min_group=1)
    assert domain(result, H)["sign_test_p"] == pytest.approx(1.0)
    assert domain(result, I)["sign_test_p"] == pytest.approx(0.625)
    assert domain(result, M)["sign_test_p"] == pytest.approx(0.25)
    assert domain(result, M)["p_holm"] == pytest.approx(0.75)
    assert domain(result, I)["p_holm"] == pytest.approx(1.0)
    assert domain(result, H)["p_holm"] == pytest.approx(1.0)
    assert domain(result, "aspirations")["p_holm"] is None  # never scored: not a test


def test_sign_test_is_none_when_every_change_is_zero():
    # 5 families, housing identical at both ends (changes 0,0,0,0,0), while income moves
    # (changes +1,+1,+1,+1,-1 on the need scale) so the overall tests are still defined.
    rows = []
    for fam, (h, i0, i1) in enumerate([(2, 4, 3), (3, 4, 3), (4, 3, 2), (5, 5, 4), (1, 2, 3)]):
        rows.append((fam * 10, fam, "baseline", "2024-01-01", "worker", {H: h, I: i0}))
        rows.append((fam * 10 + 1, fam, "review", "2024-04-01", "worker", {H: h, I: i1}))
    result = figures(build_cohort(*frames(rows), TAF), min_group=5)
    housing = domain(result, H)
    assert housing["n"] == 5
    assert housing["mean_change"] == pytest.approx(0.0)
    assert (housing["improved"], housing["same"], housing["worse"]) == (0, 5, 0)
    assert housing["pct_improved"] == pytest.approx(0.0)
    assert housing["sign_test_p"] is None and housing["p_holm"] is None
    income = domain(result, I)
    # 4 up, 1 down of 5: 2 × (1 + 5)/32 = 0.375; the only area tested, so Holm is the same.
    assert income["sign_test_p"] == pytest.approx(0.375)
    assert income["p_holm"] == pytest.approx(0.375)


# --------------------------------------------------------------------------------------
# Suppression
# --------------------------------------------------------------------------------------


def test_domain_below_min_group_is_suppressed_and_at_or_above_is_shown(cohort):
    # min_group=4: housing n=6 (above) and income n=4 (exactly at) are shown; mental
    # health n=3 is below, so every figure except "domain" is None. Unscored domains
    # (n=0) are below too.
    result = figures(build_cohort(*cohort, TAF), min_group=4)
    assert domain(result, H)["n"] == 6
    assert domain(result, H)["mean_change"] == pytest.approx(2 / 6)
    assert domain(result, I)["n"] == 4
    assert domain(result, I)["mean_change"] == pytest.approx(0.25)
    assert domain(result, I)["sign_test_p"] == pytest.approx(0.625)
    for key in (M, "aspirations"):
        suppressed = domain(result, key)
        assert suppressed["domain"] == key
        assert set(FIGURE_KEYS) <= set(suppressed)
        assert all(value is None for name, value in suppressed.items() if name != "domain")
    # overall n=6 >= 4: shown
    assert result["overall"]["n"] == 6
    assert result["overall"]["mean_change"] == pytest.approx(0.5)


def test_overall_suppressed_when_overall_n_below_min_group(cohort):
    # min_group=7: overall n is 6 < 7, so every overall figure is None.
    # Counts: families 7 (shown, = min_group), with_review 6 and awaiting_review 1 hidden.
    result = figures(build_cohort(*cohort, TAF), min_group=7)
    assert result["overall"], "the overall block should still be there, with null values"
    assert all(value is None for value in result["overall"].values()), result["overall"]
    assert result["families"] == 7
    assert result["with_review"] is None
    assert result["awaiting_review"] is None
    assert all(domain(result, key)["n"] is None for key in (H, I, M))


def test_counts_1_to_min_group_minus_1_are_suppressed_but_zero_is_shown(cohort):
    assessments, scores = cohort
    # min_group=5 on the whole cohort: families 7 and with_review 6 shown; awaiting 1 hidden.
    result = figures(build_cohort(assessments, scores, TAF), min_group=5)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (
        7,
        6,
        None,
    )
    # Without family 7 nobody is awaiting review: 0 is shown as 0, not hidden.
    without_7 = assessments[assessments["family_id"] != 7]
    result = figures(build_cohort(without_7, scores, TAF), min_group=5)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (
        6,
        6,
        0,
    )
    # Only family 7: families 1 and awaiting 1 hidden; with_review 0 shown.
    only_7 = assessments[assessments["family_id"] == 7]
    result = figures(build_cohort(only_7, scores, TAF), min_group=5)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (
        None,
        0,
        None,
    )
    # min_group=2: awaiting 1 is still hidden (1 <= 2-1), but 6 and 7 are shown.
    result = figures(build_cohort(assessments, scores, TAF), min_group=2)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (
        7,
        6,
        None,
    )


def test_empty_cohort_shows_zero_counts(cohort):
    assessments, scores = cohort
    nobody = assessments.iloc[0:0]
    result = figures(build_cohort(nobody, scores.iloc[0:0], TAF), min_group=5)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (0, 0, 0)
    assert result["overall"]["mean_change"] is None


# --------------------------------------------------------------------------------------
# Baseline-date window
# --------------------------------------------------------------------------------------


def test_baseline_window_is_by_baseline_date_and_inclusive(cohort):
    # 1 Feb .. 1 Mar inclusive keeps fams 3 (1 Feb), 4 (10 Feb) and 5 (1 Mar); family 6
    # (15 Mar) and the January families are out, even though their reviews fall later.
    #   overall changes +1.0, 0.0, +0.5 -> mean 1.5/3 = 0.5
    #   overall baselines 4, 4, 3 -> mean 11/3; latest 3, 4, 2.5 -> mean 9.5/3
    #   housing changes +1, -1, 0 -> mean 0, n 3
    result = figures(
        build_cohort(*cohort, TAF, baseline_from=date(2024, 2, 1), baseline_to=date(2024, 3, 1)),
        min_group=1,
    )
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (3, 3, 0)
    overall = result["overall"]
    assert overall["n"] == 3
    assert overall["mean_baseline"] == pytest.approx(11 / 3)
    assert overall["mean_latest"] == pytest.approx(9.5 / 3)
    assert overall["mean_change"] == pytest.approx(0.5)
    assert (overall["improved"], overall["same"], overall["worse"]) == (2, 1, 0)
    assert domain(result, H)["n"] == 3
    assert domain(result, H)["mean_change"] == pytest.approx(0.0)


def test_baseline_window_open_ended(cohort):
    # from 1 Apr only: family 7 (baseline 1 Apr, awaiting review). Family 1's review on
    # 10 Apr does not bring family 1 in: the window is on the baseline date.
    result = figures(build_cohort(*cohort, TAF, baseline_from=date(2024, 4, 1)), min_group=1)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (1, 0, 1)
    # up to 31 Jan only: families 1 and 2; changes +1.5 and -1.5 -> mean 0
    result = figures(build_cohort(*cohort, TAF, baseline_to=date(2024, 1, 31)), min_group=1)
    assert (result["families"], result["with_review"], result["awaiting_review"]) == (2, 2, 0)
    assert result["overall"]["mean_change"] == pytest.approx(0.0)
    assert result["overall"]["mean_baseline"] == pytest.approx(4.0)  # (5 + 3) / 2


# --------------------------------------------------------------------------------------
# Rater view
# --------------------------------------------------------------------------------------


def test_family_rater_view_uses_the_family_own_assessments():
    # Family 1 is assessed by the worker and, separately, by the family itself.
    #   worker: baseline 10 Jan H4 I4, review 10 Apr H3 I3   -> overall 4 -> 3, change +1
    #   family: baseline  3 Jan H5 I3, review  2 May H2 I2   -> overall 4 -> 2, change +2
    #           (the family's own baseline is earlier, and its review later)
    #   joint:  a review on 20 Feb (H1 I1). It is not in the family view, and in the
    #           default view it is an earlier review, not the latest, so it is never used.
    # The caller passes only the chosen raters' assessments; the scores frame is the same.
    assessments, scores = frames(
        [
            (10, 1, "baseline", "2024-01-10", "worker", {H: 4, I: 4}),
            (11, 1, "baseline", "2024-01-03", "family", {H: 5, I: 3}),
            (12, 1, "review", "2024-02-20", "joint", {H: 1, I: 1}),
            (13, 1, "review", "2024-04-10", "worker", {H: 3, I: 3}),
            (14, 1, "review", "2024-05-02", "family", {H: 2, I: 2}),
        ]
    )
    default_view = assessments[assessments["rater"].isin(["worker", "joint"])]
    family_view = assessments[assessments["rater"] == "family"]

    default = figures(build_cohort(default_view, scores, TAF), min_group=1)
    assert default["overall"]["mean_baseline"] == pytest.approx(4.0)
    assert default["overall"]["mean_latest"] == pytest.approx(3.0)
    assert default["overall"]["mean_change"] == pytest.approx(1.0)
    assert domain(default, H)["mean_baseline"] == pytest.approx(4.0)

    own = figures(build_cohort(family_view, scores, TAF), min_group=1)
    assert own["overall"]["mean_baseline"] == pytest.approx(4.0)  # (5 + 3) / 2
    assert own["overall"]["mean_latest"] == pytest.approx(2.0)  # (2 + 2) / 2
    assert own["overall"]["mean_change"] == pytest.approx(2.0)
    assert domain(own, H)["mean_baseline"] == pytest.approx(5.0)
    assert domain(own, H)["mean_change"] == pytest.approx(3.0)  # 5 - 2
    assert domain(own, I)["mean_change"] == pytest.approx(1.0)  # 3 - 2


# --------------------------------------------------------------------------------------
# Orientation on a star (higher is better)
# --------------------------------------------------------------------------------------


def test_star_cohort_positive_change_is_improvement():
    # family-outcomes-10, wellbeing only, 5 families (change = latest - baseline):
    #   fam  baseline  latest  change
    #    1      3        6      +3
    #    2      4        4       0
    #    3      5        7      +2
    #    4      6        5      -1
    #    5      2        5      +3
    # mean_baseline 20/5 = 4.0; mean_latest 27/5 = 5.4; mean_change 7/5 = 1.4
    # improved 3, same 1, worse 1, pct 60
    # SD(change), ddof=1: deviations 1.6, -1.4, 0.6, -2.4, 1.6; squares
    #   2.56 + 1.96 + 0.36 + 5.76 + 2.56 = 13.2; var 13.2/4 = 3.3; SRM = 1.4/sqrt(3.3) = 0.7707
    # A second domain, home_money, is scored only at baseline: unpaired, ignored. With one
    # of ten areas paired (five needed), no family can be classified for reliable change.
    data = [(3, 6), (4, 4), (5, 7), (6, 5), (2, 5)]
    rows = []
    for fam, (before, after) in enumerate(data, start=1):
        rows.append(
            (
                fam * 10,
                fam,
                "baseline",
                "2024-01-01",
                "worker",
                {"wellbeing": before, "home_money": 9},
            )
        )
        rows.append((fam * 10 + 1, fam, "review", "2024-04-01", "worker", {"wellbeing": after}))
    result = figures(build_cohort(*frames(rows), STAR), min_group=5)
    overall = result["overall"]
    assert overall["n"] == 5
    assert overall["mean_baseline"] == pytest.approx(4.0)
    assert overall["mean_latest"] == pytest.approx(5.4)
    assert overall["mean_change"] == pytest.approx(1.4)
    assert (overall["improved"], overall["same"], overall["worse"]) == (3, 1, 1)
    assert overall["pct_improved"] == pytest.approx(60.0)
    assert overall["standardised_response_mean"] == pytest.approx(1.4 / math.sqrt(3.3))
    assert overall["not_classifiable"] == 5
    assert overall["reliable_improvement"] == 0
    wellbeing = domain(result, "wellbeing")
    assert wellbeing["n"] == 5
    assert wellbeing["mean_change"] == pytest.approx(1.4)
    assert wellbeing["sign_test_p"] == pytest.approx(0.625)  # 3 up, 1 down, 1 tie
    assert domain(result, "home_money")["n"] is None  # n=0 < 5: suppressed


# --------------------------------------------------------------------------- dashboard views


def test_mean_interval_matches_a_worked_example_and_scipy():
    # [1, 2, 3, 4, 5]: mean 3, SD 1.58114, SE 0.707107, t(0.975, 4) = 2.776445
    # half-width 2.776445 * 0.707107 = 1.963243, so 1.036757 to 4.963243.
    low, high = mean_interval(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert (low, high) == pytest.approx((1.036757, 4.963243), abs=1e-6)
    values = pd.Series([0.5, -1.0, 2.0, 1.5, 0.0, 0.25])
    expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert mean_interval(values) == pytest.approx(expected)
    assert mean_interval(pd.Series([1.0])) == (None, None)


def ten_families() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Ten taf-dtt families, housing only: baseline 4, latest 4 - k for family k in 0..4,
    and families 5..9 mirror them (baseline 2, latest 2 + k - ... ) as listed below."""
    rows, families = [], []
    plan = {
        # family: (baseline, latest, area)
        1: (5, 1, "North"),
        2: (5, 2, "North"),
        3: (4, 3, "North"),
        4: (4, 4, "North"),
        5: (3, 5, "North"),
        6: (4, 2, "South"),
        7: (3, 3, "South"),
        8: (5, 4, "South"),
        9: (2, 1, "East"),
    }
    for family, (start, end, area) in plan.items():
        rows.append((family * 10, family, "baseline", "2025-01-10", "worker", {H: start}))
        rows.append((family * 10 + 1, family, "review", "2025-02-20", "worker", {H: end}))
        families.append((family, area, "tier 2", "Health", None, "GP", False))
    assessments, scores = frames(rows)
    family_frame = pd.DataFrame(
        families,
        columns=[
            "family_id",
            "area",
            "tier_of_need",
            "key_worker_type",
            "age_group",
            "referral_source",
            "closed",
        ],
    )
    return assessments, scores, family_frame


def test_breakdown_by_area_with_suppression():
    assessments, scores, families = ten_families()
    cohort = build_cohort(assessments, scores, ONE, families=families)
    # Changes (baseline - latest): 1:4, 2:3, 3:1, 4:0, 5:-2 (North); 6:2, 7:0, 8:1 (South); 9:1.
    groups = breakdown(cohort, "area", min_group=3).set_index("group")
    assert list(groups.index) == ["East", "North", "South"]
    north = groups.loc["North"]
    assert north["n"] == 5 and north["mean_change"] == pytest.approx(6 / 5)
    low, high = mean_interval(pd.Series([4.0, 3.0, 1.0, 0.0, -2.0]))
    assert (north["ci_low"], north["ci_high"]) == pytest.approx((low, high))
    assert north["pct_improved"] == pytest.approx(60)
    # On ONE (housing only) every family is classifiable. The yardstick from all nine
    # baselines [5,5,4,4,3,4,3,5,2]: mean 35/9, sum of squares 80/9, variance 10/9; r is
    # the default 0.70 (9 < 30 complete cases), so S_diff = sqrt(10/9 x 0.6) = sqrt(2/3)
    # and reliable needs |change| > 1.96 x 0.816497 = 1.6003: in North families 1 and 2
    # improve reliably and 5 gets reliably worse; in South family 6 (change 2) improves.
    assert north["pct_reliable_improvement"] == pytest.approx(40)
    south = groups.loc["South"]
    assert south["n"] == 3 and south["mean_change"] == pytest.approx(1.0)
    assert south["pct_reliable_improvement"] == pytest.approx(100 / 3)
    east = groups.loc["East"]
    assert bool(east["suppressed"]) and pd.isna(east["n"]) and pd.isna(east["mean_change"])


def test_transitions_between_bands_with_cell_suppression():
    assessments, scores, families = ten_families()
    cohort = build_cohort(assessments, scores, TAF, families=families)
    cells = transitions(cohort, H, min_group=1).set_index(["baseline_band", "latest_band"])
    # From Critical / complex (5): to None (1), Minor (2), Significant (4).
    assert cells.loc[("Critical / complex", "None"), "families"] == 1
    assert cells.loc[("Critical / complex", "Significant"), "families"] == 1
    assert cells.loc[("Significant", "Significant"), "families"] == 1
    assert cells.loc[("Significant", "Minor"), "families"] == 1
    assert cells["families"].sum() == 9 and len(cells) == 25
    hidden = transitions(cohort, H, min_group=2).set_index(["baseline_band", "latest_band"])
    # Every non-zero cell holds one family, so each is suppressed; zeros stay zero.
    assert pd.isna(hidden.loc[("Critical / complex", "None"), "families"])
    assert hidden.loc[("None", "None"), "families"] == 0
    whole = transitions(cohort, H, min_group=10)
    assert whole["families"].isna().all()


def test_change_by_month_counts_families_per_point():
    assessments, scores, families = ten_families()
    cohort = build_cohort(assessments, scores, TAF, families=families)
    points = change_by_month(cohort, min_group=1).set_index("month")
    # Baselines on 10 Jan (month 0, change 0); reviews on 20 Feb are 41 days later: month 1,
    # changes (baseline - latest) 4, 3, 1, 0, -2, 2, 0, 1, 1 -> 10/9.
    assert points.loc[0, "n"] == 9
    assert points.loc[0, "mean_change"] == pytest.approx(0.0)
    assert points.loc[1, "mean_change"] == pytest.approx(10 / 9)
    assert points.loc[1, "mean_baseline"] == pytest.approx((5 + 5 + 4 + 4 + 3 + 4 + 3 + 5 + 2) / 9)
    assert points.loc[1, "mean_at_month"] == pytest.approx((1 + 2 + 3 + 4 + 5 + 2 + 3 + 4 + 1) / 9)
    by_area = change_by_month(cohort, min_group=2, dimension="area")
    east = by_area[by_area["group"] == "East"]
    assert east["suppressed"].all() and east["mean_change"].isna().all()


def test_scatter_is_anonymous_and_hidden_for_small_cohorts():
    assessments, scores, families = ten_families()
    cohort = build_cohort(assessments, scores, ONE, families=families)
    dots = scatter_points(cohort, min_group=5)
    assert set(dots.columns) == {"baseline", "latest", "classification"}
    overall = figures(cohort, min_group=5)["overall"]
    counts = dots["classification"].value_counts()
    assert counts["Reliably better"] == overall["reliable_improvement"]
    assert counts["Reliably worse"] == overall["reliable_deterioration"]
    assert scatter_points(cohort, min_group=10).empty
    # On the whole taf-dtt nobody has half the areas paired: nobody is drawn.
    unclassifiable = build_cohort(assessments, scores, TAF, families=families)
    assert scatter_points(unclassifiable, min_group=5).empty


def test_overall_reports_percentages_and_the_interval():
    assessments, scores, families = ten_families()
    result = figures(build_cohort(assessments, scores, ONE, families=families), min_group=5)
    overall = result["overall"]
    # Reliable: improved 1, 2, 6 (changes 4, 3, 2 > 1.6003); worse 5 (-2); no change 5 others.
    assert (
        overall["reliable_improvement"],
        overall["reliable_deterioration"],
        overall["no_reliable_change"],
    ) == (3, 1, 5)
    assert overall["pct_reliable_improvement"] == pytest.approx(100 * 3 / 9)
    changes = pd.Series([4.0, 3.0, 1.0, 0.0, -2.0, 2.0, 0.0, 1.0, 1.0])
    assert (overall["mean_change_ci_low"], overall["mean_change_ci_high"]) == pytest.approx(
        mean_interval(changes)
    )
    assert overall["reliable_change_sd"] == pytest.approx(math.sqrt(2 / 3))


def test_caveats_speak_up_when_they_apply():
    assessments, scores, families = ten_families()
    cohort = build_cohort(assessments, scores, TAF, families=families)
    notes = " ".join(caveats(cohort, figures(cohort, min_group=5)))
    assert "Fewer than 20 families have had a review" in notes
    assert "regression to the mean" in notes
    assert "awaiting their first review" not in notes
    waiting = assessments[assessments["occasion"] == "baseline"]
    cohort = build_cohort(waiting, scores, TAF, families=families)
    notes = " ".join(caveats(cohort, figures(cohort, min_group=5)))
    assert "100% of families with a baseline are still awaiting their first review" in notes


def test_small_sample_wilcoxon_equals_scipys_default():
    """Below 14 pairs the p-value is counted directly; it must equal scipy's exactly.

    Sizes up to 11 are cheap for scipy; a few of 13 (its largest exact case) and of 14-30
    (where scipy itself is called) cover the edges. Halves give tied and non-integer ranks.
    """
    rng = np.random.default_rng(7)
    sizes = [*rng.integers(1, 12, size=60), 13, 13, 13, 14, 20, 30]
    for n in sizes:
        changes = rng.integers(-3, 4, size=int(n)) / rng.choice([1, 2])
        if not (changes != 0).any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = stats.wilcoxon(changes).pvalue
        assert wilcoxon_p(pd.Series(changes)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_over_time_of_a_cohort_nobody_is_in_has_no_points():
    # A filter that matches nobody (an area with no tier-3 families, say) must draw an
    # empty chart, not fail: the database gives back empty frames without date types.
    assessments = pd.DataFrame(
        columns=["assessment_id", "family_id", "occasion", "assessed_on", "rater"]
    )
    scores = pd.DataFrame(columns=["assessment_id", "domain", "value"])
    families = pd.DataFrame(columns=["family_id", "area"])
    cohort = build_cohort(assessments, scores, TAF, families=families)
    points = change_by_month(cohort, min_group=5)
    assert points.empty
    assert change_by_month(cohort, min_group=5, dimension="area").empty


# --------------------------------------------------------------------------------------
# One yardstick for the service, whatever the filter
# --------------------------------------------------------------------------------------


def test_a_group_is_judged_alike_in_the_breakdown_and_when_filtered_to(sample_engine):
    # The old code re-estimated S_diff from each filtered cohort, so an area's "reliably
    # improved" differed between the whole cohort's breakdown and the page filtered to it.
    with sample_engine.connect() as connection:
        whole = load_cohort(connection, CohortFilter(instrument="taf-dtt"), TAF)
        service = service_yardstick(connection, TAF)
        groups = breakdown(whole, "area", min_group=1).set_index("group")
        assert whole.yardstick == service
        for area, row in groups.iterrows():
            alone = load_cohort(connection, CohortFilter(instrument="taf-dtt", area=area), TAF)
            assert alone.yardstick == service
            overall = figures(alone, min_group=1)["overall"]
            assert overall["pct_reliable_improvement"] == pytest.approx(
                row["pct_reliable_improvement"]
            )
            assert overall["reliable_change_sd"] == pytest.approx(service.s_diff)
    assert len(groups) >= 2


def test_reading_only_the_chosen_scores_gives_the_same_figures(sample_engine):
    # cohort_figures reads only each first journey's baseline, first review and latest
    # scores; every figure must equal the one from every score.
    whole = CohortFilter(instrument="taf-dtt")
    with sample_engine.connect() as connection:
        fast = cohort_figures(connection, whole, TAF, min_group=1)
        full = figures(load_cohort(connection, whole, TAF, every_score=True), min_group=1)
    assert fast["early_worsening"] > 0 and fast["later_journeys"] > 0
    for key in ("families", "with_review", "early_worsening", "later_journeys", "yardstick"):
        assert fast[key] == full[key], key
    assert fast["overall"] == full["overall"]


def test_the_cli_has_no_baseline_rule_and_prints_the_new_figures(sample_engine, capsys):
    from tracker.cli import main

    with pytest.raises(SystemExit):
        main(["cohort", "--instrument", "taf-dtt", "--baseline", "worse_of_first_two"])
    capsys.readouterr()
    assert main(["cohort", "--instrument", "taf-dtt"]) == 0
    printed = capsys.readouterr().out
    with sample_engine.connect() as connection:
        yardstick = service_yardstick(connection, TAF)
    assert yardstick.caption() in printed
    assert "later journeys (re-referrals, not in the figures)" in printed
    assert "Worse at the first review than at baseline" in printed
    assert "not classifiable (fewer than half the areas paired)" in printed
    assert main(["cohort", "--instrument", "taf-dtt", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["baseline_rule"].startswith("first journey")  # the one rule, stamped
    assert result["yardstick"] == yardstick.as_dict()
    for key in ("early_worsening", "pct_early_worsening", "later_journeys"):
        assert key in result
    assert "not_classifiable" in result["overall"]
