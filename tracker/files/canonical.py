"""The canonical files, described once: what each kind of file holds and where it is stored.

Each kind names its file, the column that recognises it, its columns in file order with
the model column each is stored in, which columns name a row and which are its values, how
an export sorts it and what a message calls one row. Text lengths and whether a value may be
blank are read from the model's columns, and choices come from the vocabulary, so the
importer, the exporter and the sample generator all follow the model: a new column in
families.csv is the model, a migration and one line here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel

from tracker.files.validation import as_choices
from tracker.store.models import (
    PATHWAY_FIELDS,
    Assessment,
    Family,
    FamilyNote,
    Feedback,
    KeyWorker,
    PlanGoal,
    ReferralOn,
    Score,
    ServiceActivity,
    StakeholderFeedback,
    longest,
)
from tracker.store.vocabulary import (
    ACTIVITY_KINDS,
    AGE_GROUPS,
    CLOSURE_REASONS,
    GOAL_STATUSES,
    KEY_WORKER_BACKGROUNDS,
    RATERS,
    REFERRAL_OUTCOMES,
    STAKEHOLDER_ROLES,
    TIERS_OF_NEED,
)


@dataclass(frozen=True)
class Choices:
    """A column that holds one key of a vocabulary; files may give its key or its label."""

    what: str  # as messages name it: "'x' is not a known tier of need"
    labels: Mapping[str, str]  # stored key -> label
    aliases: Mapping[str, str] = field(default_factory=dict)  # other spellings -> key


def choices(
    what: str, vocabulary: Collection[str], aliases: Mapping[str, str] | None = None
) -> Choices:
    """``Choices`` from a vocabulary given as keys with labels, or as plain keys."""
    labels = dict(vocabulary) if isinstance(vocabulary, Mapping) else as_choices(vocabulary)
    return Choices(what, labels, dict(aliases or {}))


def _model_column(attribute: InstrumentedAttribute) -> sa.Column:
    return attribute.property.columns[0]


@dataclass(frozen=True, eq=False)
class FileKind:
    """One canonical file. Columns are named as in the file throughout."""

    name: str
    noun: str  # one row, as messages name it: "for the same activity on line 2"
    signature: str  # the column that tells this file from the others
    table: type[SQLModel]  # where each row is stored
    fields: Mapping[str, InstrumentedAttribute]  # file column -> model column, in file order
    identity: tuple[str, ...]  # the columns that name one row
    order: tuple[str, ...]  # how an export sorts the rows
    # What an import compares with the store and may replace: every other column, unless said.
    values: tuple[str, ...] | None = None
    joins: tuple[type[SQLModel], ...] = ()  # the other tables its columns live in, in join order
    optional: frozenset[str] = frozenset()  # columns a file may leave out
    choices: Mapping[str, Choices] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # numbers' bounds

    def __post_init__(self) -> None:
        if self.values is None:
            values = tuple(column for column in self.fields if column not in self.identity)
            object.__setattr__(self, "values", values)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(column for column in self.columns if column not in self.optional)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def own_columns(self) -> dict[str, str]:
        """File column -> attribute name, for the columns kept in the kind's own table."""
        return {
            column: attribute.key
            for column, attribute in self.fields.items()
            if attribute.class_ is self.table
        }

    @property
    def lengths(self) -> dict[str, int]:
        """The longest text each column may hold, as its model column says."""
        return {
            column: longest(attribute)
            for column, attribute in self.fields.items()
            if getattr(attribute.type, "length", None)
        }

    def stored_type(self, column: str) -> type:
        """The Python type the model stores the column as (``object`` for text)."""
        return self.fields[column].type.python_type

    def default(self, column: str):
        """What the model stores when a row says nothing (None when it has no default)."""
        default = _model_column(self.fields[column]).default
        return None if default is None else default.arg

    def may_be_blank(self, column: str) -> bool:
        """Whether a row may leave the column empty: its model column may be null, or it
        comes through a link that may be empty (a family with no key worker)."""
        attribute = self.fields[column]
        return bool(_model_column(attribute).nullable) or self._link_may_be_empty(attribute.class_)

    def select(self, *columns) -> sa.Select:
        """These columns over the kind's rows, joined to the tables its other columns live in."""
        statement = sa.select(*columns).select_from(self.table)
        for model in self.joins:
            statement = statement.join(model, isouter=self._link_may_be_empty(model))
        return statement

    def _link_may_be_empty(self, model: type[SQLModel]) -> bool:
        """Whether the foreign key that reaches ``model`` may be null, so a row has no match
        there (and must be kept by an outer join)."""
        return any(
            key.parent.nullable
            for table in (self.table, *self.joins)
            for key in table.__table__.foreign_keys
            if key.column.table is model.__table__
        )


