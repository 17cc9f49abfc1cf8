"""Case-file sampling: a reproducible, stratified random sample of closed cases, and the
case-file audits of the families drawn.

The guidance asks for an occasional sample of a proportion of closed cases, judged for
engagement, multi-agency support and innovation. A manager draws it for a period; the
seed is stored, so anyone can draw it again from the same closed cases and check that
the same families come out (``check_sample``).

The rule (docs/metrics.md says it in the same words):

- The cases are the families whose ``closed_on`` falls in the period, both ends
  included (a family referred again counts by its closure date).
- The sample's size is the number asked for, or the proportion of those cases rounded
  half up, and at least one.
- Strata are tier of need × area. Each stratum's quota is size × its cases ÷ all cases;
  it gets the whole part of its quota, and the case files left over go one each to the
  strata with the largest remainders (ties: the bigger stratum, then tier and area order).
- One generator, ``numpy.random.default_rng(seed)``, visits the strata in order of tier
  then area; within each, the families sorted by reference each get the next uniform
  random number, and the quota with the smallest numbers are drawn (without replacement).
  Only the generator's plain uniform numbers are used, the part of numpy least likely to
  change between versions.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from tracker.people.access import Viewer, authorise
from tracker.people.audit import record
from tracker.store.errors import RecordInvalid
from tracker.store.models import Family, longest, utc_now
from tracker.store.quality_models import SAMPLE_HOWS, CaseFileAudit, CaseSample, CaseSampleMember
from tracker.store.vocabulary import CASE_FILE_QUALITIES, GRADES

SEED_LIMIT = 2**32  # seeds are drawn from 32 random bits; a typed one must fit too


def stratum_name(tier_of_need: str, area: str) -> str:
    return f"{tier_of_need} · {area}"


def describe_amount(how: str, amount: float) -> str:
    """The size asked for, in words: "10% of closed cases" or "12 case files"."""
    if how == "proportion":
        return f"{amount * 100:g}% of closed cases"
    count = int(amount)
    return f"{count} case file{'' if count == 1 else 's'}"


def sample_size(how: str, amount: float, cases: int) -> int:
    """How many case files to draw from ``cases`` closed cases (see the module's rule)."""
    if how == "number":
        return int(amount)
    # Rounded to nine places first, so 0.3 × 10 is 3 and not 3.0000000000000004.
    return max(1, math.floor(round(amount * cases, 9) + 0.5))


def allocate(sizes: dict[tuple[str, str], int], total: int) -> dict[tuple[str, str], int]:
    """Each stratum's share of ``total``: proportional, by largest remainders."""
    everyone = sum(sizes.values())
    quotas = {key: Fraction(total * size, everyone) for key, size in sizes.items()}
    given = {key: math.floor(quota) for key, quota in quotas.items()}
    left = total - sum(given.values())
    by_remainder = sorted(sizes, key=lambda key: (-(quotas[key] - given[key]), -sizes[key], key))
    for key in by_remainder[:left]:
        given[key] += 1
    return given


@dataclass(frozen=True)
class Draw:
    """The families drawn (``family_id``, ``family_ref``, ``stratum``) and, per stratum,
    its closed cases and how many were drawn."""

    members: pd.DataFrame
    strata: dict[str, dict[str, int]]


def choose(closed: pd.DataFrame, how: str, amount: float, seed: int) -> Draw:
    """Draw from ``closed`` (``family_id``, ``family_ref``, ``tier_of_need``, ``area``) by
    the module's rule: the same cases and seed always give the same families."""
    groups = {
        key: group.sort_values("family_ref")
        for key, group in closed.groupby(["tier_of_need", "area"], sort=True)
    }
    sizes = {key: len(group) for key, group in groups.items()}
    quotas = allocate(sizes, sample_size(how, amount, len(closed)))
    generator = np.random.default_rng(seed)
    drawn, strata = [], {}
    for key in sorted(groups):
        group, name = groups[key], stratum_name(*key)
        keys = generator.random(len(group))
        picked = np.sort(np.argsort(keys, kind="stable")[: quotas[key]])
        drawn.append(group.iloc[picked].assign(stratum=name))
        strata[name] = {"closed": sizes[key], "drawn": quotas[key]}
    members = pd.concat(drawn, ignore_index=True)[["family_id", "family_ref", "stratum"]]
    return Draw(members, strata)


def closed_cases(connection: Connection, period_start: date, period_end: date) -> pd.DataFrame:
    """The families whose case closed in the period, both ends included."""
    rows = connection.execute(
        sa.select(Family.id, Family.family_ref, Family.tier_of_need, Family.area).where(
            Family.closed_on.between(period_start, period_end)
        )
    ).all()
    return pd.DataFrame(rows, columns=["family_id", "family_ref", "tier_of_need", "area"])


def _checked_request(period_start, period_end, how, amount, seed) -> dict[str, str]:
    problems = {}
    if period_start is None:
        problems["period_start"] = "Give the first closing date the sample covers."
    if period_end is None:
        problems["period_end"] = "Give the last closing date the sample covers."
    elif period_start is not None and period_start > period_end:
        problems["period_end"] = (
            f"The period ends ({period_end:%d %b %Y}) before it starts "
            f"({period_start:%d %b %Y}): swap the dates."
        )
    if how not in SAMPLE_HOWS:
        problems["how"] = "Choose a proportion or a number of case files."
    elif amount is None:
        problems["amount"] = "Say how many case files to sample."
    elif how == "proportion" and not 0 < amount <= 1:
        problems["amount"] = "The proportion must be more than 0% and at most 100%."
    elif how == "number" and (amount < 1 or amount != int(amount)):
        problems["amount"] = "The number of case files must be a whole number, 1 or more."
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < SEED_LIMIT):
        problems["seed"] = f"The seed must be a whole number from 0 to {SEED_LIMIT - 1}."
    return problems


