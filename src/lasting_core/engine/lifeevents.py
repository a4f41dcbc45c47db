"""Stressful life events: an extra, fading hazard that a return begins (docs/engine.md 2.10).

A life event of weight w on day t_i adds its own onset hazard, independent of the personal
durability (a competing cause of a return):

    lambda(t) = c * sum_i w_i exp(-(t - t_i) / tau),   t >= t_i,

``c`` from ``life_event_onset_probability`` (an event of weight 1 alone starts a return
with that probability over its whole course) and ``tau`` = ``life_event_fade_days``. Both
the load and the cumulative hazard follow recursively, so each patient keeps four numbers:

1. the load ``L(t) = sum_i w_i exp(-(t - t_i)/tau)`` at the latest event's day, and the
   cumulative ``I(t) = integral of L`` (weight-days) up to it;
2. at a later time t (no event since): ``L(t) = L exp(-(t - day)/tau)`` and
   ``I(t) = I + tau L (1 - exp(-(t - day)/tau))``;
3. at a new event: move both to its day, then add its weight to the load.

The onset probability over a stretch of time is the durability's, times the chance that no
life event started a return in it: ``exp(-c (I(t2) - I(t1)))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.engine.parameters import EngineSettings

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class LifeEventArrays:
    """Life events of n patients: the latest one and the fading load (NaN before any)."""

    day: FloatArray  # the latest event's day
    kind: FloatArray  # its kind, an index in history.LIFE_EVENT_KINDS
    weight: FloatArray  # its weight, 0-1
    load: FloatArray  # L at ``day``
    cumulative: FloatArray  # I at ``day``, weight-days

    @classmethod
    def empty(cls, n: int) -> LifeEventArrays:
        return cls(
            day=np.full(n, np.nan),
            kind=np.full(n, np.nan),
            weight=np.full(n, np.nan),
            load=np.zeros(n),
            cumulative=np.zeros(n),
        )


def _elapsed(e: LifeEventArrays, day: FloatArray) -> FloatArray:
    """Days from the latest event to ``day`` (0 before any event or for padding)."""
    gap: FloatArray = np.where(np.isnan(e.day) | np.isnan(day), 0.0, np.maximum(day - e.day, 0.0))
    return gap


def load_at(e: LifeEventArrays, day: FloatArray, settings: EngineSettings) -> FloatArray:
    """Return the load L at ``day`` (no event later than the latest one)."""
    result: FloatArray = e.load * np.exp(-_elapsed(e, day) / settings.life_event_fade_days)
    return result


def cumulative_at(e: LifeEventArrays, day: FloatArray, settings: EngineSettings) -> FloatArray:
    """Return the cumulative load I at ``day`` in weight-days (step 2)."""
    tau = settings.life_event_fade_days
    spent = -np.expm1(-_elapsed(e, day) / tau)
    result: FloatArray = e.cumulative + tau * e.load * spent
    return result


def observe_life_events(
    e: LifeEventArrays,
    happened: BoolArray,
    day: FloatArray,
    weight: FloatArray,
    kind: FloatArray,
    settings: EngineSettings,
) -> None:
    """Fold in the life events of the ``happened`` rows (step 3)."""
    if not happened.any():
        return
    cumulative = cumulative_at(e, day, settings)
    load = load_at(e, day, settings) + weight
    np.copyto(e.cumulative, cumulative, where=happened)
    np.copyto(e.load, load, where=happened)
    np.copyto(e.day, day, where=happened)
    np.copyto(e.weight, weight, where=happened)
    np.copyto(e.kind, kind, where=happened)
