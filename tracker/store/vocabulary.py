"""The controlled vocabularies of the service, in one place.

Stored values are the keys; the labels are what people read. Keeping them
together means the importer, the database constraints and the pages agree.
"""

from __future__ import annotations

OCCASIONS = ("baseline", "review", "closure", "follow-up")
OCCASION_LABELS = {
    "baseline": "Baseline",
    "review": "Review",
    "closure": "Closure",
    "follow-up": "Follow-up",
}

# Paper forms write B, R1, R2 ...; spreadsheets often spell the word out.
OCCASION_ALIASES = {
    "b": "baseline",
    "baseline": "baseline",
    "r": "review",
    "review": "review",
    "c": "closure",
    "closure": "closure",
    "close": "closure",
    "f": "follow-up",
    "fu": "follow-up",
    "follow-up": "follow-up",
    "follow up": "follow-up",
    "followup": "follow-up",
}

RATERS = ("worker", "family", "joint")
# How the scoring form offers each rater, and how a sentence names who scored.
RATER_LABELS = {
    "worker": "Key worker",
    "family": "Family (their own view)",
    "joint": "Together (agreed)",
}
RATER_NAMES = {"worker": "key worker", "family": "family", "joint": "together"}

# The default cohort view counts the worker's and the joint ratings; the
# family's own view is reported beside them, never mixed in.
DEFAULT_RATERS = ("worker", "joint")

# When two assessments of the chosen raters share a date, the joint rating wins:
# it is the co-produced view the guidance asks services to prefer.
RATER_PRECEDENCE = {"joint": 0, "worker": 1, "family": 2}

TIERS_OF_NEED = ("tier 2", "tier 2-3", "tier 3")

CLOSURE_REASONS = {
    "wholly_achieved": "Plan wholly achieved",
    "partially_achieved": "Plan partially achieved",
    "not_achieved": "Plan not achieved",
    "dropped_out": "Family dropped out / disengaged",
    "stepped_up": "Stepped up to specialist services",
    "moved_away": "Moved away",
}

GOAL_STATUSES = {
    "open": "Open",
    "wholly_achieved": "Wholly achieved",
    "partially_achieved": "Partially achieved",
    "not_achieved": "Not achieved",
    "dropped_out": "Dropped out",
}

ACTIVITY_KINDS = {
    "coordination": "Coordination",
    "direct_work": "Direct work",
}

KEY_WORKER_BACKGROUNDS = {
    "family_support": "Family support",
    "social_work": "Social work",
    "health": "Health",
    "education": "Education",
    "youth_work": "Youth work",
    "other": "Other",
}

AGE_GROUPS = ("0-4", "5-10", "11-15", "16-19")

# Who usually refers a family: offered on the add-family form and used by the sample. The
# stored value is free text, as services name their referrers differently.
REFERRAL_SOURCES = (
    "School",
    "Health visitor",
    "GP",
    "Children's social care",
    "Police",
    "Self-referral",
    "Housing",
)

# The parts of the service a report card, its costs, targets and stories can be for.
SCOPE_KINDS = {
    "service": "Whole service",
    "area": "Area",
    "tier_of_need": "Tier of need",
    "key_worker_type": "Key worker type",
}

# Quality assurance (issue 22): closure audits, case-file sampling, team feedback, pathway.

# The inspectors' four grades, best first: each quality of a sampled case file gets one.
GRADES = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}

# A closure audit answers each question on this short scale (1 = not at all ... 4 = fully).
AUDIT_SCALE = {1: "Not at all", 2: "A little", 3: "Mostly", 4: "Fully"}
CLOSURE_AUDIT_QUESTIONS = {
    "reason": "How far was the outcome not reached for reasons within the service's reach?",
    "plan_right": "Was the plan the right one for this family?",
    "engagement": "How well did the family engage?",
    "multi_agency": "How well did other agencies support the plan? (say any gaps)",
    "differently": "How much would the service do differently next time?",
}
# Each question in a word or two, for table headings and the report card.
CLOSURE_AUDIT_HEADINGS = {
    "reason": "Within our reach",
    "plan_right": "Right plan",
    "engagement": "Engagement",
    "multi_agency": "Other agencies",
    "differently": "Do differently",
}
# A case that closes with its plan not wholly achieved gets a closure audit, to learn why.
AUDITED_CLOSURES = ("partially_achieved", "not_achieved", "dropped_out")

# What a sampled case file is judged on.
CASE_FILE_QUALITIES = {
    "engagement": "Engagement with the family",
    "multi_agency": "Multi-agency support, including any gaps",
    "innovation": "Innovation and creativity in outcome-focused solutions",
}

# The roles someone who signs in can hold (docs/security.md says what each may do).
ROLES = ("practitioner", "manager", "commissioner", "admin")

# The other key players asked for feedback, and the scale of their answers.
STAKEHOLDER_ROLES = {"key_worker": "Key worker", "panel_member": "Panel member"}
FEEDBACK_SCALE = {1: "Poor", 2: "Fair", 3: "Good", 4: "Very good"}

# What happened to a referral: taken on, or not for this service and signposted elsewhere.
REFERRAL_OUTCOMES = {
    "accepted": "Accepted",
    "inappropriate": "Inappropriate (signposted elsewhere)",
}
