"""Personal rate of return after a session, shrunk towards the clinic (docs/engine.md 2.5).

Model: the relief interval T (days from a session to the loss of response) is Weibull
with a clinic-wide shape k and a personal rate r: S(t | r) = exp(-r t^k). Across patients
r ~ Gamma(a, b) (the clinic population). Gamma is conjugate to this likelihood, so the
empirical-Bayes posterior after a patient's own intervals is Gamma(a + d, b + E), with
d the number of intervals that ended in a loss of response and E the sum of t^k over all
of them (censored ones too). The predictive survival, given the current interval has
lasted s days, is closed form:

    P(T > t | T > s) = ((b' + s^k) / (b' + t^k))^a'.

An interval starts at a session (each induction session restarts it, so the induction
series counts from its last session). It ends with a loss of response on the first
check-in of a confirmed relapse, at a clinician-entered relapse event, or at a booster
(kind "booster": given because symptoms returned). A maintenance session (on a schedule)
censors it. Only intervals of a patient in response count. Bias to know: boosters given
early because of a forecast shorten the intervals the model learns from (informative
censoring).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from lasting_core.definitions import RelapseState, track_relapse
from lasting_core.engine.history import PatientHistory
from lasting_core.engine.parameters import EngineSettings

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Intervals shorter than this count as this long (a loss of response on the day of the
# session is a data-entry artefact more often than a real interval).
MIN_INTERVAL_DAYS = 1.0
# The first simplex of the prior fit: each log-parameter one step from the published prior.
NELDER_MEAD_STEP = 0.3


@dataclass(frozen=True)
class PopulationPrior:
    """The clinic-level prior for the personal rate of return.

    ``shape`` (k), ``gamma_shape`` (a) and ``gamma_rate`` (b, in days^k) define the prior;
    ``rise_days`` is how long before the loss of response a return starts to show (the
    median; returns that have not begun yet are forecast from the hazard alone), and
    ``rise_log_sd`` the spread of that time between returns (log-normal): some returns
    take a week, others two months.
    """

    shape: float
    gamma_shape: float
    gamma_rate: float
    rise_days: float
    # Choice for a clinic without history: returns that take half to twice the median
    # are common (log-SD 0.5); fitted from the clinic's relapses otherwise.
    rise_log_sd: float = 0.5
    patients: int = 0
    intervals: int = 0
    events: int = 0
    source: str = "default"

    def __post_init__(self) -> None:
        for name in ("shape", "gamma_shape", "gamma_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.rise_days < 0:
            raise ValueError("rise_days cannot be negative")
        if self.rise_log_sd < 0:
            raise ValueError("rise_log_sd cannot be negative")

    @classmethod
    def default(cls) -> PopulationPrior:
        """Return the prior for a clinic without history, from published survival.

        McInnes 2022 (real-world responders without maintenance): about 80 % still
        responding at 4 weeks and 60 % at 8 weeks. With heterogeneity a = 2 (choice: the
        personal rate varies with a coefficient of variation of 0.7), the marginal survival
        (b / (b + t^k))^a through S(28) = 0.80 and S(56) = 0.60 gives
        2^k = (0.6^(-1/a) - 1) / (0.8^(-1/a) - 1) and b = 28^k / (0.8^(-1/a) - 1).
        rise_days = 21 is an assumption (returns take 2-4 weeks to reach the threshold,
        docs/benchmarks.md); fit_population_prior estimates it from a clinic's relapses.
        """
        a = 2.0
        at_28 = 0.8 ** (-1.0 / a) - 1.0
        at_56 = 0.6 ** (-1.0 / a) - 1.0
        k = math.log2(at_56 / at_28)
        return cls(
            shape=k,
            gamma_shape=a,
            gamma_rate=28.0**k / at_28,
            rise_days=21.0,
            source="default: McInnes 2022 S(28) = 0.80, S(56) = 0.60",
        )

    def median_days(self) -> float:
        """Return the clinic's median relief interval."""
        return posterior_median(self.gamma_shape, self.gamma_rate, self.shape)


@overload
def posterior_median(a: float, b: float, k: float) -> float: ...
@overload
def posterior_median(a: FloatArray, b: FloatArray, k: float) -> FloatArray: ...
def posterior_median(a: float | FloatArray, b: float | FloatArray, k: float) -> float | FloatArray:
    """Return the median of T under S(t) = (b / (b + t^k))^a, for numbers or arrays.

    S(m) = 1/2 gives m^k = b (2^(1/a) - 1); ``gamma_rate_for_median`` is the inverse.
    """
    return (b * (2.0 ** (1.0 / a) - 1.0)) ** (1.0 / k)