# Spreadsheets often write just "2" or "2-3" for the tier.
SHORT_TIERS = {tier.removeprefix("tier "): tier for tier in TIERS_OF_NEED}


# A questionnaire may be anonymous, so a row of stakeholder_feedback.csv is named by all
# it says: the same row again is the same answer (initials tell two identical ones apart).
QUESTIONNAIRE = (
    "period_start",
    "period_end",
    "role",
    "respondent",
    "pathway_score",
    "multi_agency_score",
    "comment",
)

# Listed in the order they are written, so every reference exists before it is used.
FILE_KINDS = (
    FileKind(
        name="key_workers",
        noun="key worker",
        signature="background",
        table=KeyWorker,
        fields={
            "name": KeyWorker.name,
            "background": KeyWorker.background,
            "dedicated": KeyWorker.dedicated,
        },
        identity=("name",),
        order=("name",),
        optional=frozenset({"dedicated"}),
        choices={"background": choices("background", KEY_WORKER_BACKGROUNDS)},
    ),
    FileKind(
        name="families",
        noun="family",
        signature="tier_of_need",
        table=Family,
        fields={
            "family_ref": Family.family_ref,
            "area": Family.area,
            "tier_of_need": Family.tier_of_need,
            "key_worker": KeyWorker.name,
            "referral_source": Family.referral_source,
            "referral_date": Family.referral_date,
            "closed_on": Family.closed_on,
            "closure_reason": Family.closure_reason,
            "closure_note": Family.closure_note,
            "age_group": Family.age_group,
            "child_disability": Family.child_disability,
            "presenting_issues": Family.presenting_issues,
            "re_referred_on": Family.re_referred_on,
            "consent_to_share": Family.consent_to_share,
            "consent_on": Family.consent_on,
            "short_name": Family.short_name,
            "panel_referral_on": Family.panel_referral_on,
            "panel_decision_on": Family.panel_decision_on,
            "multi_agency_package": Family.multi_agency_package,
            "agencies": Family.agencies,
            "referral_outcome": Family.referral_outcome,
            "signposted_to": Family.signposted_to,
            "first_contact_on": Family.first_contact_on,
        },
        identity=("family_ref",),
        order=("family_ref",),
        joins=(KeyWorker,),
        optional=frozenset(
            {
                "closed_on",
                "closure_reason",
                "closure_note",
                "age_group",
                "child_disability",
                "presenting_issues",
                "re_referred_on",
                "consent_to_share",
                "consent_on",
                "short_name",
                *PATHWAY_FIELDS,  # all optional: older files have none
            }
        ),
        choices={
            "tier_of_need": choices("tier of need", TIERS_OF_NEED, SHORT_TIERS),
            "closure_reason": choices("closure reason", CLOSURE_REASONS),
            "age_group": choices("age group", AGE_GROUPS),
            "referral_outcome": choices("referral outcome", REFERRAL_OUTCOMES),
        },
    ),
    FileKind(
        name="scores",
        noun="domain score",
        signature="score",
        table=Score,
        fields={
            "family_ref": Family.family_ref,
            "instrument": Assessment.instrument,
            "occasion": Assessment.occasion,
            "assessed_on": Assessment.assessed_on,
            "rater": Assessment.rater,
            "domain": Score.domain,
            "score": Score.value,
            "note": Score.note,
        },
        identity=("family_ref", "instrument", "assessed_on", "rater", "domain"),
        order=("family_ref", "instrument", "assessed_on", "rater", "domain"),
        values=("score", "note"),  # the occasion is the assessment's, not the score's
        joins=(Assessment, Family),
        optional=frozenset({"note"}),
        choices={"rater": choices("rater", RATERS)},
    ),
    FileKind(
        name="goals",
        noun="goal",
        signature="goal",
        table=PlanGoal,
        fields={
            "family_ref": Family.family_ref,
            "goal": PlanGoal.text,
            "domain": PlanGoal.domain,
            "status": PlanGoal.status,
            "set_on": PlanGoal.set_on,
            "status_on": PlanGoal.status_on,
        },
        identity=("family_ref", "goal"),
        order=("family_ref", "set_on", "goal"),
        joins=(Family,),
        optional=frozenset({"domain", "status_on"}),
        choices={"status": choices("goal status", GOAL_STATUSES)},
    ),
    FileKind(
        name="activities",
        noun="activity",
        signature="hours",
        table=ServiceActivity,
        fields={
            "family_ref": Family.family_ref,
            "activity_on": ServiceActivity.activity_on,
            "hours": ServiceActivity.hours,
            "kind": ServiceActivity.kind,
        },
        identity=("family_ref", "activity_on", "kind"),
        order=("family_ref", "activity_on", "kind"),
        joins=(Family,),
        choices={"kind": choices("activity kind", ACTIVITY_KINDS)},
        ranges={"hours": (0, 24)},
    ),
    FileKind(
        name="referrals_on",
        noun="referral",
        signature="service",
        table=ReferralOn,
        fields={
            "family_ref": Family.family_ref,
            "service": ReferralOn.service,
            "referred_on": ReferralOn.referred_on,
        },
        identity=("family_ref", "service", "referred_on"),
        order=("family_ref", "referred_on", "service"),
        joins=(Family,),
    ),
    FileKind(
        name="feedback",
        noun="feedback",
        signature="satisfaction",
        table=Feedback,
        fields={
            "family_ref": Family.family_ref,
            "given_on": Feedback.given_on,
            "satisfaction": Feedback.satisfaction,
            "comment": Feedback.comment,
        },
        identity=("family_ref", "given_on"),
        order=("family_ref", "given_on"),
        joins=(Family,),
        optional=frozenset({"comment"}),
        ranges={"satisfaction": (1, 5)},
    ),
    FileKind(
        name="notes",
        noun="note",
        signature="written_on",
        table=FamilyNote,
        fields={
            "family_ref": Family.family_ref,
            "written_on": FamilyNote.written_on,
            "author": FamilyNote.author,
            "note": FamilyNote.text,
        },
        identity=("family_ref", "written_on", "note"),
        order=("family_ref", "written_on", "note"),
        joins=(Family,),
        optional=frozenset({"author"}),
    ),
    # Questionnaires from key workers and panel members: about the service, not one family.
    FileKind(
        name="stakeholder_feedback",
        noun="questionnaire",
        signature="pathway_score",
        table=StakeholderFeedback,
        fields={
            "period_start": StakeholderFeedback.period_start,
            "period_end": StakeholderFeedback.period_end,
            "role": StakeholderFeedback.role,
            "respondent": StakeholderFeedback.respondent,
            "pathway_score": StakeholderFeedback.pathway_score,
            "multi_agency_score": StakeholderFeedback.multi_agency_score,
            "comment": StakeholderFeedback.comment,
        },
        identity=QUESTIONNAIRE,
        order=QUESTIONNAIRE,
        values=(),
        choices={"role": choices("role", STAKEHOLDER_ROLES)},
        ranges={"pathway_score": (1, 4), "multi_agency_score": (1, 4)},
    ),
)
CANONICAL = {kind.name: kind for kind in FILE_KINDS}
# A family's own records: rows of their own table that belong to one family and no more.
CHILD_KINDS = tuple(kind.name for kind in FILE_KINDS if kind.joins == (Family,))
# Records about the service as a whole, tied to no family: written after everything else.
SERVICE_KINDS = ("stakeholder_feedback",)

SCORES = CANONICAL["scores"]
# A score belongs to an assessment, which the scores' other columns describe: who, which
# instrument, when, on what occasion and by whom. An assessment is named by those columns
# of the scores' identity; its occasion is its one value. The wide layout (the offline form,
# local spreadsheets) is one row per assessment: these columns, then a column per domain.
ASSESSMENT_COLUMNS = tuple(column for column in SCORES.columns if column not in SCORES.own_columns)
ASSESSMENT_IDENTITY = tuple(column for column in SCORES.identity if column in ASSESSMENT_COLUMNS)
ASSESSMENT_VALUES = tuple(column for column in ASSESSMENT_COLUMNS if column not in SCORES.identity)
