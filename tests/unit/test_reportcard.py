"""The RBA report card, checked against a small hand-made service worked out by hand.

The data is built in code as a ``ReportData`` (date columns as pandas datetime64, the way
``load_report_data`` returns them). Every expected figure is worked out in the comments.
The saving of costs, targets and stories is checked against a migrated SQLite database.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tracker.instruments.loader import Instrument, get_instrument
from tracker.measures.periods import Period, previous
from tracker.measures.reportcard import (
    MEASURES,
    MEASURES_BY_KEY,
    STORY_FIELDS,
    ReportData,
    Scope,
    Value,
    build_card,
    card_as_dict,
    load_report_data,
    load_story,
    load_targets,
    report_card,
    suppress,
)
from tracker.measures.reportcard.change import newcombe_difference
from tracker.measures.reportcard.data import (
    CASE_FILE_COLUMNS,
    CLOSURE_AUDIT_COLUMNS,
    PATHWAY_COLUMNS,
    STAKEHOLDER_COLUMNS,
)
from tracker.measures.reportcard.inputs import save_cost, save_story, save_target
from tracker.measures.yardstick import Yardstick, service_yardstick
from tracker.store.errors import RecordInvalid
from tracker.store.models import (
    Family,
    KeyWorker,
    MeasureTarget,
    ProgrammeCost,
    ReportStory,
    longest,
)

H = "housing"
I = "income_employment_finance"  # noqa: E741
M = "mental_health_wellbeing"
# The TAF tool cut to three of its areas, so that two areas scored at both ends are at
# least half of them: a need scale 1-5, lower is better.
_taf = get_instrument("taf-dtt")
TAF = Instrument.model_validate(
    {
        **_taf.model_dump(),
        "sections": [
            {
                "key": "three",
                "label": "Three areas",
                "domains": [d.model_dump() for d in _taf.domains if d.key in (H, I, M)],
            }
        ],
    }
)
# A fixed yardstick, so the figures do not hang on an estimate: reference SD 0.25 and
# reliability 0.5 give S_diff = 0.25 × √(2 × 0.5) = 0.25, and a change is reliable beyond
# 1.96 × 0.25 = 0.49 points.
YARDSTICK = Yardstick(0.25, 0.5, "internal consistency", "a hand-made yardstick", 8)

# The quarter every measure is worked out for, and the one before it.
Q1 = Period(date(2025, 4, 1), date(2025, 6, 30), "2025-26 Q1")
Q4 = Period(date(2025, 1, 1), date(2025, 3, 31), "2024-25 Q4")
# Quarters used for the edge cases.
NO_REVIEWS = Period(date(2024, 4, 1), date(2024, 6, 30), "2024-25 Q1")  # families, no reviews
ZERO_HOURS = Period(date(2024, 10, 1), date(2024, 12, 31), "2024-25 Q3")  # 0 hours recorded
EMPTY = Period(date(2022, 7, 1), date(2022, 9, 30), "2022-23 Q2")  # no families at all
# The day the card is drawn up: a fortnight after Q1.
TODAY = date(2025, 7, 15)

# --------------------------------------------------------------------------------------
# The hand-made service (taf-dtt: change = baseline - latest, positive = less need)
#
# fam area       tier     age  referred by     referred    closed (reason)           re-referred
#  1  Northfield tier 2   5-10 School          2025-01-06  open
#  2  Northfield tier 3   0-4  GP              2025-01-10  2025-06-15 wholly_achieved
#  3  Riverside  tier 2   11-15 School         2025-02-03  2025-05-10 dropped_out
#  4  Riverside  tier 2-3 (none) Self          2025-03-20  open
#  5  Northfield tier 2   0-4  Police          2025-06-02  open
#  6  Riverside  tier 3   11-15 GP             2024-06-03  2025-03-14 partially_achieved 2025-05-01
#  7  Northfield tier 2   0-4  School          2023-09-01  2024-05-31 not_achieved    2025-06-02
#  8  Riverside  tier 2   5-10 Health visitor  2024-07-01  open
#
# Assessments (id, occasion, date, rater, scores; "star" = family-outcomes-10, no scores here)
#  1: 101 baseline 2025-01-20 worker H4 I4 | 102 review 2025-02-20 worker H4 I3
#     103 review 2025-05-20 worker H2 I3   | 104 review 2025-06-20 FAMILY H1 I1 (not counted;
#     sent by the family from their own phone: self-completed)
#  2: 201 baseline 2025-02-01 joint H3 I3  | 202 review 2025-03-01 worker H3 I3
#     203 closure 2025-06-15 joint H3 I4 M=blank
#  3: 301 baseline 2025-02-17 worker H5 I5 | 302 review 2025-04-07 worker H5 I5
#  4: 401 baseline 2025-04-03 worker H4 I5 | 402 STAR baseline 2025-04-10 worker
#     403 review 2025-05-25 worker H4 I4
#  5: 501 baseline 2025-06-10 worker H3    | 502 baseline 2025-06-10 joint H3 I2
#     503 baseline 2025-06-10 family (no scores)
#  6: 601 baseline 2024-06-17 worker H4 I4 | 602 closure 2025-03-14 worker H3 I4
#  7: none
#  8: 801 baseline 2024-07-15 worker H5 I4 | 802 review 2024-08-14 H5 I4 | 803 review
#     2024-11-20 H4 I4 | 804 review 2025-02-10 H4 I3 | 805 review 2025-05-30 H2 I2 (all worker)
# --------------------------------------------------------------------------------------

FAMILIES = [
    (1, "Northfield", "tier 2", "5-10", "School", "2025-01-06", None, None, None),
    (2, "Northfield", "tier 3", "0-4", "GP", "2025-01-10", "2025-06-15", "wholly_achieved", None),
    (3, "Riverside", "tier 2", "11-15", "School", "2025-02-03", "2025-05-10", "dropped_out", None),
    (4, "Riverside", "tier 2-3", None, "Self", "2025-03-20", None, None, None),
    (5, "Northfield", "tier 2", "0-4", "Police", "2025-06-02", None, None, None),
    (
        6,
        "Riverside",
        "tier 3",
        "11-15",
        "GP",
        "2024-06-03",
        "2025-03-14",
        "partially_achieved",
        "2025-05-01",
    ),
    (
        7,
        "Northfield",
        "tier 2",
        "0-4",
        "School",
        "2023-09-01",
        "2024-05-31",
        "not_achieved",
        "2025-06-02",
    ),
    (8, "Riverside", "tier 2", "5-10", "Health visitor", "2024-07-01", None, None, None),
]
ASSESSMENTS = [
    (101, 1, "taf-dtt", "baseline", "2025-01-20", "worker", {H: 4, I: 4}),
    (102, 1, "taf-dtt", "review", "2025-02-20", "worker", {H: 4, I: 3}),
    (103, 1, "taf-dtt", "review", "2025-05-20", "worker", {H: 2, I: 3}),
    (104, 1, "taf-dtt", "review", "2025-06-20", "family", {H: 1, I: 1}),
    (201, 2, "taf-dtt", "baseline", "2025-02-01", "joint", {H: 3, I: 3}),
    (202, 2, "taf-dtt", "review", "2025-03-01", "worker", {H: 3, I: 3}),
    (203, 2, "taf-dtt", "closure", "2025-06-15", "joint", {H: 3, I: 4, M: None}),
    (301, 3, "taf-dtt", "baseline", "2025-02-17", "worker", {H: 5, I: 5}),
    (302, 3, "taf-dtt", "review", "2025-04-07", "worker", {H: 5, I: 5}),
    (401, 4, "taf-dtt", "baseline", "2025-04-03", "worker", {H: 4, I: 5}),
    (402, 4, "family-outcomes-10", "baseline", "2025-04-10", "worker", {}),
    (403, 4, "taf-dtt", "review", "2025-05-25", "worker", {H: 4, I: 4}),
    (501, 5, "taf-dtt", "baseline", "2025-06-10", "worker", {H: 3}),
    (502, 5, "taf-dtt", "baseline", "2025-06-10", "joint", {H: 3, I: 2}),
    (503, 5, "taf-dtt", "baseline", "2025-06-10", "family", {}),
    (601, 6, "taf-dtt", "baseline", "2024-06-17", "worker", {H: 4, I: 4}),
    (602, 6, "taf-dtt", "closure", "2025-03-14", "worker", {H: 3, I: 4}),
    (801, 8, "taf-dtt", "baseline", "2024-07-15", "worker", {H: 5, I: 4}),
    (802, 8, "taf-dtt", "review", "2024-08-14", "worker", {H: 5, I: 4}),
    (803, 8, "taf-dtt", "review", "2024-11-20", "worker", {H: 4, I: 4}),
    (804, 8, "taf-dtt", "review", "2025-02-10", "worker", {H: 4, I: 3}),
    (805, 8, "taf-dtt", "review", "2025-05-30", "worker", {H: 2, I: 2}),
]
# The family's own ratings sent from their own phone by a link; the rest were typed in.
SELF_COMPLETED = {104}
ACTIVITIES = [
    (1, "2025-03-31", 4.0, "coordination"),  # Q4, the day before Q1
    (1, "2025-04-10", 2.0, "coordination"),
    (1, "2025-05-20", 1.5, "direct_work"),
    (2, "2025-04-15", 3.0, "direct_work"),
    (4, "2025-05-01", 2.5, "coordination"),
    (8, "2025-06-05", 1.0, "coordination"),
    (5, "2025-07-01", 2.0, "direct_work"),  # the day after Q1
    (8, "2024-12-01", 0.0, "coordination"),  # 2024-25 Q3: a visit logged with no hours
]
REFERRALS_ON = [(3, "2025-04-20"), (8, "2025-05-05"), (8, "2025-06-30"), (6, "2025-03-31")]
FEEDBACK = [
    (1, "2025-04-15", 5),
    (2, "2025-05-01", 4),
    (2, "2025-06-10", 3),
    (4, "2025-06-30", 2),
    (8, "2025-03-30", 1),  # Q4
    (5, "2025-07-01", 5),  # Q2
]
GOALS = [
    (1, "wholly_achieved", "2025-05-01"),
    (1, "open", None),
    (2, "wholly_achieved", "2025-06-10"),
    (2, "partially_achieved", "2025-06-12"),
    (3, "dropped_out", "2025-05-10"),
    (4, "not_achieved", "2025-03-31"),  # Q4
    (4, "wholly_achieved", "2025-07-01"),  # Q2
    (8, "open", "2025-04-20"),  # still open: not an outcome
]
COSTS = [
    ("2025-04-01", "2025-06-30", 12000.0),  # 2025-26 Q1
    ("2025-01-01", "2025-03-31", 9000.0),  # 2024-25 Q4
    ("2024-10-01", "2024-12-31", 3000.0),  # 2024-25 Q3 (the zero-hours quarter)
    ("2022-07-01", "2022-09-30", 1000.0),  # 2022-23 Q2 (the empty quarter)
    ("2025-04-01", "2025-04-30", 5000.0),  # a custom April: not Q1's cost
]


def _frame(rows, columns) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column.endswith(("_on", "_date", "_start", "_end")):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def make_data(
    *,
    families=FAMILIES,
    assessments=ASSESSMENTS,
    activities=ACTIVITIES,
    referrals_on=REFERRALS_ON,
    feedback=FEEDBACK,
    goals=GOALS,
    costs=COSTS,
    yardstick=YARDSTICK,
    self_completed=SELF_COMPLETED,
    pathway=None,
    closure_audits=(),
    case_files=(),
    stakeholder_feedback=(),
) -> ReportData:
    """The hand-made service as a ``ReportData``; ``pathway`` gives some families their
    referral pathway (family id -> a tuple in ``PATHWAY_COLUMNS`` order), the rest have
    none recorded, and the quality records are rows in their frames' column order."""
    pathway, no_pathway = pathway or {}, (None,) * len(PATHWAY_COLUMNS)
    scores = [
        (assessment_id, domain, value)
        for assessment_id, *_, values in assessments
        for domain, value in values.items()
    ]
    return ReportData(
        instrument=TAF,
        families=_frame(
            [(*row, *pathway.get(row[0], no_pathway)) for row in families],
            [
                "family_id",
                "area",
                "tier_of_need",
                "age_group",
                "referral_source",
                "referral_date",
                "closed_on",
                "closure_reason",
                "re_referred_on",
                *PATHWAY_COLUMNS,
            ],
        ),
        assessments=_frame(
            [(*row[:6], row[0] in self_completed) for row in assessments],
            [
                "assessment_id",
                "family_id",
                "instrument",
                "occasion",
                "assessed_on",
                "rater",
                "self_completed",
            ],
        ),
        scores=pd.DataFrame(scores, columns=["assessment_id", "domain", "value"]),
        activities=_frame(activities, ["family_id", "activity_on", "hours", "kind"]),
        referrals_on=_frame(referrals_on, ["family_id", "referred_on"]),
        feedback=_frame(feedback, ["family_id", "given_on", "satisfaction"]),
        goals=_frame(goals, ["family_id", "status", "status_on"]),
        costs=_frame(costs, ["period_start", "period_end", "amount"]),
        yardstick=yardstick,
        today=TODAY,
        closure_audits=_frame(closure_audits, CLOSURE_AUDIT_COLUMNS),
        case_files=_frame(case_files, CASE_FILE_COLUMNS),
        stakeholder_feedback=_frame(stakeholder_feedback, STAKEHOLDER_COLUMNS),
    )


