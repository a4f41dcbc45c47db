"""Is a return under way? A two-regime filter driven by the personal durability.

After a response, a patient is either *stable* (the level wanders, no trend) or
*returning* (symptoms climb back towards baseline at a rate of about (bar - best) / D
points a day, D the clinic's rise time). The switch from stable to returning has the hazard
of the patient's own relief interval (``durability``: Gamma-Weibull shrunk towards the
clinic), so the filter expects returns when this patient's relief usually fades. This is
an interacting-multiple-model (IMM) filter with two Kalman filters:

- M0, stable: local level, slope held at 0;
- M1, returning: local linear trend whose slope starts at the expected return rate
  (SD ``return_rate_sd_share`` of it) when the patient switches in.

Per check-in: 1. mix (the probability of switching during the gap comes from the
hazard); 2. predict both models over the gap; 3. update both with the check-in; 4. weigh
the models by how well each predicted it. A session restarts the stable regime.
The forecast (``crossing``, ``two_readings``) mixes the two: under M1 the trend's
projection; under M0 the wandering level and the chance that a return starts soon enough
to reach the bar (``onset_in_time``). That chance is what watches a calm patient more
closely as their usual relief length nears: it grows with the personal hazard before any
symptom moves. Returns differ in speed (the clinic's rise time is log-normal), and the
quick ones are the ones that can meet the bar within weeks, so the chance is averaged
over quick, median and slow kinds of return, not taken at the median.

A stressful life event adds its own, fading onset hazard (``lifeevents``): the chance of no
onset over a stretch is the durability's times exp(-extra cumulative hazard), both in the
switch of step 1 and in the chance that a return starts soon enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from lasting_core.engine.durability import conditional_survival
from lasting_core.engine.normal import normal_cdf
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.readings import both_above_returning, both_above_wandering

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class ReturnArrays:
    """Two-regime filter of n patients (mutated in place); NaN day before any check-in."""

    level0: FloatArray  # M0: level and its variance
    var0: FloatArray
    level1: FloatArray  # M1: level, slope (points/day) and covariance
    slope1: FloatArray
    p11: FloatArray
    p12: FloatArray
    p22: FloatArray
    returning: FloatArray  # probability of M1
    day: FloatArray
    # The life events' cumulative onset hazard when the regimes were last mixed (or at the
    # latest session), so the next mix adds only what accrued since.
    stress_mark: FloatArray

    @classmethod
    def empty(cls, n: int, settings: EngineSettings) -> ReturnArrays:
        var = settings.initial_level_sd**2
        return cls(
            level0=np.full(n, settings.initial_level),
            var0=np.full(n, var),
            level1=np.full(n, settings.initial_level),
            slope1=np.zeros(n),
            p11=np.full(n, var),
            p12=np.zeros(n),
            p22=np.zeros(n),
            returning=np.zeros(n),
            day=np.full(n, np.nan),
            stress_mark=np.zeros(n),
        )

    def copy(self) -> ReturnArrays:
        return self.take(slice(None))

    def take(self, rows: slice | npt.NDArray[np.int64], times: int = 1) -> ReturnArrays:
        """Return a copy of some patients, repeated ``times`` times end to end."""
        if times == 1:  # the sweep's copy on every step: a plain copy is quicker than tile
            return ReturnArrays(**{name: getattr(self, name)[rows].copy() for name in _FIELDS})
        return ReturnArrays(**{name: np.tile(getattr(self, name)[rows], times) for name in _FIELDS})


# Three kinds of return, quick, median and slow, for the spread of the rise time: the
# three-point Gauss-Hermite rule for a standard normal z (nodes 0 and +-sqrt(3), weights 2/3
# and 1/6), exact for polynomials in z up to degree 5.
_RISE_NODES = ((-math.sqrt(3.0), 1.0 / 6.0), (0.0, 2.0 / 3.0), (math.sqrt(3.0), 1.0 / 6.0))


@dataclass(frozen=True)
class Hazard:
    """What the switching hazard needs per patient (NaN rate: no return is possible)."""

    rate: FloatArray  # expected return slope, points/day; NaN outside a response
    elapsed: FloatArray  # days since the session that opened the relief interval
    gamma_shape: FloatArray
    gamma_rate: FloatArray
    weibull_shape: float
    rise_days: float
    rise_log_sd: float = 0.0
    # Life events (``lifeevents``): the extra onset hazard per day now, and its cumulative
    # up to now; None: no life event in the pack.
    stress_rate: FloatArray | None = None
    stress_cumulative: FloatArray | None = None
    stress_fade_days: float = 1.0

    @cached_property
    def kinds(self) -> tuple[tuple[float, float, FloatArray], ...]:
        """Per kind of return (``_RISE_NODES``): its rise, its weight, and b + (e + R)^k.

        The last term is the survival's "since" part at the current elapsed time e; it
        does not depend on the horizon, so it is computed once per hazard (the crossing
        date's bisection asks for many horizons).
        """
        result = []
        for z, weight in _RISE_NODES:
            rise = self.rise_days * math.exp(self.rise_log_sd * z)
            since = np.power(np.maximum(self.elapsed + rise, 0.0), self.weibull_shape)
            result.append((rise, weight, self.gamma_rate + since))
        return tuple(result)

    @property
    def stressed(self) -> bool:
        """Return whether any patient has a life event's extra hazard now."""
        return self.stress_rate is not None and bool(np.any(self.stress_rate > 0.0))

    def take(self, rows: slice | npt.NDArray[np.int64], times: int = 1) -> Hazard:
        def tiled(values: FloatArray | None) -> FloatArray | None:
            return None if values is None else np.tile(values[rows], times)

        return Hazard(
            rate=np.tile(self.rate[rows], times),
            elapsed=np.tile(self.elapsed[rows], times),
            gamma_shape=np.tile(self.gamma_shape[rows], times),
            gamma_rate=np.tile(self.gamma_rate[rows], times),
            weibull_shape=self.weibull_shape,
            rise_days=self.rise_days,
            rise_log_sd=self.rise_log_sd,
            stress_rate=tiled(self.stress_rate),
            stress_cumulative=tiled(self.stress_cumulative),
            stress_fade_days=self.stress_fade_days,
        )


_FIELDS = (
    "level0",
    "var0",
    "level1",
    "slope1",
    "p11",
    "p12",
    "p22",
    "returning",
    "day",
    "stress_mark",
)


def onset_probability(
    h: Hazard,
    since: FloatArray,
    until: FloatArray,
    rise_days: float | None = None,
    stress: FloatArray | None = None,
) -> FloatArray:
    """Return P(a return starts in (since, until] | none by since), times from the session.

    A return started at o reaches the relapse bar about ``rise_days`` later (default: the
    clinic's median), so onsets are the relief intervals shifted back by it. ``stress``:
    the life events' extra cumulative onset hazard over the same stretch.
    """
    rise = h.rise_days if rise_days is None else rise_days
    survive = conditional_survival(
        h.gamma_shape, h.gamma_rate, h.weibull_shape, since + rise, until + rise
    )
    if stress is not None:
        survive = survive * np.exp(-stress)
    result: FloatArray = np.where(np.isnan(survive) | np.isnan(h.rate), 0.0, 1.0 - survive)
    return result


def onset_in_time(h: Hazard, climb: FloatArray, tau: FloatArray) -> FloatArray:
    """Return P(a return not yet begun starts soon enough to climb to the bar within tau).

    ``climb``: days a return of the clinic's median rise needs from the current level to
    the bar. Returns differ: a kind that rises in R days (log-normal around the median,
    ``rise_log_sd``) needs climb x R / median and starts at a time shifted back by R from
    its relief interval, so P(it starts in (e, e + tau - climb R / median]) is
    1 - ((b' + (e + R)^k) / (b' + (e + tau - climb R / median + R)^k))^a' (``durability``).
    Averaged over three kinds of return (Gauss-Hermite in the log rise), so quick returns,
    which can meet the bar soon after they start, are not lost in the median (with the
    median alone, a stable patient could not relapse within 28 days).
    """
    total = np.zeros(np.broadcast(climb, tau).shape)
    stressed = h.stressed
    for rise, weight, since in h.kinds:
        window = np.maximum(tau - climb * (rise / max(h.rise_days, 1e-9)), 0.0)
        until = np.power(np.maximum(h.elapsed + window + rise, 0.0), h.weibull_shape)
        survive = np.power(since / (h.gamma_rate + until), h.gamma_shape)
        if stressed:
            assert h.stress_rate is not None
            fade = h.stress_fade_days
            survive = survive * np.exp(-h.stress_rate * fade * -np.expm1(-window / fade))
        total += weight * np.where(np.isnan(survive) | np.isnan(h.rate), 0.0, 1.0 - survive)
    result: FloatArray = total
    return result


def _mix_and_predict(r: ReturnArrays, dt: FloatArray, h: Hazard, settings: EngineSettings) -> None:
    """Switch (stable -> returning) with the hazard over the gap, then predict both models."""
    stress = None
    if h.stress_cumulative is not None:
        stress = np.maximum(h.stress_cumulative - r.stress_mark, 0.0)
        r.stress_mark[...] = h.stress_cumulative
    switch = onset_probability(h, h.elapsed - dt, h.elapsed, stress=stress)
    stay = 1.0 - r.returning
    into = stay * switch
    total = r.returning + into
    share_new = np.where(total > 0.0, into / np.maximum(total, 1e-300), 0.0)
    share_old = 1.0 - share_new
    rate = np.where(np.isnan(h.rate), 0.0, h.rate)
    rate_var = (settings.return_rate_sd_share * rate) ** 2

    # Mixed M1: the returning mass keeps its state; the new mass starts from M0's level
    # with the expected return rate (a jump in the slope).
    level = share_old * r.level1 + share_new * r.level0
    slope = share_old * r.slope1 + share_new * rate
    d_level_old, d_slope_old = r.level1 - level, r.slope1 - slope
    d_level_new, d_slope_new = r.level0 - level, rate - slope
    p11 = share_old * (r.p11 + d_level_old**2) + share_new * (r.var0 + d_level_new**2)
    p12 = share_old * (r.p12 + d_level_old * d_slope_old) + share_new * (d_level_new * d_slope_new)
    p22 = share_old * (r.p22 + d_slope_old**2) + share_new * (rate_var + d_slope_new**2)
    r.returning[...] = total

    # Predict: M0 a random walk; M1 a local linear trend with a slowly wandering slope.
    q_level = settings.level_sd_per_sqrt_day**2 * dt
    q_slope = settings.return_slope_sd_per_day**2 * dt
    r.var0 += q_level
    r.level1[...] = level + slope * dt
    r.slope1[...] = slope
    r.p11[...] = p11 + 2.0 * dt * p12 + dt * dt * p22 + q_level + q_slope * dt * dt / 3.0
    r.p12[...] = p12 + dt * p22 + q_slope * dt / 2.0
    r.p22[...] = p22 + q_slope


def step_returns(
    r: ReturnArrays,
    observed: BoolArray,
    day: FloatArray,
    score: FloatArray,
    h: Hazard,
    settings: EngineSettings,
) -> None:
    """Fold in the check-ins of ``observed`` rows (the others are unchanged)."""
    if not observed.any():
        return
    # Computed for every row and committed where observed: on dense steps this is faster
    # than gathering the observed rows.
    sub = r.copy()
    sub_h = h
    dt = np.where(observed & ~np.isnan(sub.day), np.maximum(day - sub.day, 0.0), 0.0)
    _mix_and_predict(sub, dt, sub_h, settings)
    y = np.where(observed, score, sub.level0)
    obs_var = settings.obs_sd**2

    s0 = sub.var0 + obs_var
    v0 = y - sub.level0
    s1 = sub.p11 + obs_var
    v1 = y - sub.level1
    log_like0 = -0.5 * (_LOG_2PI + np.log(s0) + v0 * v0 / s0)
    log_like1 = -0.5 * (_LOG_2PI + np.log(s1) + v1 * v1 / s1)
    gain0 = sub.var0 / s0
    sub.level0 += gain0 * v0
    sub.var0 *= 1.0 - gain0
    k1, k2 = sub.p11 / s1, sub.p12 / s1
    sub.level1 += k1 * v1
    sub.slope1 += k2 * v1
    sub.p22 -= k2 * sub.p12
    sub.p12 -= k1 * sub.p12
    sub.p11 -= k1 * sub.p11

    # Bayes over the regimes: prior returning share times each model's likelihood.
    odds = np.log(np.maximum(sub.returning, 1e-300)) - np.log(
        np.maximum(1.0 - sub.returning, 1e-300)
    )
    odds += log_like1 - log_like0
    sub.returning[...] = np.where(sub.returning > 0.0, 1.0 / (1.0 + np.exp(-odds)), 0.0)
    sub.day[...] = day
    for name in _FIELDS:
        np.copyto(getattr(r, name), getattr(sub, name), where=observed)


def restart(
    r: ReturnArrays,
    session: BoolArray,
    settings: EngineSettings,
    stress_cumulative: FloatArray | None = None,
) -> None:
    """A session: back to the stable regime, with the level loosened as in the main filter.

    ``stress_cumulative``: the life events' cumulative onset hazard at the session, so the
    next mix counts only the hazard after it.
    """
    if not session.any():
        return
    if stress_cumulative is not None:
        np.copyto(r.stress_mark, stress_cumulative, where=session)
    r.var0 += session * settings.session_level_sd**2
    np.copyto(r.returning, 0.0, where=session)
    np.copyto(r.level1, r.level0, where=session)
    np.copyto(r.p11, r.var0, where=session)
    np.copyto(r.slope1, 0.0, where=session)
    np.copyto(r.p12, 0.0, where=session)
    np.copyto(r.p22, 0.0, where=session)


def predict_returns(
    r: ReturnArrays, as_of: FloatArray, h: Hazard, settings: EngineSettings
) -> ReturnArrays:
    """Return a copy moved forward to ``as_of`` (switching over the gap included)."""
    moved = r.copy()
    dt = np.where(np.isnan(r.day), 0.0, np.maximum(as_of - r.day, 0.0))
    _mix_and_predict(moved, dt, h, settings)
    moved.day[...] = np.where(np.isnan(r.day), r.day, as_of)
    return moved


def with_daily_evidence(
    r: ReturnArrays,
    change: FloatArray,
    change_sd: FloatArray,
    gap: FloatArray,
    settings: EngineSettings,
) -> FloatArray:
    """Return the probability of the returning regime given the daily check's change too.

    ``change`` (PHQ-9 points since the post-session baseline, NaN: no evidence) is a
    reading of the rise since the stable level, with noise SD ``change_sd``. Stable: the
    rise is 0. Returning: a return may have started any time, so the rise is spread
    evenly over 0 to ``gap`` (the distance from the best score to the bar). The likelihood
    ratio, clipped at ``daily_max_likelihood_ratio`` either way, multiplies the odds; the
    daily noise is independent of the PHQ-9's, so the two combine by Bayes' rule.
    """
    sd = np.where(change_sd > 0.0, change_sd, 1.0)
    width = np.maximum(gap, 1.0)
    x = np.where(np.isnan(change), 0.0, change) / sd
    # P(reading | returning) / P(reading | stable), both as densities of x.
    under_return = (normal_cdf(x) - normal_cdf(x - width / sd)) * sd / width
    under_stable = np.exp(-0.5 * x * x - 0.5 * _LOG_2PI)
    cap = float(np.log(settings.daily_max_likelihood_ratio))
    log_ratio = np.clip(
        np.log(np.maximum(under_return, 1e-300)) - np.log(np.maximum(under_stable, 1e-300)),
        -cap,
        cap,
    )
    odds = r.returning / np.maximum(1.0 - r.returning, 1e-300) * np.exp(log_ratio)
    updated: FloatArray = np.where(
        np.isnan(change) | np.isnan(change_sd) | ~(r.returning > 0.0),
        r.returning,
        odds / (1.0 + odds),
    )
    return updated


def _returning_above(
    r: ReturnArrays, c: FloatArray, tau: FloatArray, settings: EngineSettings, noise: float
) -> FloatArray:
    """Return P(the level, plus ``noise`` variance, is above c tau days ahead) under M1."""
    q_level = settings.level_sd_per_sqrt_day**2 * tau
    q_slope = settings.return_slope_sd_per_day**2 * tau
    mean1 = r.level1 + r.slope1 * tau
    var1 = r.p11 + 2.0 * tau * r.p12 + tau * tau * r.p22 + q_level + q_slope * tau * tau / 3.0
    result: FloatArray = normal_cdf((mean1 - c) / np.sqrt(var1 + noise))
    return result


def _wander_above(
    r: ReturnArrays, c: FloatArray, tau: FloatArray, settings: EngineSettings, noise: float
) -> FloatArray:
    """Return P(the stable level wanders above c tau days ahead, plus ``noise`` variance)."""
    q_level = settings.level_sd_per_sqrt_day**2 * tau
    result: FloatArray = normal_cdf((r.level0 - c) / np.sqrt(r.var0 + q_level + noise))
    return result


def _climb_days(r: ReturnArrays, c: FloatArray, h: Hazard) -> FloatArray:
    """Return the days a median return needs from the stable level to c."""
    result: FloatArray = np.maximum(c - r.level0, 0.0) / np.where(h.rate > 0.0, h.rate, np.inf)
    return result


def _whole_points(bar: FloatArray) -> FloatArray:
    """Totals are whole points: "at or above the bar" is "above ceil(bar) - 0.5"."""
    result: FloatArray = np.ceil(bar - 1e-9) - 0.5
    return result


def crossing(
    r: ReturnArrays,
    bar: FloatArray,
    tau: FloatArray,
    h: Hazard,
    settings: EngineSettings,
    *,
    reading: bool = False,
) -> FloatArray:
    """Return P(latent PHQ-9 reaches the bar within tau days) from the moved-forward state.

    Returning: the trend's projection, Normal(level + slope tau, var(tau)). Stable: the
    wandering level, or a return that starts soon enough to climb to the bar in time
    (``onset_in_time``). With ``reading``, return instead P(a check-in tau days ahead is
    at or above the bar): the measurement noise is added and "already above" does not
    count by itself.
    """
    c = _whole_points(bar)
    noise = settings.obs_sd**2 if reading else 0.0
    returning = _returning_above(r, c, tau, settings, noise)
    if not reading:
        returning = np.maximum(returning, normal_cdf((r.level1 - c) / np.sqrt(r.p11)))
    wander = _wander_above(r, c, tau, settings, noise)
    starts = onset_in_time(h, _climb_days(r, c, h), tau)
    stable = 1.0 - (1.0 - wander) * (1.0 - starts)
    result: FloatArray = r.returning * returning + (1.0 - r.returning) * stable
    result[np.isnan(bar) | np.isnan(h.rate)] = np.nan
    return result


def two_readings(
    r: ReturnArrays,
    bar: FloatArray,
    first: float,
    second: float,
    h: Hazard,
    settings: EngineSettings,
) -> FloatArray:
    """Return P(check-ins ``first`` and ``second`` days ahead are both at or above the bar).

    1. Returning (M1): each reading from the trend's projection plus the measurement
       noise, the two taken as independent given the forecast (this under-counts a
       little: they share the latent level).
    2. Stable (M0): both readings above by the level's wandering (independent, as in 1),
       or a return that starts soon enough for the *first* reading to be above the bar:
       a return that does so keeps climbing, so the second follows. The onset enters
       once, not once per reading (as two independent events its chance was squared).
    3. Mix the two by the probability of the returning regime.
    """
    c = _whole_points(bar)
    noise = settings.obs_sd**2
    t1 = np.full(bar.size, first)
    t2 = np.full(bar.size, second)
    if settings.joint_readings:
        level_q = settings.level_sd_per_sqrt_day**2
        slope_q = settings.return_slope_sd_per_day**2
        returning = both_above_returning(
            r.level1, r.slope1, r.p11, r.p12, r.p22, c, t1, t2, level_q, slope_q, noise
        )
        wander = both_above_wandering(r.level0, r.var0, c, t1, t2, level_q, noise)
    else:
        returning = _returning_above(r, c, t1, settings, noise) * _returning_above(
            r, c, t2, settings, noise
        )
        wander = _wander_above(r, c, t1, settings, noise) * _wander_above(r, c, t2, settings, noise)
    starts = onset_in_time(h, _climb_days(r, c, h), t1)
    stable = 1.0 - (1.0 - wander) * (1.0 - starts)
    result: FloatArray = r.returning * returning + (1.0 - r.returning) * stable
    result[np.isnan(bar) | np.isnan(h.rate)] = np.nan
    return result
