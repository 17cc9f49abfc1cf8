"""Family words: each band of each area in the family's own voice, for self-rating.

They are checked for shape (one short sentence per band, refused by name when not)
and for plain reading, because a family reads them alone on a phone.
"""

from __future__ import annotations

import re

import pytest

from tracker.instruments.loader import (
    FAMILY_WORDS_MAX,
    InstrumentError,
    get_instrument,
    load_instruments,
)
from tracker.store.settings import get_settings

SHIPPED = get_settings().instruments_dir

LOCAL = """
key: local-wellbeing
name: Local well-being check
version: 1
scale_min: 0
scale_max: 4
step: 0.5
higher_is_better: true
bands:
  - {min: 0, max: 1.5, label: Struggling}
  - {min: 2, max: 4, label: Coping}
sections:
  - key: all
    label: Everything
    domains:
      - key: sleep
        label: Sleep
        descriptions: ["Hardly sleeping.", "Sleeping well most nights."]
        family_words: ["I hardly sleep.", "I sleep well most nights."]
      - key: mood
        label: Mood
        descriptions: ["Low most days.", "Mostly bright."]
"""

# The readability rule, stated once. Reading age about 9 means, for every sentence of
# every area's family words:
MAX_WORDS_PER_SENTENCE = 15  # no sentence longer than this
MAX_MEAN_WORDS_PER_SENTENCE = 11  # and short on average, per instrument
MAX_SYLLABLES = 4  # no word longer than this, counted as groups of vowels (a, e, i, o, u, y)
# ... a Flesch-Kincaid grade, with that syllable count, of 4 or below per instrument
# (US grade 4 is about age 9 to 10) ...
MAX_GRADE = 4.0
# ... none of the worker's words for the areas ...
JARGON = {
    "aspirations",
    "boundaries",
    "communication",
    "development",
    "emotional",
    "independence",
    "participation",
    "protection",
    "self-esteem",
    "specialist",
    "stability",
    "wellbeing",
    "well-being",
}
# ... and said by the family: each entry says I, me, my, we, us or our.
FIRST_PERSON = {"i", "me", "my", "we", "us", "our"}


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e ("home" is one): rough, but it never undercounts
    a long word by much, which is what the rule needs."""
    word = word.lower().removesuffix("'s")
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def sentences(text: str) -> list[list[str]]:
    """Each sentence as its words; a hyphenated word ("check-ups") counts as its parts."""
    return [re.findall(r"[A-Za-z']+", part) for part in re.split(r"[.!?]", text) if part.strip()]


SHIPPED_INSTRUMENTS = sorted(load_instruments(SHIPPED))


def test_every_shipped_area_has_one_sentence_per_band_in_the_familys_voice():
    for instrument in load_instruments(SHIPPED).values():
        for domain in instrument.domains:
            assert len(domain.family_words) == len(domain.descriptions) == len(instrument.bands)
            for text in domain.family_words:
                assert 0 < len(text) <= FAMILY_WORDS_MAX
                assert text not in domain.descriptions  # written afresh, not copied
                words = {word.lower() for words in sentences(text) for word in words}
                assert words & FIRST_PERSON, f"{domain.key}: {text!r} is not in the family's voice"
    assert sum(len(d.family_words) for d in get_instrument("taf-dtt").domains) == 22 * 5
    assert sum(len(d.family_words) for d in get_instrument("family-outcomes-10").domains) == 10 * 5


@pytest.mark.parametrize("key", SHIPPED_INSTRUMENTS)
def test_family_words_read_plainly(key):
    instrument = get_instrument(key)
    all_sentences = [
        words
        for domain in instrument.domains
        for text in domain.family_words
        for words in sentences(text)
    ]
    for words in all_sentences:
        assert len(words) <= MAX_WORDS_PER_SENTENCE, " ".join(words)
        for word in words:
            assert syllables(word) <= MAX_SYLLABLES, word
            assert word.lower() not in JARGON, word
    word_count = sum(len(words) for words in all_sentences)
    mean_length = word_count / len(all_sentences)
    per_word = sum(syllables(w) for words in all_sentences for w in words) / word_count
    grade = 0.39 * mean_length + 11.8 * per_word - 15.59
    assert mean_length <= MAX_MEAN_WORDS_PER_SENTENCE
    assert grade <= MAX_GRADE


def test_the_readability_rule_catches_hard_words():
    assert syllables("home") == 1 and syllables("family") == 3
    assert syllables("responsibilities") > MAX_SYLLABLES
    assert len(sentences("We are fine. Things are hard.")) == 2


def test_the_hard_end_of_each_scale_is_kind_and_asks_for_help():
    taf = get_instrument("taf-dtt")
    # TAF: 1 is no need (good), 5 is critical.
    assert taf.family_words_for("housing", 1) == "We have a safe home that suits us."
    assert taf.family_words_for("income_employment_finance", 5) == (
        "Things are very hard with money right now. We need help quickly."
    )
    assert all("help" in taf.family_words_for(d, 5) for d in taf.domains)


def test_a_star_point_reads_its_stage_words():
    star = get_instrument("family-outcomes-10")
    health = star.domains[0]
    # The star runs 1 (stuck) to 10 (managing well), two points to a stage.
    assert star.family_words_for(health, 1) == health.family_words[0]
    assert star.family_words_for(health, 2) == health.family_words[0]
    stage_four = "My children mostly eat well, keep clean and get to check-ups."
    assert star.family_words_for(health, 7) == star.family_words_for(health, 8) == stage_four
    assert star.family_words_for("physical_health", 10) == health.family_words[4]
    # Same rule as the worker's descriptions: one band index for both.
    for point in star.points:
        index = star.band_index(point)
        assert star.band_for(point) is star.bands[index]
    with pytest.raises(InstrumentError, match="11 is outside"):
        star.family_words_for(health, 11)
    with pytest.raises(InstrumentError, match="'nope' is not an area of family-outcomes-10"):
        star.family_words_for("nope", 3)


def test_half_points_read_their_band_and_a_tool_without_family_words_still_reads(tmp_path):
    (tmp_path / "local.yaml").write_text(LOCAL)
    local = load_instruments(tmp_path)["local-wellbeing"]
    assert [local.family_words_for("sleep", p) for p in (0, 1.5, 2, 3.5, 4)] == [
        "I hardly sleep.",
        "I hardly sleep.",
        "I sleep well most nights.",
        "I sleep well most nights.",
        "I sleep well most nights.",
    ]
    # "mood" has no family words: its descriptions stand in.
    assert local.family_words_for("mood", 0.5) == "Low most days."
    assert local.family_words_for("mood", 2.5) == "Mostly bright."


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ('["I hardly sleep."]', "domain 'sleep' has 1 family words; it needs one per band (2)"),
        ('["I hardly sleep.", "  "]', "domain 'sleep' family words 2 is empty"),
        (
            f'["I hardly sleep.", "{"x" * (FAMILY_WORDS_MAX + 1)}"]',
            f"domain 'sleep' family words 2 has {FAMILY_WORDS_MAX + 1} characters",
        ),
    ],
)
def test_bad_family_words_are_refused_naming_the_file_and_area(tmp_path, words, message):
    text = LOCAL.replace('["I hardly sleep.", "I sleep well most nights."]', words)
    assert text != LOCAL
    (tmp_path / "local.yaml").write_text(text)
    with pytest.raises(InstrumentError) as raised:
        load_instruments(tmp_path)
    assert str(raised.value).startswith("local.yaml:")
    assert message in str(raised.value)


@pytest.mark.parametrize("key", ["taf-dtt", "family-outcomes-10"])
def test_every_shipped_area_has_a_plain_name_for_the_family(key):
    instrument = get_instrument(key)
    names = [domain.name_for_family for domain in instrument.domains]
    assert all(domain.family_label for domain in instrument.domains), "each area has one"
    assert len(set(names)) == len(names), "no two areas share a name on the family's page"
    for name in names:
        for word in re.findall(r"[A-Za-z']+", name):
            assert syllables(word) <= MAX_SYLLABLES, word
            assert word.lower() not in JARGON, word


def test_an_area_without_a_family_label_shows_its_label_and_a_long_one_is_refused(tmp_path):
    (tmp_path / "local.yaml").write_text(LOCAL)
    sleep, mood = load_instruments(tmp_path)["local-wellbeing"].domains
    assert (sleep.name_for_family, mood.name_for_family) == ("Sleep", "Mood")
    (tmp_path / "local.yaml").write_text(
        LOCAL.replace("label: Sleep\n", f"label: Sleep\n        family_label: {'z' * 41}\n")
    )
    with pytest.raises(InstrumentError, match="family_label"):
        load_instruments(tmp_path)