@pytest.fixture
def data() -> ReportData:
    return make_data()


# --------------------------------------------------------------------------------------
# Every measure for 2025-26 Q1 (1 April to 30 June 2025), worked out by hand.
#
# Worked with (referred by 30 Jun, not closed before 1 Apr): 1, 2, 3, 4, 5, 8 = 6.
#   Not 6 (closed 14 Mar) nor 7 (closed 2024).
#   Area: Northfield 1,2,5 = 3; Riverside 3,4,8 = 3. Tier: tier 2 1,3,5,8 = 4; tier 2-3 (4);
#   tier 3 (2). Age: 0-4 2,5; 5-10 1,8; 11-15 3; family 4 has none -> "Not recorded".
#   Referred by: School 1,3; GP 2; Self 4; Police 5; Health visitor 8.
# New (first baseline of any tool, any rater, in Q1): 4 (3 Apr), 5 (10 Jun) = 2.
# Baselines (worker/joint, one per family, tool and day): 4 taf 3 Apr, 4 star 10 Apr,
#   5 taf 10 Jun (worker + joint on one day count once; family rater not at all) = 3 of 2 fams.
# Reviews (non-baseline, worker/joint): 103, 203, 302, 403, 805 = 5 of 5 families
#   (104 is the family's own rating).
# Hours: 2.0 + 1.5 + 3.0 + 2.5 + 1.0 = 10.0 of families 1, 2, 4, 8 = 4
#   (31 Mar and 1 Jul are outside). Coordination 2.0 + 2.5 + 1.0 = 5.5 -> 55%; direct 45%.
# Time with key worker (first baseline, else referral, to 30 Jun or the closure), days/30.4375:
#   1: 20 Jan -> 30 Jun = 161 d = 5.29 m  -> 3-6
#   2:  1 Feb -> 15 Jun (closed) = 134 d = 4.40 m -> 3-6
#   3: 17 Feb -> 10 May (closed) = 82 d = 2.69 m -> 1-3
#   4:  3 Apr -> 30 Jun = 88 d = 2.89 m -> 1-3
#   5: 10 Jun -> 30 Jun = 20 d = 0.66 m -> under 1
#   8: 15 Jul 2024 -> 30 Jun 2025 = 365 - 15 = 350 d = 11.5 m -> 6 or more
# Referrals on: 20 Apr (3), 5 May (8), 30 Jun (8) = 3 of 2 families (31 Mar is Q4).
# Closed: 2 (wholly achieved, 15 Jun) and 3 (dropped out, 10 May) = 2.
# Re-referrals: 6 closed 14 Mar, back 1 May = 17 + 30 + 1 = 48 days -> counts.
#   7 closed 31 May 2024, back 2 Jun 2025 = 365 + 2 = 367 days -> over 12 months.
# Days to baseline for 4 (20 Mar -> 3 Apr = 14) and 5 (2 Jun -> 10 Jun = 8): median 11.
# Review due dates in Q1 (1 month after baseline then every 3 months; met by a review or
# closure assessment, worker or joint, within 14 days either side):
#   1 taf: due 20 May, review 20 May            -> met
#   2 taf: due 1 Jun (4th month), closure 15 Jun -> 14 days, met (the limit)
#   4 taf: due 3 May, review 25 May             -> 22 days after: not met
#   4 star: due 10 May, nothing                 -> not met
#   8 taf: due 15 May (15 Aug, 15 Nov and 15 Feb were met on 14 Aug, 20 Nov and 10 Feb),
#          review 30 May                        -> 15 days after: not met
#   3: due 17 Mar (Q4); next 17 Jun is after the closure. 5: due 10 Jul (Q2).
#   Every window closed by 14 Jul, before the card is drawn up on 15 Jul.
#   => 2 of 5 due dates met = 40%, families 1, 2, 4, 8 = 4.
# Engaged: all 6 worked with had a baseline; 3 dropped out (10 May) -> 5/6 = 83.33%.
# Feedback in Q1: 5, 4, 3, 2 from families 1, 2, 2, 4 -> mean 14/4 = 3.5, SD sqrt(5/3) =
#   1.290994, se 0.645497; rated 4-5: 2 of 4 = 50%; families responding 3 of 6 = 50%.
# Own view: of the 6 worked with, those with any assessment in Q1 (any tool, any rater):
#   1 (103, 104), 2 (203), 3 (302), 4 (401-403), 5 (501-503), 8 (805) = 6; with a family
#   rating in Q1: 1 (104) and 5 (503) = 2 -> 2/6 = 33.33%; 104 was sent from the family's
#   phone, 503 typed in by the key worker -> parts 1 and 1.
# Data completeness: taf assessments in Q1 of any rater: 103, 104, 203, 302, 401, 403, 501,
#   502, 503, 805 = 10 -> 10 x 3 areas = 30 slots. Filled: 2+2+2 (M blank)+2+2+2+1+2+0+2
#   = 17 -> 17/30 = 56.67%, families 1, 2, 3, 4, 5, 8 = 6.
# Reviewed in Q1 (latest worker/joint taf up to 30 Jun is in Q1), change vs first baseline:
#   1: 101 H4 I4 -> 103 H2 I3: (2 + 1)/2 = +1.5, overall baseline 4.0
#   2: 201 H3 I3 -> 203 H3 I4: (0 - 1)/2 = -0.5, baseline 3.0
#   3: 301 H5 I5 -> 302 H5 I5:  0.0,             baseline 5.0
#   4: 401 H4 I5 -> 403 H4 I4: (0 + 1)/2 = +0.5, baseline 4.5
#   8: 801 H5 I4 -> 805 H2 I2: (3 + 2)/2 = +2.5, baseline 4.5
#   Every family has 2 of the 3 areas paired (2's M is blank): all 5 can be classified.
#   RCI = change / S_diff 0.25: 1 -> 6.0, 2 -> -2.0, 3 -> 0, 4 -> 2.0, 8 -> 10.0:
#   reliably better 1, 4, 8 = 3 of 5 = 60%; reliably worse 2; no reliable change 3.
#   Mean change 4.0/5 = 0.8; SD (ddof 1): deviations .7 -1.3 -.8 -.3 1.7, squares sum 5.8,
#     var 1.45, SD 1.204159, se 1.204159 / sqrt(5) = 0.538516.
# Plan outcomes: closed 2, wholly achieved 1 = 50%, dropped out 1 = 50%.
# Goals given an outcome in Q1: 1 wholly, 2 wholly, 2 partially, 3 dropped out = 4;
#   wholly 2 -> 50%, families 1, 2, 3 = 3.
# Referrals on per 100 worked with: 100 x 3 / 6 = 50.
# Cost £12,000 (the custom April cost is not Q1's): per hour 12000/10 = 1200; per family
#   12000/6 = 2000; per family reliably better off 12000/3 = 4000, with se by the delta
#   method 4000 x sqrt(3 x (1 - 3/5)) / 3 = 4000 x sqrt(1.2) / 3 = 1460.593.
# --------------------------------------------------------------------------------------

