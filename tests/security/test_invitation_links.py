"""Attacks on self-rating links, written as tests: the link is a capability.

Whoever holds a link can rate as the family, so: it cannot be guessed (256 random bits),
the store cannot give it away (only its sha256), it runs out, works once, can be
cancelled, says the same thing however it fails, is rate-limited per link and per address
in the database every app server shares, and never reaches the audit trail or the logs.
"""

from __future__ import annotations

import hashlib
import logging
import string
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.unit.test_invitations import (
    ANN,
    CLIENT,
    NOW,
    draft_saved,
    invite,
    make_family,
    opened,
    sent,
)
from tracker.records import invitations
from tracker.records.invitations import (
    INVITE_REFUSAL,
    TOO_MANY_TRIES,
    InvitationRefused,
    revoke_invitation,
)
from tracker.store.db import make_engine, write_session
from tracker.store.models import AuditLog, Invitation, InvitationTry

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture
def family_id(engine) -> int:
    return make_family(engine)


def refused_with(message: str, attempt) -> None:
    with pytest.raises(InvitationRefused) as refusal:
        attempt()
    assert str(refusal.value) == message


def every_stored_value(engine) -> list[str]:
    """Every value in every column of every table, as text."""
    values = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                values.extend(str(value) for value in row)
    return values


def count(engine, model, *conditions) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(model).where(*conditions)
        ).scalar_one()


# --------------------------------------------------------------------------------------
# Guessing and storing
# --------------------------------------------------------------------------------------


def test_tokens_carry_256_random_bits(engine, family_id, monkeypatch):
    asked = []
    real = invitations.secrets.token_urlsafe
    monkeypatch.setattr(invitations.secrets, "token_urlsafe", lambda n: asked.append(n) or real(n))
    tokens = []
    with write_session(engine) as session:
        family = session.get(invitations.Family, family_id)
        for _ in range(1000):
            tokens.append(
                invitations.create_invitation(
                    session, ANN, family, "taf-dtt", greeting="Hello", now=NOW
                )[1]
            )
    assert set(asked) == {32}  # bytes from the operating system's CSPRNG: 256 bits
    assert all(len(token) == 43 and set(token) <= URL_SAFE for token in tokens)
    assert len(set(tokens)) == 1000


def test_only_the_tokens_hash_is_stored(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    draft_saved(engine, token, {"housing": 2})
    opened(engine, token)
    sent(engine, token, {"housing": 2})
    stored = every_stored_value(engine)
    assert not [value for value in stored if token in value]
    with engine.connect() as connection:
        kept = connection.execute(
            sa.select(Invitation.token_hash).where(Invitation.id == invitation_id)
        ).scalar_one()
    assert kept == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.sqlite_only
def test_the_token_is_nowhere_in_the_database_files(engine, family_id, database_url):
    _, token = invite(engine, family_id)
    opened(engine, token)
    engine.dispose()
    path = database_url.removeprefix("sqlite:///")
    for suffix in ("", "-wal"):
        try:
            with open(path + suffix, "rb") as handle:
                assert token.encode() not in handle.read()
        except FileNotFoundError:
            pass


# --------------------------------------------------------------------------------------
# One message for every dead link
# --------------------------------------------------------------------------------------


def test_a_link_expires(engine, family_id):
    _, token = invite(engine, family_id, expires_days=1)
    refused_with(INVITE_REFUSAL, lambda: opened(engine, token, now=NOW + timedelta(days=1)))
    refused_with(
        INVITE_REFUSAL, lambda: sent(engine, token, {"housing": 2}, now=NOW + timedelta(days=2))
    )


def test_a_link_is_used_once(engine, family_id):
    _, token = invite(engine, family_id)
    sent(engine, token, {"housing": 2})
    refused_with(INVITE_REFUSAL, lambda: sent(engine, token, {"housing": 3}))
    refused_with(INVITE_REFUSAL, lambda: draft_saved(engine, token, {"housing": 3}))
    assert count(engine, AuditLog, AuditLog.action == "invite_submitted") == 1


def test_a_revoked_link_is_dead(engine, family_id):
    invitation_id, token = invite(engine, family_id)
    with write_session(engine) as session:
        revoke_invitation(session, ANN, invitation_id, now=NOW)
    refused_with(INVITE_REFUSAL, lambda: sent(engine, token, {"housing": 2}))


@pytest.mark.parametrize("token", ["", "nonsense", "A" * 43, "x" * 10_000, "é\x00\ud800"])
def test_an_unknown_token_gets_the_same_message(engine, family_id, token):
    refused_with(INVITE_REFUSAL, lambda: opened(engine, token))
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(AuditLog.entity, AuditLog.entity_id, AuditLog.after).where(
                AuditLog.action == "invite_refused"
            )
        ).one()
    assert row.entity == "client" and row.entity_id == CLIENT and '"unknown"' in row.after


