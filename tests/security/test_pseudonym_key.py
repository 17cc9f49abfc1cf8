"""A guessable pseudonym key is refused before any research extract is made.

The attack: references are sequential (F-0001, F-0002, …), so anyone holding an extract
and guessing the key can hash each reference and match the pseudonyms back to families.
With the key ``a`` that took a fraction of a second.
"""

from __future__ import annotations

import base64
import random
import string
from itertools import product

import pytest

from tracker.cli import main
from tracker.files.research import (
    MIN_KEY_BYTES,
    ResearchExportError,
    key_problem,
    pseudonym,
    research_frames,
)

WEAK_KEYS = [
    "a",
    "secret",
    "council-research-key",
    "x" * 64,  # long, but one character repeated
    "0" * 64,  # hex of 32 zero bytes
    random.Random(1).randbytes(MIN_KEY_BYTES - 1).hex(),  # random, one byte short
]


def recover_key(pseudonyms: dict[str, str], alphabet: str, longest: int) -> str | None:
    """What an analyst could do: try every short key against known references."""
    for length in range(1, longest + 1):
        for letters in product(alphabet, repeat=length):
            key = "".join(letters)
            if all(pseudonym(ref, key) == hashed for ref, hashed in pseudonyms.items()):
                return key
    return None


def test_a_short_key_is_recovered_from_sequential_references():
    """Why the check exists: with key "a" the pseudonyms give the key back at once."""
    refs = [f"F-{number:04d}" for number in range(1, 4)]
    assert recover_key({ref: pseudonym(ref, "a") for ref in refs}, string.ascii_lowercase, 2) == (
        "a"
    )


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_a_guessable_key_makes_no_extract(key, sample_engine, tmp_path, monkeypatch, capsys):
    from tracker.files.exporting import canonical_frames

    with sample_engine.connect() as connection:
        frames = canonical_frames(connection)
    with pytest.raises(ResearchExportError, match=f"at least {MIN_KEY_BYTES} random bytes"):
        research_frames(frames, key)

    out = tmp_path / "extract.zip"
    monkeypatch.setenv("TRACKER_PSEUDONYM_KEY", key)
    assert main(["research-export", "--out", str(out)]) != 0
    error = capsys.readouterr().err
    assert "TRACKER_PSEUDONYM_KEY" in error and "token_urlsafe" in error
    assert not out.exists()


@pytest.mark.parametrize(
    "key",
    [
        random.Random(2).randbytes(MIN_KEY_BYTES).hex(),
        base64.urlsafe_b64encode(random.Random(3).randbytes(MIN_KEY_BYTES)).decode().rstrip("="),
        "Correct horse, battery staple & 7 other words!",
    ],
)
def test_keys_as_generators_write_them_are_accepted(key):
    assert key_problem(key) is None
