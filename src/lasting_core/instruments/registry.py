"""Look up instruments by code and score answers in one call."""

from __future__ import annotations

from collections.abc import Mapping

from lasting_core.instruments.base import Instrument, InstrumentCode, Score
from lasting_core.instruments.daily import DAILY
from lasting_core.instruments.gad7 import GAD7
from lasting_core.instruments.pain_nrs import PAIN_NRS
from lasting_core.instruments.pcl5 import PCL5, Pcl5Instrument
from lasting_core.instruments.phq9 import PHQ9

_INSTRUMENTS: dict[InstrumentCode, Instrument] = {
    instrument.code: instrument for instrument in (PHQ9, GAD7, PCL5, PAIN_NRS, DAILY)
}


def get_instrument(code: InstrumentCode | str) -> Instrument:
    """Return the instrument for `code`; raise KeyError naming the known codes if unknown."""
    try:
        return _INSTRUMENTS[InstrumentCode(code)]
    except ValueError:
        known = ", ".join(_INSTRUMENTS)
        raise KeyError(f"unknown instrument {code!r} (known: {known})") from None


def list_instruments() -> tuple[Instrument, ...]:
    """Return every instrument, in a stable order (PHQ-9 first)."""
    return tuple(_INSTRUMENTS.values())


def score(
    code: InstrumentCode | str,
    answers: Mapping[str, int | None],
    *,
    pcl5_cutoff: int | None = None,
) -> Score:
    """Score `answers` with the instrument for `code`.

    `pcl5_cutoff` sets the PCL-5 provisional-PTSD cut-off (31-33; default 33) and is
    ignored for other instruments, so one call site can pass a clinic's setting for all.
    """
    instrument = get_instrument(code)
    if isinstance(instrument, Pcl5Instrument):
        return instrument.score(answers, cutoff=pcl5_cutoff)
    return instrument.score(answers)