def draw_sample(
    session: Session,
    viewer: Viewer,
    *,
    period_start: date | None,
    period_end: date | None,
    how: str,
    amount: float | None,
    seed: int | None = None,
) -> int:
    """Draw, store and audit a sample of the period's closed cases; return its id.

    Without a seed one is drawn from 32 random bits, and stored either way: giving an
    earlier sample's seed and period re-draws it.
    """
    authorise(viewer, "quality_assurance")
    problems = _checked_request(period_start, period_end, how, amount, seed)
    if problems:
        raise RecordInvalid(problems)
    closed = closed_cases(session.connection(), period_start, period_end)
    if closed.empty:
        raise RecordInvalid(
            {
                "period_start": f"No case closed between {period_start:%d %b %Y} and "
                f"{period_end:%d %b %Y}: choose a period with closed cases."
            }
        )
    if how == "number" and amount > len(closed):
        raise RecordInvalid(
            {
                "amount": f"Only {len(closed)} case{'' if len(closed) == 1 else 's'} closed "
                "in the period: ask for that many or fewer."
            }
        )
    seed = secrets.randbits(32) if seed is None else seed
    draw = choose(closed, how, float(amount), seed)
    sample = CaseSample(
        period_start=period_start,
        period_end=period_end,
        how=how,
        amount=float(amount),
        seed=seed,
        drawn_by=viewer.actor,
        drawn_at=utc_now(),
    )
    session.add(sample)
    session.flush()
    session.add_all(
        CaseSampleMember(sample_id=sample.id, family_id=int(row.family_id), stratum=row.stratum)
        for row in draw.members.itertuples()
    )
    session.flush()
    record(
        session,
        actor=viewer.actor,
        action="sample_drawn",
        entity="case_sample",
        entity_id=sample.id,
        after={
            "period_start": period_start,
            "period_end": period_end,
            "how": how,
            "amount": float(amount),
            "seed": seed,
            "size": len(draw.members),
            "strata": draw.strata,
            "families": draw.members["family_ref"].tolist(),
        },
    )
    return sample.id


def check_sample(connection: Connection, sample_id: int) -> tuple[set[str], set[str]]:
    """Re-draw a stored sample from its seed and today's closed cases: the references
    stored but not re-drawn, and re-drawn but not stored. Both empty: it checks out."""
    sample = connection.execute(sa.select(CaseSample).where(CaseSample.id == sample_id)).one()
    closed = closed_cases(connection, sample.period_start, sample.period_end)
    again = set()
    if not closed.empty:
        again = set(choose(closed, sample.how, sample.amount, sample.seed).members["family_ref"])
    stored = set(members(connection, sample_id)["family_ref"])
    return stored - again, again - stored


def _clean_evidence(evidence: dict[str, str | None]) -> tuple[dict, dict]:
    cleaned, problems = {}, {}
    for key in CASE_FILE_QUALITIES:
        text = (evidence.get(key) or "").strip()
        column = getattr(CaseFileAudit, f"{key}_evidence")
        if len(text) > (most := longest(column)):
            problems[f"{key}_evidence"] = f"Keep the evidence under {most:,} characters."
        cleaned[key] = text or None
    return cleaned, problems