Q1_EXPECTED = {
    "families_worked_with": {
        "value": 6,
        "families": 6,
        "parts": {
            "Area: Northfield": 3,
            "Area: Riverside": 3,
            "Tier: tier 2": 4,
            "Tier: tier 2-3": 1,
            "Tier: tier 3": 1,
            "Age: 0-4": 2,
            "Age: 5-10": 2,
            "Age: 11-15": 1,
            "Age: Not recorded": 1,
            "Referred by: GP": 1,
            "Referred by: Health visitor": 1,
            "Referred by: Police": 1,
            "Referred by: School": 2,
            "Referred by: Self": 1,
        },
    },
    "new_families": {
        "value": 2,
        "families": 2,
        "parts": {
            "Area: Northfield": 1,
            "Area: Riverside": 1,
            "Tier: tier 2": 1,
            "Tier: tier 2-3": 1,
            "Age: 0-4": 1,
            "Age: Not recorded": 1,
            "Referred by: Police": 1,
            "Referred by: Self": 1,
        },
    },
    "baselines_completed": {"value": 3, "families": 2},
    "reviews_completed": {"value": 5, "families": 5},
    "hours_of_service": {"value": 10.0, "families": 4},
    "coordination_share": {
        "value": 55.0,
        "families": 4,
        "parts": {"Coordination (%)": 55.0, "Direct work (%)": 45.0},
    },
    "time_with_key_worker": {
        "value": 6,
        "families": 6,
        "parts": {"Under 1 month": 1, "1-3 months": 2, "3-6 months": 2, "6 months or more": 1},
    },
    "referrals_on": {"value": 3, "families": 2},
    "cases_closed": {
        "value": 2,
        "families": 2,
        "parts": {
            "Plan wholly achieved": 1,
            "Plan partially achieved": 0,
            "Plan not achieved": 0,
            "Family dropped out / disengaged": 1,
            "Stepped up to specialist services": 0,
            "Moved away": 0,
        },
    },
    "re_referrals": {"value": 1, "families": 1},
    "median_days_to_baseline": {"value": 11.0, "families": 2},
    "reviews_on_time": {"value": 40.0, "families": 4, "number": 2, "base": 5},
    "engaged": {"value": 500 / 6, "families": 6, "number": 5, "base": 6},
    "satisfaction_mean": {"value": 3.5, "families": 3, "se": math.sqrt(5 / 3) / 2},
    "satisfied_share": {"value": 50.0, "families": 3, "number": 2, "base": 4},
    "feedback_response_rate": {"value": 50.0, "families": 6, "number": 3, "base": 6},
    "own_view": {
        "value": 100 * 2 / 6,
        "families": 6,
        "number": 2,
        "base": 6,
        "parts": {"Sent from their own phone": 1, "Entered by the key worker": 1},
    },
    "data_completeness": {"value": 1700 / 30, "families": 6, "number": 17, "base": 30},
    "reliable_improvement": {
        "value": 60.0,
        "families": 5,
        "number": 3,
        "base": 5,
        "parts": {
            "Reliably better": 3,
            "Reliably worse": 1,
            "No reliable change": 1,
            "Not classifiable (under half the areas scored at both ends)": 0,
        },
    },
    "mean_distance_travelled": {"value": 0.8, "families": 5, "se": math.sqrt(1.45 / 5)},
    "plan_outcomes": {
        "value": 50.0,
        "families": 2,
        "number": 1,
        "parts": {
            "Plan wholly achieved": 1,
            "Plan wholly achieved (%)": 50.0,
            "Plan partially achieved": 0,
            "Plan partially achieved (%)": 0.0,
            "Plan not achieved": 0,
            "Plan not achieved (%)": 0.0,
            "Family dropped out / disengaged": 1,
            "Family dropped out / disengaged (%)": 50.0,
        },
        "base": 2,
    },
    "goals_achieved": {"value": 50.0, "families": 3, "number": 2, "base": 4},
    "referrals_on_per_100": {"value": 50.0, "families": 6, "number": 3},
    "cost_per_hour": {
        "value": 1200.0,
        "families": 4,
    },
    "cost_per_family": {
        "value": 2000.0,
        "families": 6,
    },
    "cost_per_reliable_improvement": {
        "value": 4000.0,
        "families": 5,
        "se": 4000 * math.sqrt(1.2) / 3,
    },
    # This service recorded no referral pathway and no quality assurance: each of those
    # measures says so in words, never 0 (worked by hand in test_reportcard_quality.py).
    # Family 5, referred on 2 Jun, is the one referral of the quarter.
    "panel_referrals": {
        "value": None,
        "families": 0,
        "note": "No panel referral dates are recorded for these families.",
    },
    "multi_agency_packages": {
        "value": None,
        "families": 0,
        "note": "No family worked with has a multi-agency package recorded.",
    },
    "inappropriate_referrals": {
        "value": None,
        "families": 0,
        "note": "No family referred in this period has a referral outcome recorded.",
    },
    "days_to_first_contact": {
        "value": None,
        "families": 0,
        "parts": {
            "Referred with a first contact": 0,
            "Referred, no first contact recorded (not counted)": 1,
        },
        "note": "No family referred in this period has a first contact recorded.",
    },
    "closure_audits_completed": {
        "value": None,
        "families": 0,
        "number": 0,
        "base": 0,
        "parts": {"Completed": 0, "Waiting": 0},
        "note": "No closure audits fell due in this period.",
    },
    **{
        f"case_files_{quality}": {
            "value": None,
            "families": 0,
            "number": 0,
            "base": 0,
            "parts": {
                "Outstanding": 0,
                "Good": 0,
                "Requires improvement": 0,
                "Inadequate": 0,
                "Sampled, not yet rated": 0,
            },
            "note": "No case file sampled for this period has been rated.",
        }
        for quality in ("engagement", "multi_agency", "innovation")
    },
    **{
        f"stakeholders_{question}": {
            "value": None,
            "families": 0,
            "number": 0,
            "base": 0,
            "parts": {
                "Key workers: Good or Very good": 0,
                "Key workers: Poor or Fair": 0,
                "Panel members: Good or Very good": 0,
                "Panel members: Poor or Fair": 0,
            },
            "note": "No feedback from key workers or panel members covers this period.",
        }
        for question in ("pathway", "multi_agency")
    },
}


