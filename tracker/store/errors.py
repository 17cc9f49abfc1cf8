"""Errors that carry messages meant for the person at the keyboard."""

from __future__ import annotations


class RecordInvalid(ValueError):
    """What the user typed cannot be saved; ``problems`` maps each field to plain words."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {text}" for field, text in problems.items()))
        self.problems = problems