def rate_case_file(
    session: Session,
    viewer: Viewer,
    member_id: int,
    grades: dict[str, str | None],
    evidence: dict[str, str | None],
    version: int | None = None,
) -> int:
    """Record a sampled case file's audit, or change it; return the audit's id.

    ``version`` is the version the page showed (None: it showed no audit yet), so of two
    people rating one case file the second is told rather than overwriting the first.
    """
    authorise(viewer, "quality_assurance")
    member = session.get(CaseSampleMember, member_id)
    if member is None:
        raise RecordInvalid({"member": "This case file is no longer in a sample."})
    problems = {
        f"{key}_grade": f"Choose a grade for {label.lower()}."
        for key, label in CASE_FILE_QUALITIES.items()
        if grades.get(key) not in GRADES
    }
    cleaned, too_long = _clean_evidence(evidence)
    problems.update(too_long)
    if problems:
        raise RecordInvalid(problems)
    values = {f"{key}_grade": grades[key] for key in CASE_FILE_QUALITIES}
    values |= {f"{key}_evidence": cleaned[key] for key in CASE_FILE_QUALITIES}
    values |= {"rated_by": viewer.actor, "rated_at": utc_now()}
    current = session.execute(
        sa.select(CaseFileAudit).where(CaseFileAudit.member_id == member_id)
    ).scalar_one_or_none()
    stale = {
        "member": "Someone else rated this case file since you opened the page. "
        "Check their grades, then change them if you still need to."
    }
    if current is None:
        if version is not None:
            raise RecordInvalid({"member": "This case file's audit was removed; rate it again."})
        audit = CaseFileAudit(member_id=member_id, version=1, **values)
        session.add(audit)
        session.flush()
        audit_id, before = audit.id, None
    else:
        if version is None or version != current.version:
            raise RecordInvalid(stale)
        before = {f"{key}_grade": getattr(current, f"{key}_grade") for key in CASE_FILE_QUALITIES}
        updated = session.connection().execute(
            sa.update(CaseFileAudit)
            .where(CaseFileAudit.id == current.id, CaseFileAudit.version == version)
            .values(**values, version=CaseFileAudit.version + 1)
        )
        if updated.rowcount != 1:
            raise RecordInvalid(stale)
        audit_id = current.id
    record(
        session,
        actor=viewer.actor,
        action="case_file_rated",
        entity="case_file_audit",
        entity_id=audit_id,
        family_id=member.family_id,
        before=before,
        after={f"{key}_grade": grades[key] for key in CASE_FILE_QUALITIES},
    )
    return audit_id


def samples(connection: Connection) -> pd.DataFrame:
    """Every sample drawn, newest first, with its seed, size and how many are rated."""
    size = sa.func.count(CaseSampleMember.id)
    rated = sa.func.count(CaseFileAudit.id)
    rows = connection.execute(
        sa.select(
            CaseSample.id,
            CaseSample.period_start,
            CaseSample.period_end,
            CaseSample.how,
            CaseSample.amount,
            CaseSample.seed,
            CaseSample.drawn_by,
            CaseSample.drawn_at,
            size,
            rated,
        )
        .outerjoin(CaseSampleMember, CaseSampleMember.sample_id == CaseSample.id)
        .outerjoin(CaseFileAudit, CaseFileAudit.member_id == CaseSampleMember.id)
        .group_by(CaseSample.id)
        .order_by(CaseSample.id.desc())
    ).all()
    columns = ["id", "period_start", "period_end", "how", "amount", "seed", "drawn_by"]
    return pd.DataFrame(rows, columns=[*columns, "drawn_at", "size", "rated"])


def members(connection: Connection, sample_id: int) -> pd.DataFrame:
    """A sample's families by stratum, each with its audit (None where not rated yet)."""
    audit_columns = [
        getattr(CaseFileAudit, f"{key}_{part}")
        for key in CASE_FILE_QUALITIES
        for part in ("grade", "evidence")
    ]
    rows = connection.execute(
        sa.select(
            CaseSampleMember.id,
            CaseSampleMember.stratum,
            Family.family_ref,
            Family.short_name,
            Family.closed_on,
            CaseFileAudit.version,
            CaseFileAudit.rated_by,
            *audit_columns,
        )
        .join(Family, Family.id == CaseSampleMember.family_id)
        .outerjoin(CaseFileAudit, CaseFileAudit.member_id == CaseSampleMember.id)
        .where(CaseSampleMember.sample_id == sample_id)
        .order_by(CaseSampleMember.stratum, Family.family_ref)
    ).all()
    columns = ["member_id", "stratum", "family_ref", "short_name", "closed_on", "version"]
    columns += ["rated_by", *(column.key for column in audit_columns)]
    return pd.DataFrame(rows, columns=columns)


def sample_results(connection: Connection, sample_id: int) -> pd.DataFrame:
    """Per quality and grade, best first: the rated case files at that grade and their
    share of the rated files (NaN while none is rated)."""
    audits = members(connection, sample_id).dropna(subset=["version"])
    rows = []
    for key, quality in CASE_FILE_QUALITIES.items():
        counts = audits[f"{key}_grade"].value_counts()
        for grade, label in GRADES.items():
            files = int(counts.get(grade, 0))
            share = files / len(audits) if len(audits) else float("nan")
            rows.append((quality, label, files, share))
    return pd.DataFrame(rows, columns=["quality", "grade", "files", "share"])