def _approx(expected):
    if isinstance(expected, dict):
        return {key: _approx(value) for key, value in expected.items()}
    return expected if expected is None else pytest.approx(expected)


def test_every_measure_has_a_hand_worked_figure():
    assert set(Q1_EXPECTED) == set(MEASURES_BY_KEY)
    assert len(MEASURES) == 36


@pytest.mark.parametrize("spec", MEASURES, ids=lambda spec: spec.key)
def test_measure_in_q1(data, spec):
    expected = Q1_EXPECTED[spec.key]
    result = spec.compute(data, Q1)
    assert result.value == _approx(expected["value"])
    assert result.families == expected["families"]
    assert result.number == _approx(expected.get("number"))
    assert result.parts == _approx(expected.get("parts", {}))
    assert result.base == _approx(expected.get("base"))
    assert result.se == _approx(expected.get("se"))
    assert result.note == expected.get("note", "")


def test_better_off_is_reliably_better_against_the_yardstick_given():
    # With S_diff 0.5 a change must pass 0.98: family 4's +0.5 and family 2's -0.5 are now
    # within noise, so 2 of 5 (1 and 8) are reliably better and nobody reliably worse.
    wider = Yardstick(0.5, 0.5, "internal consistency", "a wider yardstick", 8)
    result = MEASURES_BY_KEY["reliable_improvement"].compute(make_data(yardstick=wider), Q1)
    assert (result.value, result.number, result.base) == (40.0, 2, 5)
    assert result.parts["Reliably worse"] == 0
    assert result.parts["No reliable change"] == 3


def test_a_family_with_under_half_the_areas_paired_is_counted_not_classified():
    # Family 3's review scores housing only: 1 of 3 areas paired, under half. It is counted
    # as not classifiable, and the share is of the 4 others: 3 of 4 = 75%. Its change still
    # counts in the mean distance travelled (the mean of its paired areas, 0).
    only_housing = [
        (302, 3, "taf-dtt", "review", "2025-04-07", "worker", {H: 5}) if row[0] == 302 else row
        for row in ASSESSMENTS
    ]
    data = make_data(assessments=only_housing)
    result = MEASURES_BY_KEY["reliable_improvement"].compute(data, Q1)
    assert (result.value, result.families, result.number, result.base) == (75.0, 4, 3, 4)
    assert result.parts["Not classifiable (under half the areas scored at both ends)"] == 1
    assert MEASURES_BY_KEY["mean_distance_travelled"].compute(data, Q1).families == 5


def test_better_off_when_the_yardstick_cannot_be_had():
    # Fewer than two baselines in the service: no reference SD, no S_diff, no judgement.
    unknown = Yardstick(None, 0.7, "conservative default", "a conservative default", 1)
    result = MEASURES_BY_KEY["reliable_improvement"].compute(make_data(yardstick=unknown), Q1)
    assert (result.value, result.number, result.families) == (None, None, 5)
    assert result.note == unknown.caption()
    cost = MEASURES_BY_KEY["cost_per_reliable_improvement"].compute(
        make_data(yardstick=unknown), Q1
    )
    assert cost.value is None


def _one_family_reviewed(reviews: list[str], closed: str) -> ReportData:
    """One family baselined on 1 Jan 2025 with worker reviews on ``reviews``."""
    return make_data(
        families=[
            (
                1,
                "Northfield",
                "tier 2",
                "5-10",
                "School",
                "2024-12-20",
                closed,
                "wholly_achieved",
                None,
            )
        ],
        assessments=[
            (1, 1, "taf-dtt", "baseline", "2025-01-01", "worker", {H: 4, I: 4}),
            *[
                (2 + n, 1, "taf-dtt", "review", day, "worker", {H: 3, I: 3})
                for n, day in enumerate(reviews)
            ],
        ],
    )


