"""Instruments are data: each is one YAML or JSON file in the instruments folder.

A service with its own local tool drops a file in and it works, with no code
change. The file is validated on load so a mistake is reported with the file
name and the field, not discovered later as a wrong chart.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tracker.store.settings import get_settings

INSTRUMENT_SUFFIXES = (".yaml", ".yml", ".json")
# A family's sentence must fit a phone screen as one large button.
FAMILY_WORDS_MAX = 140
FAMILY_LABEL_MAX = 40


class InstrumentError(ValueError):
    """An instrument file is malformed, or an instrument key is unknown."""


class Band(BaseModel):
    """A labelled stretch of the scale: one point on a need scale, a stage on a star."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float
    max: float
    label: str
    description: str = ""


class Domain(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    descriptions: tuple[str, ...]
    # The same bands in the family's own voice, for self-rating on their phone.
    # Optional so a local tool dropped in still loads; see Instrument.family_words_for.
    family_words: tuple[str, ...] = ()
    # The area's name as the family reads it ("Our home", not "Housing"); optional too.
    family_label: str = Field(default="", max_length=FAMILY_LABEL_MAX)

    @property
    def name_for_family(self) -> str:
        """What the family's own page calls this area: its family label, or its label."""
        return self.family_label or self.label


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str
    domains: tuple[Domain, ...] = Field(min_length=1)


class Reliability(BaseModel):
    """A published reliability for the instrument's overall score, with where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float = Field(gt=0, lt=1)
    kind: Literal["test-retest", "internal consistency"]
    source: str = Field(min_length=1)


class Sourced(BaseModel):
    """A published figure for the overall score (a reference SD, a caseness threshold)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: str = Field(min_length=1)


class Instrument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    short_name: str = ""
    version: int = Field(ge=1)
    description: str = ""
    scale_min: float
    scale_max: float
    step: float = Field(gt=0)
    higher_is_better: bool
    # Declared only with a published source; without them the yardstick for reliable
    # change is estimated from the whole service (tracker/measures/yardstick.py).
    reliability: Reliability | None = None
    reference_sd: Sourced | None = None
    # The overall score at or past which a family counts as a "case" (reliable recovery).
    caseness: Sourced | None = None
    bands: tuple[Band, ...] = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_consistency(self) -> Instrument:
        if self.scale_max <= self.scale_min:
            raise ValueError("scale_max must be greater than scale_min")
        points = (self.scale_max - self.scale_min) / self.step
        if not math.isclose(points, round(points)):
            raise ValueError("the scale range must be a whole number of steps")
        expected = self.scale_min
        for band in self.bands:
            if not math.isclose(band.min, expected) or band.max < band.min:
                raise ValueError(
                    f"band {band.label!r} must start at {expected:g} and not end before it"
                )
            expected = band.max + self.step
        if not math.isclose(self.bands[-1].max, self.scale_max):
            raise ValueError("the bands must end at scale_max")
        if self.reference_sd is not None and self.reference_sd.value <= 0:
            raise ValueError("reference_sd must be above 0")
        caseness = self.caseness
        if caseness is not None and not self.scale_min <= caseness.value <= self.scale_max:
            raise ValueError("caseness must lie on the scale")
        seen: set[str] = set()
        for domain in self.domains:
            if domain.key in seen:
                raise ValueError(f"domain key {domain.key!r} appears twice")
            seen.add(domain.key)
            if len(domain.descriptions) != len(self.bands):
                raise ValueError(
                    f"domain {domain.key!r} has {len(domain.descriptions)} descriptions; "
                    f"it needs one per band ({len(self.bands)})"
                )
            _check_family_words(domain, len(self.bands))
        return self

    @model_validator(mode="after")
    def _default_short_name(self) -> Instrument:
        if not self.short_name:
            object.__setattr__(self, "short_name", self.key)
        return self

    @property
    def domains(self) -> tuple[Domain, ...]:
        return tuple(domain for section in self.sections for domain in section.domains)

    @property
    def domain_keys(self) -> tuple[str, ...]:
        return tuple(domain.key for domain in self.domains)

    @property
    def direction(self) -> int:
        """+1 when a higher score is better, -1 on a need scale; multiply raw change by it."""
        return 1 if self.higher_is_better else -1

    @property
    def scale_span(self) -> float:
        return self.scale_max - self.scale_min

    @property
    def points(self) -> tuple[float, ...]:
        """Every score the scale allows, lowest first: what the form's buttons and the
        offline form's drop-downs offer."""
        count = round(self.scale_span / self.step)
        return tuple(self.scale_min + index * self.step for index in range(count + 1))

    def band_for(self, value: float) -> Band:
        return self.bands[self.band_index(value)]

    def band_index(self, value: float) -> int:
        """Which band a score falls in: the index into bands and every domain's
        per-band texts (descriptions, family words). A star's point is read by its stage."""
        for index, band in enumerate(self.bands):
            if band.min <= value <= band.max:
                return index
        raise InstrumentError(f"{value:g} is outside the {self.key} scale")

    def family_words_for(self, domain: Domain | str, point: float) -> str:
        """What a point means for this area in the family's words; a tool without
        family words falls back to its description, so every point still reads."""
        if isinstance(domain, str):
            domain = self.domain(domain)
        texts = domain.family_words or domain.descriptions
        return texts[self.band_index(point)]

    def domain(self, key: str) -> Domain:
        for domain in self.domains:
            if domain.key == key:
                return domain
        raise InstrumentError(f"{key!r} is not an area of {self.key}")


def _check_family_words(domain: Domain, bands: int) -> None:
    """Family words are optional, but when given each band needs one short sentence."""
    words = domain.family_words
    if not words:
        return
    if len(words) != bands:
        raise ValueError(
            f"domain {domain.key!r} has {len(words)} family words; it needs one per band ({bands})"
        )
    for number, text in enumerate(words, start=1):
        if not text.strip():
            raise ValueError(f"domain {domain.key!r} family words {number} is empty")
        if len(text) > FAMILY_WORDS_MAX:
            raise ValueError(
                f"domain {domain.key!r} family words {number} has {len(text)} characters; "
                f"keep it to {FAMILY_WORDS_MAX} or fewer"
            )


def _read_instrument(path: Path) -> Instrument:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return Instrument.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as error:
        raise InstrumentError(f"{path.name}: cannot be read: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'file'}: {item['msg']}"
            for item in error.errors()
        )
        raise InstrumentError(f"{path.name}: {problems}") from error


@cache
def _load_folder(directory: Path, fingerprint: tuple) -> dict[str, Instrument]:
    instruments: dict[str, Instrument] = {}
    for path, _mtime in fingerprint:
        instrument = _read_instrument(Path(path))
        if instrument.key in instruments:
            raise InstrumentError(
                f"{Path(path).name}: instrument key {instrument.key!r} is used twice"
            )
        instruments[instrument.key] = instrument
    return instruments


def load_instruments(directory: Path | None = None) -> dict[str, Instrument]:
    """Every instrument in the folder, by key; re-read when a file changes."""
    folder = Path(directory or get_settings().instruments_dir)
    files = sorted(p for p in folder.iterdir() if p.suffix in INSTRUMENT_SUFFIXES)
    fingerprint = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    return _load_folder(folder, fingerprint)


def get_instrument(key: str, directory: Path | None = None) -> Instrument:
    instruments = load_instruments(directory)
    if key not in instruments:
        known = ", ".join(sorted(instruments)) or "none"
        raise InstrumentError(f"unknown instrument {key!r} (known: {known})")
    return instruments[key]
