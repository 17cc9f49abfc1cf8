"""The family's self-rating on their own phone, screen by screen, in plain words.

The public page (pages/self_rating.py) only draws what is made here: each area's
choices in the family's words, where to carry on after a reload, the progress line and
the review before sending. Words are short, for a reading age of about 9.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.instruments.loader import Domain, Instrument
from tracker.render.scoring import number

PAGE_TITLE = "Rate how things are"
START = "Start"
CARRY_ON = "Carry on"
SKIP = "Skip this one"
BACK = "Back"
CHANGE = "Change"
SEND = "Send my answers"
SKIPPED = "Skipped"
CHECK = "Check your answers"
WELCOME_BACK = "Welcome back. We kept the answers you gave before."
QUESTION = "Which of these is most like your family right now?"
THANK_YOU = "Thank you"
SENT = "Your answers have gone to your key worker. You can close this page now."


@dataclass(frozen=True)
class Choice:
    """One point of the scale as a button: its value and what the button says."""

    point: float
    label: str


@dataclass(frozen=True)
class Stage:
    """A band of the scale in the family's words, with the points the family can tap.

    A need scale has one point a band, so its button says the words; a star's stage
    has several, so the words stand above one number button per point.
    """

    words: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class ReviewRow:
    key: str
    area: str
    answer: str


def stages(instrument: Instrument, domain: Domain) -> tuple[Stage, ...]:
    """Every band of ``domain`` in scale order, each with its points as choices."""
    result = []
    for band in instrument.bands:
        points = [p for p in instrument.points if band.min <= p <= band.max]
        words = instrument.family_words_for(domain, points[0])
        if len(points) == 1:
            choices = (Choice(points[0], words),)
        else:
            choices = tuple(Choice(point, number(point)) for point in points)
        result.append(Stage(words, choices))
    return tuple(result)


def numbers_hint(instrument: Instrument) -> str:
    """How to pick between a stage's numbers, or "" when each band is one point."""
    if all(band.min == band.max for band in instrument.bands):
        return ""
    better = "bigger" if instrument.higher_is_better else "smaller"
    return (
        "Find the box that fits best, then tap a number in it. "
        f"The {better} number means things are a bit better."
    )


def first_unanswered(instrument: Instrument, answers: dict[str, float | None]) -> int:
    """The area to carry on at: the first with no answer and not skipped, or the
    review (one past the last area) when every area has one."""
    for index, key in enumerate(instrument.domain_keys):
        if key not in answers:
            return index
    return len(instrument.domain_keys)


def progress_text(step: int, total: int) -> str:
    return f"Question {step + 1} of {total}"


def all_done(total: int) -> str:
    return f"All {total} questions done"


def intro(total: int) -> str:
    return (
        "Your key worker would like to know how things are going for your family. "
        f"There are {total} questions. Tap the answer that fits best. "
        "You can skip any question. You can check and change your answers before you send them."
    )


def answer_text(instrument: Instrument, domain: Domain, value: float | None) -> str:
    """An answer as the review shows it: the family's words, with the number when the
    words cover more than one point."""
    if value is None:
        return SKIPPED
    words = instrument.family_words_for(domain, value)
    band = instrument.band_for(value)
    return words if band.min == band.max else f"{words} ({number(value)})"


def review_rows(instrument: Instrument, answers: dict[str, float | None]) -> list[ReviewRow]:
    """Every area with what the family chose; an area not reached reads as skipped,
    which is how it will be sent."""
    return [
        ReviewRow(
            domain.key,
            domain.name_for_family,
            answer_text(instrument, domain, answers.get(domain.key)),
        )
        for domain in instrument.domains
    ]


def review_summary(instrument: Instrument, answers: dict[str, float | None]) -> str:
    total = len(instrument.domains)
    answered = sum(answers.get(key) is not None for key in instrument.domain_keys)
    skipped = total - answered
    line = f"You answered {answered} of {total} questions."
    if skipped:
        line += f" You skipped {skipped}."
    return line + " Tap Change to fix an answer, or send them when you are ready."