def test_reviews_on_time_judges_each_due_date_on_its_own():
    # Due 1 Feb, 1 May, 1 Aug, 1 Nov 2025 (closed 1 Dec). Reviews on 1 Feb, 1 Aug and 1 Nov:
    # one missed review. Matching the n-th review to the n-th due date made every later one
    # late, 1 of 4 = 25%; each due date judged on its own is met 3 times in 4 = 75%.
    data = _one_family_reviewed(["2025-02-01", "2025-08-01", "2025-11-01"], "2025-12-01")
    year = Period(date(2025, 1, 1), date(2025, 12, 31), "2025")
    result = MEASURES_BY_KEY["reviews_on_time"].compute(data, year)
    assert (result.value, result.number, result.base, result.families) == (75.0, 3, 4, 1)


def test_a_due_date_still_within_its_14_days_is_not_counted_yet():
    # Due 1 Feb (met on the day) and 1 May (no review). Drawn up on 15 Jul, both are decided:
    # 1 of 2 = 50%. Drawn up on 10 May, 1 May's window (to 15 May) is still open, so it is
    # not counted yet: 1 of 1 = 100%, and the note says one is waiting.
    data = _one_family_reviewed(["2025-02-01"], None)
    spring = Period(date(2025, 1, 1), date(2025, 5, 31), "spring")
    assert MEASURES_BY_KEY["reviews_on_time"].compute(data, spring).value == 50.0
    early = dataclasses.replace(data, today=date(2025, 5, 10), memo={})
    result = MEASURES_BY_KEY["reviews_on_time"].compute(early, spring)
    assert (result.value, result.number, result.base) == (100.0, 1, 1)
    assert result.note == "1 due date still within 14 days, not counted yet."


def test_time_with_key_worker_counts_a_family_not_yet_baselined(data):
    """Every family worked with falls in one band, as the docstring says.

    2024-25 Q4 (1 Jan to 31 Mar 2025), worked with 1, 2, 3, 4, 6, 8. Family 4 was referred on
    20 Mar but first baselined on 3 Apr, after the quarter. By 31 Mar it had no baseline, so
    its time runs from its referral: 11 days -> under 1 month.
      1: 20 Jan -> 31 Mar = 70 d = 2.30 m -> 1-3
      2:  1 Feb -> 31 Mar = 58 d = 1.91 m -> 1-3
      3: 17 Feb -> 31 Mar = 42 d = 1.38 m -> 1-3
      4: 20 Mar (referral) -> 31 Mar = 11 d -> under 1
      6: 17 Jun 2024 -> 14 Mar 2025 (closed) = 197 + 73 = 270 d = 8.87 m -> 6 or more
      8: 15 Jul 2024 -> 31 Mar 2025 = 184 + 75 = 259 d = 8.51 m -> 6 or more
    """
    result = MEASURES_BY_KEY["time_with_key_worker"].compute(data, Q4)
    assert result.value == 6
    assert result.parts == {
        "Under 1 month": 1,
        "1-3 months": 3,
        "3-6 months": 0,
        "6 months or more": 2,
    }


# --------------------------------------------------------------------------- edge cases


def test_a_period_with_no_reviews(data):
    # 2024-25 Q1: families 7 and 6 were worked with; 6 had only its baseline (17 Jun 2024).
    assert MEASURES_BY_KEY["families_worked_with"].compute(data, NO_REVIEWS).value == 2
    better = MEASURES_BY_KEY["reliable_improvement"].compute(data, NO_REVIEWS)
    assert (better.value, better.families, better.number) == (None, 0, None)
    assert better.note == "No families were reviewed in this period."
    for key in ("reliable_improvement", "mean_distance_travelled"):
        result = MEASURES_BY_KEY[key].compute(data, NO_REVIEWS)
        assert (result.value, result.families) == (None, 0)
    assert MEASURES_BY_KEY["reviews_completed"].compute(data, NO_REVIEWS).value == 0


def test_no_cost_entered(data):
    # No cost was entered for 2024-25 Q1, though 2 families were worked with.
    for key in (
        "cost_per_hour",
        "cost_per_family",
        "cost_per_reliable_improvement",
    ):
        result = MEASURES_BY_KEY[key].compute(data, NO_REVIEWS)
        assert result.value is None
        assert result.number is None
        assert result.note == "No programme cost entered for this period."
    assert MEASURES_BY_KEY["cost_per_family"].compute(data, NO_REVIEWS).families == 2


def test_no_cost_at_all():
    data = make_data(costs=[])
    result = MEASURES_BY_KEY["cost_per_family"].compute(data, Q1)
    assert result.value is None
    assert result.note == "No programme cost entered for this period."


def test_zero_hours(data):
    # 2024-25 Q3: families 6 and 8 worked with; one activity of 0 hours (family 8); £3,000.
    hours = MEASURES_BY_KEY["hours_of_service"].compute(data, ZERO_HOURS)
    assert (hours.value, hours.families) == (0.0, 1)
    share = MEASURES_BY_KEY["coordination_share"].compute(data, ZERO_HOURS)
    assert share.value is None
    assert share.parts == {"Coordination (%)": None, "Direct work (%)": None}
    assert share.note == "No hours recorded in this period."
    per_hour = MEASURES_BY_KEY["cost_per_hour"].compute(data, ZERO_HOURS)
    assert per_hour.value is None
    assert per_hour.note == "No hours of service in this period."
    # The cost is there: per family it is 3000 / 2 = 1500.
    per_family = MEASURES_BY_KEY["cost_per_family"].compute(data, ZERO_HOURS)
    assert (per_family.value, per_family.families) == (1500.0, 2)


def test_zero_hours_with_no_activity_rows():
    data = make_data(activities=[row for row in ACTIVITIES if row[1] != "2024-12-01"])
    per_hour = MEASURES_BY_KEY["cost_per_hour"].compute(data, ZERO_HOURS)
    assert (per_hour.value, per_hour.families) == (None, 0)
    assert per_hour.note == "No hours of service in this period."


COUNTS_WHEN_EMPTY = {
    "families_worked_with": 0,
    "new_families": 0,
    "baselines_completed": 0,
    "reviews_completed": 0,
    "hours_of_service": 0.0,
    "time_with_key_worker": 0,
    "referrals_on": 0,
    "cases_closed": 0,
    "re_referrals": 0,
}
NOTES_WHEN_EMPTY = {
    "coordination_share": "No hours recorded in this period.",
    "reviews_on_time": "No reviews fell due in this period.",
    "reliable_improvement": "No families were reviewed in this period.",
    "mean_distance_travelled": "No families were reviewed in this period.",
    # 2022-23 Q2 has a cost of £1,000, so the cost measures say what is missing instead.
    "cost_per_hour": "No hours of service in this period.",
    "cost_per_family": "No families worked with in this period.",
    "cost_per_reliable_improvement": "No families reliably better off in this period.",
    # Every other measure with nothing to go on says so in words, never "*".
    "median_days_to_baseline": "No families were first baselined in this period.",
    "engaged": "No family worked with had a baseline by the period end.",
    "satisfaction_mean": "No questionnaires were returned in this period.",
    "satisfied_share": "No questionnaires were returned in this period.",
    "feedback_response_rate": "No families worked with in this period.",
    "data_completeness": "No assessments in this period.",
    "own_view": "No family worked with had an assessment in this period.",
    "plan_outcomes": "No cases closed in this period.",
    "goals_achieved": "No plan goals were given an outcome in this period.",
    "referrals_on_per_100": "No families worked with in this period.",
    "panel_referrals": "No panel referral dates are recorded for these families.",
    "multi_agency_packages": "No family worked with has a multi-agency package recorded.",
    "inappropriate_referrals": "No family referred in this period has a referral outcome recorded.",
    "days_to_first_contact": "No families were referred in this period.",
    "closure_audits_completed": "No closure audits fell due in this period.",
    **dict.fromkeys(
        ("case_files_engagement", "case_files_multi_agency", "case_files_innovation"),
        "No case file sampled for this period has been rated.",
    ),
    **dict.fromkeys(
        ("stakeholders_pathway", "stakeholders_multi_agency"),
        "No feedback from key workers or panel members covers this period.",
    ),
}