def gamma_rate_for_median(median: float, a: float, k: float) -> float:
    """Return the b of S(t) = (b / (b + t^k))^a whose median is ``median`` days."""
    return float(median**k / (2.0 ** (1.0 / a) - 1.0))


def conditional_survival(
    a: FloatArray, b: FloatArray, k: float, elapsed: FloatArray, until: FloatArray
) -> FloatArray:
    """Return P(T > until | T > elapsed) under the Gamma-Weibull predictive."""
    s_k = np.power(np.maximum(elapsed, 0.0), k)
    t_k = np.power(np.maximum(until, 0.0), k)
    result: FloatArray = np.power((b + s_k) / (b + t_k), a)
    return result


@dataclass
class DurabilityArrays:
    """Relief intervals of n patients: the open interval and the sufficient statistics."""

    start: FloatArray  # NaN when no interval is open
    events: FloatArray  # d: intervals ended by a loss of response
    exposure: FloatArray  # E: sum of t^k over closed intervals
    closed: FloatArray  # number of closed intervals
    event_days: FloatArray  # sum of the lengths of intervals that ended in an event

    @classmethod
    def empty(cls, n: int) -> DurabilityArrays:
        return cls(
            start=np.full(n, np.nan),
            events=np.zeros(n),
            exposure=np.zeros(n),
            closed=np.zeros(n),
            event_days=np.zeros(n),
        )


def close_intervals(
    u: DurabilityArrays,
    rows: BoolArray,
    end: FloatArray,
    event: BoolArray,
    k: float,
    counted: BoolArray | None = None,
) -> None:
    """Close the open intervals of ``rows`` at ``end`` (an event where ``event``).

    Only ``counted`` rows (default: all) add to the statistics; the others are discarded.
    Rows whose open interval started after ``end`` keep it open (a relapse anchored
    before the latest session belongs to the interval that session already closed).
    """
    rows = rows & ~np.isnan(u.start) & (end >= u.start)
    if counted is not None:
        np.copyto(u.start, np.nan, where=rows & ~counted)
        rows &= counted
    if not rows.any():
        return
    index = np.flatnonzero(rows)
    length = np.maximum(end[index] - u.start[index], MIN_INTERVAL_DAYS)
    is_event = event[index]
    u.exposure[index] += np.power(length, k)
    u.events[index] += is_event
    u.event_days[index] += np.where(is_event, length, 0.0)
    u.closed[index] += 1.0
    u.start[index] = np.nan


def open_intervals(u: DurabilityArrays, rows: BoolArray, day: FloatArray) -> None:
    np.copyto(u.start, day, where=rows)


# ---------------------------------------------------------------------------------------
# Fitting the clinic prior (empirical Bayes) from many histories.


def relief_intervals(
    history: PatientHistory, *, censor_at: float | None = None
) -> list[tuple[float, bool]]:
    """Return one patient's relief intervals as (days, ended in a loss of response).

    The same rules as the engine's sweep (module docstring): only intervals of a patient
    in response count (a booster for a patient who never responded says nothing about
    how long relief lasts). With ``censor_at``, an interval still open then, in response,
    is included as censored.
    """
    course = track_relapse(history.phq9, history.sessions, history.events)

    def in_response(day: float) -> bool:
        state = track_relapse(history.phq9, history.sessions, history.events, as_of_day=day).state
        return state in (RelapseState.RESPONDING, RelapseState.PENDING)

    # At the same day a confirmation (from a check-in or an event) precedes a session.
    timeline: list[tuple[float, int, float, str]] = [
        (day, 0, anchor, "")
        for day, anchor in zip(course.relapse_days, course.relapse_anchor_days, strict=True)
    ]
    timeline += [(float(day), 1, 0.0, str(kind)) for day, kind in history.sessions]
    timeline.sort(key=lambda item: (item[0], item[1]))
    intervals: list[tuple[float, bool]] = []
    start: float | None = None
    for day, what, anchor, kind in timeline:
        if what == 0:
            if start is not None and anchor >= start:
                intervals.append((max(anchor - start, MIN_INTERVAL_DAYS), True))
                start = None
            continue
        if kind != "induction" and start is not None and in_response(day):
            intervals.append((max(day - start, MIN_INTERVAL_DAYS), kind == "booster"))
        start = day
    open_at_end = censor_at is not None and start is not None and censor_at > start
    if open_at_end and censor_at is not None and start is not None and in_response(censor_at):
        intervals.append((max(censor_at - start, MIN_INTERVAL_DAYS), False))
    return intervals


