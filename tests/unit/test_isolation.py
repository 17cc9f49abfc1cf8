"""Each test's database is its own copy of the session's template: writes never leak.

Every test here runs twice per store and writes; whichever turn runs second would see the
first one's families if copies shared anything, with each other or with the template.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.unit.helpers import families_file
from tracker.cli import main
from tracker.store.models import Family

TURNS = [1, 2]


def family_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count(Family.id))).scalar_one()


@pytest.mark.parametrize("turn", TURNS)
def test_a_migrated_copy_starts_empty_and_the_cli_writes_to_it(engine, tmp_path, capsys, turn):
    assert family_count(engine) == 0
    assert main(["import", str(families_file(tmp_path))]) == 0, capsys.readouterr().err
    assert family_count(engine) == 2


@pytest.mark.parametrize("turn", TURNS)
def test_a_sampled_copy_starts_as_the_sample(sample_engine, tmp_path, capsys, turn):
    assert family_count(sample_engine) == 120
    assert main(["import", str(families_file(tmp_path))]) == 0, capsys.readouterr().err
    assert family_count(sample_engine) == 122