@pytest.mark.parametrize("spec", MEASURES, ids=lambda spec: spec.key)
def test_a_period_with_no_families(data, spec):
    result = spec.compute(data, EMPTY)
    assert result.families == 0
    if spec.key in COUNTS_WHEN_EMPTY:
        assert result.value == COUNTS_WHEN_EMPTY[spec.key]
    else:
        assert result.value is None
    assert result.note == NOTES_WHEN_EMPTY.get(spec.key, "")
    assert all(part in (0, None) for part in result.parts.values())


def test_empty_breakdowns_when_no_families(data):
    assert MEASURES_BY_KEY["families_worked_with"].compute(data, EMPTY).parts == {}
    assert MEASURES_BY_KEY["time_with_key_worker"].compute(data, EMPTY).parts == {
        "Under 1 month": 0,
        "1-3 months": 0,
        "3-6 months": 0,
        "6 months or more": 0,
    }


def current_values(card) -> dict:
    return {result.spec.key: result.current.value for result in card.measures}


VALUES_WHEN_NOBODY_IS_IN_SCOPE = {spec.key: COUNTS_WHEN_EMPTY.get(spec.key) for spec in MEASURES}


def test_a_card_for_a_scope_with_no_families():
    """A scope nobody is in (a key worker type no one has, say) gives a card with no values:
    counts of 0 and everything else blank, now, in the previous quarter and in the history."""
    nobody = make_data(
        families=[],
        assessments=[],
        activities=[],
        referrals_on=[],
        feedback=[],
        goals=[],
        costs=[],
    )
    card = build_card(nobody, Q1, Scope("key_worker_type", "social_work"), min_group=5)
    assert current_values(card) == VALUES_WHEN_NOBODY_IS_IN_SCOPE
    for result in card.measures:
        expected = COUNTS_WHEN_EMPTY.get(result.spec.key)
        assert result.current.families == 0, result.spec.key
        assert result.previous.value == expected, result.spec.key
        assert [value for _, value in result.history] == [expected] * 8, result.spec.key
    no_cost = "No programme cost entered for this period."
    assert {result.spec.key: result.current.note for result in card.measures} == {
        spec.key: no_cost if spec.quadrant == "cost" else NOTES_WHEN_EMPTY.get(spec.key, "")
        for spec in MEASURES
    }


# --------------------------------------------------------------------------- suppress


@pytest.mark.parametrize("families", [1, 2, 4])
def test_suppress_hides_a_value_on_too_few_families(families):
    value = Value(60.0, families, number=1, parts={"a": 1, "b": 3}, note="kept?")
    hidden = suppress(value, 5)
    assert hidden.value is None
    assert hidden.number is None
    assert hidden.families == families
    assert hidden.parts == {"a": "*", "b": "*"}
    assert hidden.note == "* hidden to protect families: fewer than 5 families."
    assert (hidden.hidden, hidden.reason) == (True, "hidden to protect families")


def test_suppress_keeps_zero_families():
    value = Value(0, 0, parts={"Under 1 month": 0})
    kept = suppress(value, 5)
    assert (kept.value, kept.families, kept.parts) == (0, 0, {"Under 1 month": 0})
    assert suppress(Value(None, 0, note="No reviews."), 5).note == "No reviews."


def test_suppress_hides_small_counts_in_parts_only():
    # 5 families is enough; counts of 1-4 in the parts are hidden, 0 and 5+ are not,
    # and percentages (floats) are left alone.
    value = Value(
        50.0,
        5,
        number=6,
        parts={"big": 7, "edge": 5, "small": 4, "one": 1, "zero": 0, "share (%)": 12.5},
        note="a note",
    )
    kept = suppress(value, 5)
    assert (kept.value, kept.families, kept.number, kept.note) == (50.0, 5, 6, "a note")
    assert kept.parts == {
        "big": 7,
        "edge": 5,
        "small": "*",
        "one": "*",
        "zero": 0,
        "share (%)": 12.5,
    }


def test_suppress_with_min_group_one_hides_nothing():
    value = Value(3, 1, parts={"x": 1})
    kept = suppress(value, 1)
    assert (kept.value, kept.parts) == (3, {"x": 1})


# --------------------------------------------------------------------------- the card

HISTORY_LABELS = [
    "2023-24 Q2",
    "2023-24 Q3",
    "2023-24 Q4",
    "2024-25 Q1",
    "2024-25 Q2",
    "2024-25 Q3",
    "2024-25 Q4",
    "2025-26 Q1",
]


@pytest.fixture
def card(data):
    return build_card(
        data,
        Q1,
        Scope(),
        min_group=2,
        targets={"reliable_improvement": 70.0, "cost_per_family": 1800.0},
    )


def result_of(card, key):
    (found,) = [result for result in card.measures if result.spec.key == key]
    return found