def rise_estimates(history: PatientHistory, settings: EngineSettings) -> list[float]:
    """Return, per relapse, days from the last check-in near the best score to its anchor.

    "Near the best" means within one measurement SD of the lowest score in the 12 weeks
    before the anchor: on that day the return was not visible yet.
    """
    course = track_relapse(history.phq9, history.sessions, history.events)
    scores = sorted((float(day), float(score)) for day, score in history.phq9)
    rises: list[float] = []
    for anchor in course.relapse_anchor_days:
        before = [(d, s) for d, s in scores if anchor - 84.0 <= d < anchor]
        if len(before) < 2:
            continue
        best = min(s for _, s in before)
        rises.append(anchor - max(d for d, s in before if s <= best + settings.obs_sd))
    return rises


def fit_population_prior(
    histories: Sequence[PatientHistory],
    settings: EngineSettings | None = None,
    *,
    min_events: int = 20,
) -> PopulationPrior:
    """Fit the clinic prior (k, a, b) by maximum marginal likelihood (Nelder-Mead simplex of
    scipy.optimize, over the logs of k, a and the median); the rise time's median
    and log-SD from the clinic's relapses.

    Each patient's open interval is censored at their last record. With fewer than
    ``min_events`` losses of response, return the default prior (not enough history).
    The marginal likelihood of a patient with intervals t_j, d of them events, is
    prod_events(k t_j^(k-1)) b^a Gamma(a + d) / (Gamma(a) (b + sum_j t_j^k)^(a + d)).
    """
    s = settings or EngineSettings()
    owners: list[int] = []
    lengths: list[float] = []
    flags: list[float] = []
    rises: list[float] = []
    patients = 0
    for history in histories:
        intervals = relief_intervals(history, censor_at=history.last_day())
        rises += rise_estimates(history, s)
        if not intervals:
            continue
        owners += [patients] * len(intervals)
        lengths += [length for length, _ in intervals]
        flags += [float(event) for _, event in intervals]
        patients += 1
    default = PopulationPrior.default()
    n_events = int(sum(flags))
    if n_events < min_events:
        return default
    owner = np.asarray(owners)
    is_event = np.asarray(flags)
    log_length = np.log(np.asarray(lengths))
    d = np.bincount(owner, weights=is_event, minlength=patients)
    lgamma_a_d = np.vectorize(math.lgamma)

    def negative_log_likelihood(params: FloatArray) -> float:
        k, a, median = (float(v) for v in np.exp(params))
        b = gamma_rate_for_median(median, a, k)
        exposure = np.bincount(owner, weights=np.exp(k * log_length), minlength=patients)
        value = float(np.sum(is_event * (math.log(k) + (k - 1.0) * log_length)))
        value += float(
            np.sum(
                a * math.log(b)
                + lgamma_a_d(a + d)
                - math.lgamma(a)
                - (a + d) * np.log(b + exposure)
            )
        )
        return -value

    start = np.log([default.shape, default.gamma_shape, default.median_days()])
    # The simplex starts at the published prior with a step of 0.3 in each log-parameter
    # (a third larger or smaller); it stops when its values agree within 1e-8 and its
    # vertices within 1e-6 in log-parameter (a millionth of each parameter).
    simplex = np.vstack([start, start + NELDER_MEAD_STEP * np.eye(start.size)])
    fit = minimize(
        negative_log_likelihood,
        start,
        method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": 1e-6, "fatol": 1e-8, "maxiter": 500},
    )
    k, a, median = (float(v) for v in np.exp(fit.x))
    enough_rises = len(rises) >= min_events
    rise = float(np.median(rises)) if enough_rises else default.rise_days
    log_rises = np.log(np.maximum(np.asarray(rises), MIN_INTERVAL_DAYS))
    spread = float(np.std(log_rises)) if enough_rises else default.rise_log_sd
    return PopulationPrior(
        shape=k,
        gamma_shape=a,
        gamma_rate=gamma_rate_for_median(median, a, k),
        rise_days=rise,
        rise_log_sd=spread,
        patients=patients,
        intervals=len(lengths),
        events=n_events,
        source=f"fit from {patients} patients with {n_events} losses of response",
    )
