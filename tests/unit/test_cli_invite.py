"""``tracker invite``: a link that works, printed once, and plain refusals."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.unit.test_invitations import make_family
from tracker.cli import main
from tracker.records.invitations import INVITE_REFUSAL, InvitationRefused, open_invitation
from tracker.store.db import write_session
from tracker.store.models import AuditLog, Family, Invitation

URL = re.compile(r"^(\S+)/rate\?invite=([A-Za-z0-9_-]{43})$", re.MULTILINE)


@pytest.fixture
def family(engine):
    family_id = make_family(engine, ref="FAM-1")
    with write_session(engine) as session:
        session.get(Family, family_id).short_name = "Smith household"
    return family_id


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["invite", *argv])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_the_printed_link_opens_the_invitation(engine, family, capsys, monkeypatch):
    monkeypatch.setenv("TRACKER_PUBLIC_URL", "https://outcomes.example.org")
    code, out, err = run(capsys, "--family", "FAM-1", "--instrument", "taf-dtt")
    assert (code, err) == (0, "")
    base, token = URL.search(out).groups()
    assert base == "https://outcomes.example.org"
    assert re.search(r"until \d{2} [A-Z][a-z]{2} \d{4} \(14 days\)", out)
    with write_session(engine) as session:
        shown = open_invitation(session, token, client="local", first_view=True)
    assert (shown.greeting, shown.instrument_key) == ("Hello Smith household", "taf-dtt")
    with engine.connect() as connection:
        actor = connection.execute(
            sa.select(AuditLog.actor).where(AuditLog.action == "invite_created")
        ).scalar_one()
    assert actor.startswith("cli")


def test_the_greeting_and_length_can_be_chosen(engine, family, capsys):
    code, out, _ = run(
        capsys,
        "--family",
        "FAM-1",
        "--instrument",
        "taf-dtt",
        "--expires-days",
        "3",
        "--greeting",
        "Hi there",
    )
    assert code == 0 and "(3 days)" in out
    with engine.connect() as connection:
        greeting = connection.execute(sa.select(Invitation.greeting)).scalar_one()
    assert greeting == "Hi there"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--family", "NOPE", "--instrument", "taf-dtt"], "no family has the reference 'NOPE'"),
        (["--family", "FAM-1", "--instrument", "nope"], "unknown instrument 'nope'"),
        (["--family", "FAM-1"], "--instrument"),
        (["--family", "FAM-1", "--instrument", "taf-dtt", "--expires-days", "0"], "1 to 60"),
        (["--family", "FAM-1", "--instrument", "taf-dtt", "--expires-days", "61"], "1 to 60"),
        (["--revoke", "99"], "no link number 99"),
    ],
)
def test_bad_input_gets_one_plain_line_and_exit_code_2(engine, family, capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0


def test_a_closed_family_is_refused(engine, family, capsys):
    with write_session(engine) as session:
        session.get(Family, family).closed_on = date(2025, 5, 1)
    code, out, err = run(capsys, "--family", "FAM-1", "--instrument", "taf-dtt")
    assert (code, out) == (2, "")
    assert err == (
        "tracker: family: This family's case closed on 01 May 2025: "
        "only open cases can be sent a link.\n"
    )


def test_a_link_can_be_cancelled(engine, family, capsys):
    _, out, _ = run(capsys, "--family", "FAM-1", "--instrument", "taf-dtt")
    token = URL.search(out).group(2)
    invitation_id = re.search(r"--revoke (\d+)", out).group(1)
    code, out, _ = run(capsys, "--revoke", invitation_id)
    assert code == 0 and "Cancelled" in out
    with pytest.raises(InvitationRefused, match=INVITE_REFUSAL), write_session(engine) as session:
        open_invitation(session, token, client="local", first_view=True)
    code, _, err = run(capsys, "--revoke", invitation_id)
    assert code == 2 and "cancelled already" in err


def test_a_short_name_too_long_for_a_greeting_gets_plain_hello(engine, family, capsys):
    with write_session(engine) as session:
        session.get(Family, family).short_name = "The Montgomery-Featherstonehaugh family"
    code, _, err = run(capsys, "--family", "FAM-1", "--instrument", "taf-dtt")
    assert (code, err) == (0, "")  # "Hello " and 39 characters would be 45: refused before
    with engine.connect() as connection:
        greeting = connection.execute(sa.select(Invitation.greeting)).scalar_one()
    assert greeting == "Hello"