# --------------------------------------------------------------------------------------
# Rate limits, shared by every app server
# --------------------------------------------------------------------------------------


@pytest.fixture
def replicas(engine, database_url):
    """Two engines on one database: two app servers behind the load balancer."""
    other = make_engine(database_url)
    yield engine, other
    other.dispose()


def test_an_address_that_keeps_guessing_is_stopped_on_every_server(
    replicas, family_id, monkeypatch
):
    monkeypatch.setenv("TRACKER_INVITE_TRIES_PER_CLIENT", "4")
    first, second = replicas
    _, token = invite(first, family_id)
    for number in range(4):
        server = (first, second)[number % 2]
        refused_with(INVITE_REFUSAL, lambda s=server, n=number: opened(s, f"guess-{n}"))
    # Now even the right link is refused from that address, on either server.
    for server in replicas:
        refused_with(TOO_MANY_TRIES, lambda s=server: opened(s, token))
    # Another address is not held up, and the guesser may try again after the window.
    assert opened(second, token, client="198.51.100.1").greeting
    assert opened(first, token, now=NOW + timedelta(minutes=16)).greeting


def test_one_link_cannot_be_hammered_from_many_addresses(replicas, family_id, monkeypatch):
    monkeypatch.setenv("TRACKER_INVITE_TRIES_PER_LINK", "6")
    first, second = replicas
    _, token = invite(first, family_id)
    for number in range(6):
        draft_saved((first, second)[number % 2], token, {"housing": 2}, client=f"10.0.0.{number}")
    for server in replicas:
        refused_with(
            TOO_MANY_TRIES, lambda s=server: sent(s, token, {"housing": 2}, client="10.9.9.9")
        )
    # Draft saves write no audit row each; the flood writes one refusal, not one a request.
    assert count(first, AuditLog, AuditLog.action == "invite_refused") == 1
    assert sent(second, token, {"housing": 2}, now=NOW + timedelta(minutes=16))


def test_a_flood_does_not_fill_the_store(engine, family_id, monkeypatch):
    monkeypatch.setenv("TRACKER_INVITE_TRIES_PER_CLIENT", "3")
    for number in range(50):
        with pytest.raises(InvitationRefused):
            opened(engine, f"guess-{number}")
    assert count(engine, InvitationTry) == 4  # three refused, one "too many"
    assert count(engine, AuditLog, AuditLog.action == "invite_refused") == 4
    # Old tries are pruned once the window has passed.
    with pytest.raises(InvitationRefused):
        opened(engine, "late guess", now=NOW + timedelta(minutes=16))
    assert count(engine, InvitationTry) == 1


# --------------------------------------------------------------------------------------
# Nothing leaks
# --------------------------------------------------------------------------------------


def test_the_token_is_not_in_the_audit_trail(engine, family_id):
    _, token = invite(engine, family_id)
    opened(engine, token)
    draft_saved(engine, token, {"housing": 2})
    sent(engine, token, {"housing": 2})
    refused_with(INVITE_REFUSAL, lambda: opened(engine, token))
    digest = hashlib.sha256(token.encode()).hexdigest()
    with engine.connect() as connection:
        rows = connection.execute(sa.select(AuditLog)).all()
    actions = {row.action for row in rows}
    assert {"invite_created", "invite_opened", "invite_submitted", "invite_refused"} <= actions
    leaks = [row for row in rows if any(token in str(v) or digest in str(v) for v in row)]
    assert leaks == []


def test_the_token_is_not_logged(engine, family_id, caplog):
    caplog.set_level(logging.DEBUG)
    _, token = invite(engine, family_id)
    opened(engine, token)
    draft_saved(engine, token, {"housing": 2})
    sent(engine, token, {"housing": 2})
    refused_with(INVITE_REFUSAL, lambda: opened(engine, token))
    logging.getLogger("tracker.records.invitations").debug("capture is on")
    digest = hashlib.sha256(token.encode()).hexdigest()
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    assert "capture is on" in logged
    assert token not in logged and digest not in logged