def test_card_periods_and_measures(card):
    assert card.period == Q1
    assert card.previous_period == previous(Q1) == Q4
    assert card.min_group == 2
    assert [result.spec.key for result in card.measures] == [spec.key for spec in MEASURES]
    assert card.story == dict.fromkeys(STORY_FIELDS, "")
    assert card.yardstick == YARDSTICK
    assert card.forecast_quarters == ("2025-26 Q2", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1")


def test_card_history_targets_and_forecasts(card):
    targets = {"reliable_improvement": 70.0, "cost_per_family": 1800.0}
    for result in card.measures:
        assert [label for label, _ in result.history] == HISTORY_LABELS
        assert result.target == targets.get(result.spec.key)
        known = sum(value is not None for _, value in result.history)
        assert result.known == known
        if known < 4:
            assert result.forecast is None, result.spec.key
        else:
            assert len(result.forecast.values) == 4, result.spec.key
            assert result.forecast.used == known


def test_card_families_worked_with_history(card):
    # Worked with per quarter: 2023-24 Q2-Q4 family 7 only (1, hidden with min_group 2);
    # 2024-25 Q1 7 and 6; Q2 and Q3 6 and 8; Q4 1, 2, 3, 4, 6, 8; 2025-26 Q1 six (above).
    result = result_of(card, "families_worked_with")
    assert [value for _, value in result.history] == [None, None, None, 2, 2, 2, 6, 6]
    # Line through (3, 2), (4, 2), (5, 2), (6, 6), (7, 6): mean x 5, mean y 3.6,
    # Sxy = (-2)(-1.6) + (-1)(-1.6) + 0 + (1)(2.4) + (2)(2.4) = 12, Sxx = 10, slope 1.2,
    # intercept 3.6 - 6 = -2.4 -> x = 8..11: 7.2, 8.4, 9.6, 10.8.
    assert result.forecast.values == pytest.approx([7.2, 8.4, 9.6, 10.8])
    # The three hidden quarters are suppressed, not missing, and the line leaves them out.
    assert result.suppressed == ("2023-24 Q2", "2023-24 Q3", "2023-24 Q4")
    assert result.missing == ()
    assert (result.current.value, result.previous.value, result.trend) == (6, 6, "same")
    # Parts of 1 family are hidden with min_group 2.
    assert result.current.parts["Tier: tier 2"] == 4
    assert result.current.parts["Tier: tier 3"] == "*"


def test_card_better_off_history(card):
    # Reviewed in 2024-25 Q2 and Q3: family 8 alone (hidden). In Q4: 8 (+1.0: H5 I4 -> H4 I3),
    # 1 (+0.5), 2 (0), 6 (+0.5: H4 I4 -> H3 I4); 3 had no review yet. Against S_diff 0.25
    # (beyond 0.49), 8, 1 and 6 are reliably better -> 3 of 4 = 75%.
    result = result_of(card, "reliable_improvement")
    assert [value for _, value in result.history] == [None] * 6 + [75.0, 60.0]
    assert result.forecast is None  # two known points only
    assert result.suppressed == ("2024-25 Q2", "2024-25 Q3")
    assert result.missing == ("2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1")
    assert (result.current.value, result.previous.value) == (60.0, 75.0)
    # 3 of 5 against 3 of 4: -15 points, well within the noise of so few families.
    assert result.change.difference == pytest.approx(-15.0)
    assert result.trend == "same"
    assert result.target == 70.0


def test_card_suppresses_and_compares_costs(card):
    # Re-referrals in Q1 rest on one family: hidden with min_group 2.
    hidden = result_of(card, "re_referrals").current
    assert hidden.value is None
    assert hidden.note == "* hidden to protect families: fewer than 2 families."
    # Cost per family: Q1 12000/6 = 2000, Q4 9000/6 = 1500; higher is worse.
    cost = result_of(card, "cost_per_family")
    assert (cost.current.value, cost.previous.value, cost.trend) == (2000.0, 1500.0, "worse")


def test_card_as_dict(card):
    exported = card_as_dict(card)
    assert set(exported) == {
        "audience",
        "stamp",
        "legend",
        "period",
        "scope",
        "yardstick",
        "how_much",
        "how_well",
        "better_off",
        "cost",
        "story",
    }
    assert exported["yardstick"] == {
        "reference_sd": 0.25,
        "reliability": 0.5,
        "reliability_kind": "internal consistency",
        "source": "a hand-made yardstick",
        "n_reference": 8,
        "s_diff": pytest.approx(0.25),
        "caption": YARDSTICK.caption(),
    }
    assert exported["period"] == {
        "label": "2025-26 Q1",
        "start": "2025-04-01",
        "end": "2025-06-30",
        "previous": "2024-25 Q4",
    }
    assert exported["scope"]["label"] == "Whole service"
    assert exported["scope"]["value"] is None
    assert [len(exported[key]) for key in ("how_much", "how_well", "better_off", "cost")] == [
        13,
        15,
        5,
        3,
    ]
    (better,) = [item for item in exported["better_off"] if item["key"] == "reliable_improvement"]
    assert better["label"] == "Families reliably better off"
    assert (better["value"], better["previous"], better["trend"]) == (60.0, 75.0, "same")
    assert (better["number"], better["base"]) == (3, 5)
    assert better["change"]["difference"] == pytest.approx(-15.0)
    assert better["change"]["unit"] == "percentage points"
    low, high = newcombe_difference(3, 5, 3, 4)
    assert (better["change"]["ci_low"], better["change"]["ci_high"]) == pytest.approx(
        (100 * low, 100 * high)
    )
    assert better["history"][-1] == {"quarter": "2025-26 Q1", "value": 60.0, "reason": None}
    # Hidden quarters are "*", quarters with nothing to go on say so in words.
    assert better["history"][4] == {
        "quarter": "2024-25 Q2",
        "value": "*",
        "reason": "hidden to protect families",
    }
    assert better["history"][0] == {
        "quarter": "2023-24 Q2",
        "value": None,
        "reason": "No families reviewed",
    }
    assert exported["audience"] == "service"
    assert exported["stamp"]["Audience"] == "service: not for publication"
    assert better["forecast"] == {
        "drawn": False,
        "quarters": [],
        "value": None,
        "pi_low": None,
        "pi_high": None,
        "interval": 0.8,
        "known_quarters": 2,
        "min_known_quarters": 4,
        "suppressed_quarters": ["2024-25 Q2", "2024-25 Q3"],
        "missing_quarters": ["2023-24 Q2", "2023-24 Q3", "2023-24 Q4", "2024-25 Q1"],
    }
    (worked,) = [i for i in exported["how_much"] if i["key"] == "families_worked_with"]
    assert worked["forecast"]["drawn"] and worked["forecast"]["known_quarters"] == 5
    assert worked["forecast"]["quarters"] == list(card.forecast_quarters)
    assert set(exported["story"]) == set(STORY_FIELDS.values())


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    ("kind", "value"),
    [("region", "North"), ("service", "Northfield"), ("area", ""), ("key_worker_type", "")],
)
def test_bad_scopes(kind, value):
    with pytest.raises(ValueError):
        Scope(kind, value)


def test_scope_labels():
    assert Scope().label == "Whole service"
    assert Scope("key_worker_type", "health").label == "Key worker type: Health"
    assert Scope("key_worker_type", "family_support").label == "Key worker type: Family support"
    assert Scope("area", "Northfield").label == "Area: Northfield"
    assert Scope("tier_of_need", "tier 2").label == "Tier of need: tier 2"


# --------------------------------------------------------------------------- saved settings

NORTHFIELD = Scope("area", "Northfield")
SERVICE = Scope()


@pytest.fixture
def two_families(engine):
    # Northfield (health key worker) and Riverside (social work), both open since early 2025.
    with Session(engine) as session:
        health = KeyWorker(name="Hana Health", background="health")
        social = KeyWorker(name="Sam Social", background="social_work")
        session.add_all([health, social])
        session.flush()
        session.add_all(
            [
                Family(
                    family_ref="F1",
                    area="Northfield",
                    tier_of_need="tier 2",
                    referral_source="School",
                    referral_date=date(2025, 1, 6),
                    key_worker_id=health.id,
                ),
                Family(
                    family_ref="F2",
                    area="Riverside",
                    tier_of_need="tier 3",
                    referral_source="GP",
                    referral_date=date(2025, 2, 1),
                    key_worker_id=social.id,
                ),
            ]
        )
        session.commit()
    return engine


def _rows(engine, model):
    with Session(engine) as session:
        return session.execute(sa.select(model)).scalars().all()


def _cost_per_family(engine, scope, period):
    with engine.connect() as connection:
        data = load_report_data(connection, scope, TAF, today=TODAY)
    return MEASURES_BY_KEY["cost_per_family"].compute(data, period)


def test_saved_cost_is_used_for_its_period_and_scope_only(two_families):
    engine = two_families
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q1, scope=SERVICE, amount=6000, note=" Budget ")
        save_cost(session, actor="tester", period=Q1, scope=NORTHFIELD, amount=999)
        session.commit()
    # Whole service, Q1: 6000 / 2 families = 3000.
    service_q1 = _cost_per_family(engine, SERVICE, Q1)
    # The cost itself is not a count of families, so it is not carried as ``number``.
    assert (service_q1.value, service_q1.number, service_q1.families) == (3000.0, None, 2)
    # Northfield, Q1: its own 999 over its one family.
    area_q1 = _cost_per_family(engine, NORTHFIELD, Q1)
    assert (area_q1.value, area_q1.families) == (999.0, 1)
    # No cost for Q4, for Riverside, or for a custom period with another end date.
    for scope, period in (
        (SERVICE, Q4),
        (Scope("area", "Riverside"), Q1),
        (SERVICE, Period(Q1.start, date(2025, 6, 29), "1 April to 29 June")),
    ):
        missing = _cost_per_family(engine, scope, period)
        assert missing.value is None
        assert missing.note == "No programme cost entered for this period."


