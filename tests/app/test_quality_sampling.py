"""Quality assurance, "Case-file sample" tab: a manager draws a 10% sample of the sample
cohort's closed cases, grades one case file and reads the results."""

from __future__ import annotations

import sqlalchemy as sa

from tests.app.conftest import by_label, open_app
from tracker.records.case_sampling import closed_cases, sample_size
from tracker.store.models import AuditLog, CaseFileAudit, CaseSample, CaseSampleMember, Family

PAGE = "pages/quality.py"


def closing_dates(engine):
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.min(Family.closed_on), sa.func.max(Family.closed_on))
        ).one()


def draw(app, start: str, end: str, size: str, seed: str = ""):
    by_label(app.text_input, "Closed from").input(start)
    by_label(app.text_input, "Closed to").input(end)
    by_label(app.text_input, "Sample size").input(size)
    by_label(app.text_input, "Seed (optional)").input(seed)
    app.button(key="draw-sample-button").click().run()
    return app


def test_a_manager_draws_a_ten_percent_sample_and_rates_a_case_file(manager, sample_engine):
    first, last = closing_dates(sample_engine)
    app = open_app(manager, PAGE)
    draw(app, f"{first:%d/%m/%Y}", f"{last:%d/%m/%Y}", "10%")
    assert not app.exception and not app.error
    with sample_engine.connect() as connection:
        sample = connection.execute(
            sa.select(CaseSample).order_by(CaseSample.id.desc()).limit(1)
        ).one()
        drawn = connection.execute(
            sa.select(CaseSampleMember.id).where(CaseSampleMember.sample_id == sample.id)
        ).scalars()
        drawn = sorted(drawn)
        cases = len(closed_cases(connection, first, last))
    assert (sample.how, sample.amount, sample.drawn_by) == ("proportion", 0.1, manager.actor)
    assert len(drawn) == sample_size("proportion", 0.1, cases)
    assert any("Sample drawn" in message.value for message in app.success)
    chooser = by_label(app.selectbox, "Sample")
    assert chooser.index == 0 and f"seed {sample.seed}" in chooser.options[0]
    app.button(key=f"check-{sample.id}").click().run()
    assert any("the same families as stored" in message.value for message in app.success)

    member = drawn[0]
    for key in ("engagement", "multi_agency", "innovation"):
        app.radio(key=f"grade-{member}-{key}").set_value("good")
    app.text_area(key=f"evidence-{member}-engagement").input("Visits weekly; family's words.")
    app.button(key=f"save-{member}").click().run()
    assert not app.exception and not app.error
    with sample_engine.connect() as connection:
        audit = connection.execute(
            sa.select(CaseFileAudit).where(CaseFileAudit.member_id == member)
        ).one()
        actions = connection.execute(sa.select(AuditLog.action)).scalars().all()
    assert (audit.engagement_grade, audit.rated_by) == ("good", manager.actor)
    assert audit.engagement_evidence == "Visits weekly; family's words."
    assert {"sample_drawn", "case_file_rated"} <= set(actions)
    results = next(frame.value for frame in app.dataframe if "Quality" in frame.value.columns)
    assert list(results["Good"]) == ["1 (100%)"] * 3
    assert set(results["Outstanding"]) == {"0 (0%)"}


def test_bad_input_is_named_and_nothing_is_drawn(manager, sample_engine):
    app = open_app(manager, PAGE)
    with sample_engine.connect() as connection:
        before = connection.execute(sa.select(sa.func.count()).select_from(CaseSample)).scalar()
    draw(app, "31/02/2025", "01/01/2025", "ten", seed="abc")
    message = " ".join(error.value for error in app.error)
    assert "Closed from:" in message and '"31/02/2025" is not a date' in message
    assert "Sample size:" in message and "Seed (optional):" in message
    draw(app, "01/01/1990", "31/12/1990", "10%")
    assert "No case closed between 01 Jan 1990 and 31 Dec 1990" in app.error[0].value
    with sample_engine.connect() as connection:
        after = connection.execute(sa.select(sa.func.count()).select_from(CaseSample)).scalar()
    assert after == before
