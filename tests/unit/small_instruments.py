"""Test instruments cut down from the shipped ones, so a hand-worked cohort can score
every area, and with figures the shipped ones do not declare (a caseness threshold)."""

from __future__ import annotations

from tracker.instruments.loader import Instrument, Section, Sourced, get_instrument


def cut_down(key: str, domains: int, *, caseness: float | None = None) -> Instrument:
    """The shipped instrument ``key`` with only its first ``domains`` areas, and
    optionally a caseness threshold on the overall score."""
    shipped = get_instrument(key)
    section = Section(key="all", label="All areas", domains=shipped.domains[:domains])
    return shipped.model_copy(
        update={
            "key": f"{key}-{domains}",
            "sections": (section,),
            "caseness": None if caseness is None else Sourced(value=caseness, source="a test"),
        }
    )