def test_the_card_measures_every_scope_against_the_service_yardstick(sample_engine):
    # The yardstick is the whole service's: a scope's card, the service's card and the
    # cohort's yardstick are one and the same, never re-estimated from the scope.
    taf = get_instrument("taf-dtt")
    with sample_engine.connect() as connection:
        service = service_yardstick(connection, taf)
        area = connection.execute(sa.select(Family.area).limit(1)).scalar_one()
        cards = [
            report_card(connection, Q1, scope, taf, min_group=5, today=TODAY)
            for scope in (Scope(), Scope("area", area))
        ]
    assert service.s_diff is not None
    assert [card.yardstick for card in cards] == [service, service]


def test_a_card_from_the_database_for_a_scope_nobody_is_in(two_families):
    # Neither family has a youth-work key worker: nothing is loaded and nothing is shown.
    with two_families.connect() as connection:
        card = report_card(
            connection, Q1, Scope("key_worker_type", "youth_work"), TAF, min_group=5, today=TODAY
        )
    assert current_values(card) == VALUES_WHEN_NOBODY_IS_IN_SCOPE


def test_save_cost_replaces_the_earlier_figure(engine):
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q1, scope=SERVICE, amount=6000, note=" Budget ")
        session.commit()
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q1, scope=SERVICE, amount=6500.5, note="  ")
        session.commit()
    (row,) = _rows(engine, ProgrammeCost)
    assert (row.period_start, row.period_end) == (Q1.start, Q1.end)
    assert (row.scope_kind, row.scope_value, row.amount, row.note) == ("service", "", 6500.5, None)


def test_save_cost_stores_the_trimmed_note(engine):
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q1, scope=NORTHFIELD, amount=0, note=" Budget ")
        session.commit()
    (row,) = _rows(engine, ProgrammeCost)
    assert (row.scope_kind, row.scope_value, row.amount, row.note) == (
        "area",
        "Northfield",
        0.0,
        "Budget",
    )


@pytest.mark.parametrize("amount", [-1, -0.01, None])
def test_bad_cost_writes_nothing(engine, amount):
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q4, scope=SERVICE, amount=100)
        session.commit()
    with Session(engine) as session:
        with pytest.raises(RecordInvalid) as raised:
            save_cost(session, actor="tester", period=Q1, scope=SERVICE, amount=amount)
        with pytest.raises(RecordInvalid):
            save_cost(session, actor="tester", period=Q4, scope=SERVICE, amount=amount)
        session.commit()
    assert set(raised.value.problems) == {"amount"}
    (row,) = _rows(engine, ProgrammeCost)
    assert (row.period_start, row.amount) == (Q4.start, 100.0)


def test_save_target_set_replace_and_clear(engine):
    with Session(engine) as session:
        save_target(
            session, actor="tester", measure="reliable_improvement", scope=SERVICE, target=70
        )
        save_target(
            session, actor="tester", measure="reliable_improvement", scope=NORTHFIELD, target=50
        )
        session.commit()
    with engine.connect() as connection:
        assert load_targets(connection, SERVICE) == {"reliable_improvement": 70.0}
        assert load_targets(connection, NORTHFIELD) == {"reliable_improvement": 50.0}
    with Session(engine) as session:
        save_target(
            session, actor="tester", measure="reliable_improvement", scope=SERVICE, target=75.5
        )
        session.commit()
    assert len(_rows(engine, MeasureTarget)) == 2
    with engine.connect() as connection:
        assert load_targets(connection, SERVICE) == {"reliable_improvement": 75.5}
    with Session(engine) as session:
        save_target(
            session, actor="tester", measure="reliable_improvement", scope=SERVICE, target=None
        )
        save_target(
            session, actor="tester", measure="engaged", scope=SERVICE, target=None
        )  # nothing to clear
        session.commit()
    with engine.connect() as connection:
        assert load_targets(connection, SERVICE) == {}
        assert load_targets(connection, NORTHFIELD) == {"reliable_improvement": 50.0}


def test_unknown_measure_target_writes_nothing(engine):
    with Session(engine) as session:
        with pytest.raises(RecordInvalid) as raised:
            save_target(session, actor="tester", measure="happiness", scope=SERVICE, target=10)
        session.commit()
    assert set(raised.value.problems) == {"measure"}
    assert _rows(engine, MeasureTarget) == []


def test_a_cost_note_longer_than_its_column_is_refused_and_nothing_is_written(engine):
    most = longest(ProgrammeCost.note)
    with Session(engine) as session:
        with pytest.raises(RecordInvalid) as raised:
            save_cost(
                session, actor="tester", period=Q1, scope=SERVICE, amount=10, note="x" * (most + 1)
            )
        session.commit()
    assert f"{most:,} characters" in raised.value.problems["note"]
    assert _rows(engine, ProgrammeCost) == []
    with Session(engine) as session:
        save_cost(session, actor="tester", period=Q1, scope=SERVICE, amount=10, note="x" * most)
        session.commit()
    assert len(_rows(engine, ProgrammeCost)[0].note) == most


def test_a_story_longer_than_its_column_is_refused(engine):
    most = longest(ReportStory.text)
    with Session(engine) as session, pytest.raises(RecordInvalid) as raised:
        save_story(
            session, period=Q1, scope=SERVICE, story={"working": "x" * (most + 1)}, author="m"
        )
    assert f"{most:,} characters" in raised.value.problems["story"]


def test_save_story_round_trip(engine):
    with Session(engine) as session:
        save_story(
            session,
            period=Q1,
            scope=SERVICE,
            story={"working": "  Groups are full. ", "difficulties": "A waiting list."},
            author="manager",
        )
        session.commit()
    with Session(engine) as session:
        save_story(
            session,
            period=Q1,
            scope=SERVICE,
            story={"working": "Groups run twice a week."},
            author="deputy",
        )
        session.commit()
    with engine.connect() as connection:
        story = load_story(connection, Q1, SERVICE)
        assert set(story) == set(STORY_FIELDS)
        assert story["working"] == "Groups run twice a week."
        assert story["difficulties"] == "A waiting list."
        assert [key for key, text in story.items() if text] == ["working", "difficulties"]
        # Another period or scope has its own, empty, story.
        assert load_story(connection, Q4, SERVICE) == dict.fromkeys(STORY_FIELDS, "")
        assert load_story(connection, Q1, NORTHFIELD) == dict.fromkeys(STORY_FIELDS, "")
    rows = {row.field: row for row in _rows(engine, ReportStory)}
    assert set(rows) == {"working", "difficulties"}
    assert (rows["working"].updated_by, rows["difficulties"].updated_by) == ("deputy", "manager")


@pytest.mark.parametrize(
    "story",
    [
        {"working": "Fine.", "gossip": "Not a field."},
        {"working": "Fine.", "training": "x" * 8001},
    ],
)
def test_bad_story_writes_nothing(engine, story):
    with Session(engine) as session:
        with pytest.raises(RecordInvalid) as raised:
            save_story(session, period=Q1, scope=SERVICE, story=story, author="manager")
        session.commit()
    assert set(raised.value.problems) == {"story"}
    assert _rows(engine, ReportStory) == []


def test_suppress_hides_a_percentage_whose_count_is_small():
    # 1 of 10 families is 10%: the count and the base would name the family, so both go.
    hidden = suppress(Value(10.0, 10, number=1), 5)
    assert (hidden.value, hidden.number) == (None, None)
    assert hidden.note == "* hidden to protect families: fewer than 5 families."


def test_suppress_hides_the_percentage_of_a_hidden_part():
    value = Value(
        60.0,
        10,
        number=6,
        parts={"Moved away": 2, "Moved away (%)": 20.0, "Stayed": 8, "Stayed (%)": 80.0},
    )
    kept = suppress(value, 5)
    assert kept.parts == {
        "Moved away": "*",
        "Moved away (%)": "*",
        "Stayed": 8,
        "Stayed (%)": 80.0,
    }
