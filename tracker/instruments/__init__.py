"""Instruments are data: this package holds their loader and the YAML files it reads."""

from tracker.instruments.loader import (
    Instrument,
    InstrumentError,
    get_instrument,
    load_instruments,
)

__all__ = ["Instrument", "InstrumentError", "get_instrument", "load_instruments"]
