"""Continuous-time Kalman filter: local level plus damped trend (docs/engine.md 2.2).

State x = (level, slope), slope in points per day. Between check-ins, over a gap of dt days:

    d level = slope dt + sigma_L dW1,     d slope = -theta slope dt + sigma_S dW2,

so the transition and its process noise are exact for any dt (no daily grid):

    F(dt) = [[1, (1 - e) / theta], [0, e]],  e = exp(-theta dt),
    Q11 = sigma_L^2 dt + sigma_S^2 / theta^2 (dt - 2 (1 - e) / theta + (1 - e^2) / (2 theta)),
    Q12 = sigma_S^2 / theta ((1 - e) / theta - (1 - e^2) / (2 theta)),
    Q22 = sigma_S^2 (1 - e^2) / (2 theta).

A check-in observes the level with the fixed psychometric noise (PHQ-9 SD 2.2). A session
is an intervention: the level variance is inflated and the trend restarts from zero.
Every function works on arrays of n patients; dt = 0 and zero gains are exact no-ops, so
padding never changes a patient's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.engine.parameters import EngineSettings

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class KalmanArrays:
    """Filter state of n patients, mutated in place. ``day`` is NaN before any record."""

    level: FloatArray
    slope: FloatArray
    p11: FloatArray
    p12: FloatArray
    p22: FloatArray
    day: FloatArray

    @classmethod
    def empty(cls, n: int, settings: EngineSettings) -> KalmanArrays:
        return cls(
            level=np.full(n, settings.initial_level),
            slope=np.zeros(n),
            p11=np.full(n, settings.initial_level_sd**2),
            p12=np.zeros(n),
            p22=np.full(n, settings.slope_sd_per_day**2),
            day=np.full(n, np.nan),
        )


@dataclass(frozen=True)
class Transition:
    """F and Q over gaps dt (arrays), for the settings' noise."""

    f12: FloatArray
    decay: FloatArray
    q11: FloatArray
    q12: FloatArray
    q22: FloatArray


def transition(dt: FloatArray, settings: EngineSettings) -> Transition:
    """Return the exact transition over gaps of ``dt`` days (dt >= 0)."""
    theta = settings.slope_damping_rate
    q_level = settings.level_sd_per_sqrt_day**2
    q_slope = settings.slope_diffusion_variance
    one_minus_e = -np.expm1(-theta * dt)
    e = 1.0 - one_minus_e
    one_minus_e2 = -np.expm1(-2.0 * theta * dt)
    f12 = one_minus_e / theta
    q11 = q_level * dt + q_slope / theta**2 * (
        dt - 2.0 * one_minus_e / theta + one_minus_e2 / (2.0 * theta)
    )
    q12 = q_slope / theta * (one_minus_e / theta - one_minus_e2 / (2.0 * theta))
    q22 = q_slope * one_minus_e2 / (2.0 * theta)
    return Transition(f12=f12, decay=e, q11=np.maximum(q11, 0.0), q12=q12, q22=q22)


def predict(k: KalmanArrays, to_day: FloatArray, settings: EngineSettings) -> None:
    """Move every state forward to ``to_day`` (rows where to_day is not later stay put)."""
    dt = to_day - k.day
    dt = np.where(dt > 0.0, dt, 0.0)  # NaN (no record yet) and padding become 0
    t = transition(dt, settings)
    p12_f = k.p12 + t.f12 * k.p22
    k.p11 += t.f12 * (k.p12 + p12_f) + t.q11
    k.p12[...] = t.decay * p12_f + t.q12
    k.p22[...] = t.decay**2 * k.p22 + t.q22
    k.level += t.f12 * k.slope
    k.slope *= t.decay
    np.copyto(k.day, to_day, where=np.isfinite(to_day) & ~(to_day < k.day))


def update(
    k: KalmanArrays, observed: BoolArray, score: FloatArray, settings: EngineSettings
) -> FloatArray:
    """Fold in check-ins where ``observed``; return standardised innovations (0 elsewhere)."""
    s = k.p11 + settings.obs_sd**2
    innovation = np.where(observed, score - k.level, 0.0)
    gain = observed / s
    k1 = k.p11 * gain
    k2 = k.p12 * gain
    k.level += k1 * innovation
    k.slope += k2 * innovation
    k.p22 -= k2 * k.p12
    k.p12 -= k1 * k.p12
    k.p11 -= k1 * k.p11
    standardised: FloatArray = innovation / np.sqrt(s)
    return standardised


def intervene(k: KalmanArrays, session: BoolArray, settings: EngineSettings) -> None:
    """Apply a treatment session: inflate the level variance and restart the trend."""
    k.p11 += session * settings.session_level_sd**2
    np.copyto(k.slope, 0.0, where=session)
    np.copyto(k.p12, 0.0, where=session)
    np.copyto(k.p22, settings.slope_sd_per_day**2, where=session)


@dataclass(frozen=True)
class Projection:
    """Level forecast ``horizon`` days ahead: mean and variance of the latent level."""

    mean: FloatArray
    variance: FloatArray


def project(k: KalmanArrays, horizon: FloatArray, settings: EngineSettings) -> Projection:
    """Return the latent level's forecast ``horizon`` days after the state's day."""
    t = transition(np.maximum(horizon, 0.0), settings)
    mean = k.level + t.f12 * k.slope
    variance = k.p11 + 2.0 * t.f12 * k.p12 + t.f12**2 * k.p22 + t.q11
    return Projection(mean=mean, variance=variance)
