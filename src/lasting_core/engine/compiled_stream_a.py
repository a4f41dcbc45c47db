"""Stream A compiled with numba (docs/decisions/0003-compiled-stream-a.md).

The same step as ``sweep.step_a`` (the Kalman filter, the CUSUM, the two-regime return
filter with its hazard, the relapse state machine, the relief intervals and the life
events), written as one loop per patient over that patient's records: a record touches
only the parts it concerns (a padding row nothing, a session no filter update), where
the numpy step computes every part for every patient and commits by masks. The numpy
functions stay the reference; tests/core/test_engine_compiled_stream_a.py runs both on
the same cohorts.

Agreement: every addition, multiplication, division and square root is the reference's,
in the same order, so the relapse states, days, counts and the CUSUM are identical. The
reference's ``exp``, ``log``, ``expm1`` and ``power`` come from numpy's vectorised maths
routines and the kernel's from the C library, which may differ in the last unit; the
filters' numbers then agree to a relative 1e-12 (the test's tolerance), not bit for bit.

Loaded as ``compiled.load``: numba on first use, the machine code cached on disk, no
cache where no folder is writable, None without numba.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from lasting_core.definitions import (
    NO_BASELINE,
    NOT_ASSESSED,
    NOT_RESPONDED,
    PENDING,
    RELAPSED,
    RESPONDING,
    DefinitionSettings,
)
from lasting_core.engine.durability import MIN_INTERVAL_DAYS, PopulationPrior
from lasting_core.engine.history import BOOSTER, EVENT, INDUCTION, LIFE_EVENT, PAD, PHQ9
from lasting_core.engine.parameters import EngineSettings

# The kernel's state columns, in ``sweep.flatten``'s order (a test checks the order).
COLUMNS = (
    "kalman.level",
    "kalman.slope",
    "kalman.p11",
    "kalman.p12",
    "kalman.p22",
    "kalman.day",
    "cusum.value",
    "cusum.run",
    "cusum.since",
    "relapse.state",
    "relapse.course_start",
    "relapse.last_induction",
    "relapse.series_open",
    "relapse.end_day",
    "relapse.end_score",
    "relapse.latest_score",
    "relapse.latest_day",
    "relapse.baseline",
    "relapse.baseline_day",
    "relapse.response_day",
    "relapse.best",
    "relapse.nadir",
    "relapse.nadir_day",
    "relapse.nadir_stale",
    "relapse.pending_day",
    "relapse.relapse_day",
    "relapse.relapse_anchor",
    "relapse.relapse_count",
    "durability.start",
    "durability.events",
    "durability.exposure",
    "durability.closed",
    "durability.event_days",
    "returns.level0",
    "returns.var0",
    "returns.level1",
    "returns.slope1",
    "returns.p11",
    "returns.p12",
    "returns.p22",
    "returns.returning",
    "returns.day",
    "returns.stress_mark",
    "life.day",
    "life.kind",
    "life.weight",
    "life.load",
    "life.cumulative",
    "last_session",
    "last_session_kind",
)

_LOG_2PI = float(np.log(2.0 * np.pi))


def constants_array(settings: EngineSettings, prior: PopulationPrior) -> Any:
    """Return the kernel's constants, each computed as the reference computes it."""
    d: DefinitionSettings = settings.definitions()
    theta = settings.slope_damping_rate
    q_slope = settings.slope_diffusion_variance
    return np.array(
        [
            theta,  # 0
            settings.level_sd_per_sqrt_day**2,  # 1: q_level per day (Kalman and returns)
            q_slope / theta**2,  # 2
            q_slope / theta,  # 3
            q_slope,  # 4
            2.0 * theta,  # 5
            settings.obs_sd**2,  # 6
            settings.cusum_k,  # 7
            settings.cusum_h,  # 8
            settings.session_level_sd**2,  # 9
            settings.slope_sd_per_day**2,  # 10
            settings.return_rate_sd_share,  # 11
            settings.return_slope_sd_per_day**2,  # 12
            settings.life_event_fade_days,  # 13
            settings.life_event_hazard_per_day,  # 14
            prior.shape,  # 15: Weibull k
            prior.gamma_shape,  # 16
            prior.gamma_rate,  # 17
            prior.rise_days,  # 18
            max(prior.rise_days, 1.0),  # 19
            d.relapse_improvement_lost_share,  # 20
            d.relapse_threshold,  # 21
            1.0 - d.response_fall_share,  # 22
            d.end_of_induction_min_days,  # 23
            d.end_of_induction_max_days,  # 24
            d.induction_series_gap_days,  # 25
            d.confirmation_min_days,  # 26
            d.confirmation_max_days,  # 27
            d.new_course_gap_days,  # 28
            _LOG_2PI,  # 29
            MIN_INTERVAL_DAYS,  # 30
        ],
        dtype=np.float64,
    )


def _stream_a_kernel(
    lo: int,
    hi: int,
    a_day: Any,
    a_kind: Any,
    a_value: Any,
    a_detail: Any,
    k: Any,
    s: Any,
) -> None:  # pragma: no cover - compiled; the numpy reference is sweep.step_a
    """Run patients lo:hi of stream A over every record, updating the columns ``s``.

    ``s``: the state's columns in ``COLUMNS`` order; ``a_detail`` (steps, n) or (0, n)
    when the pack has no life event kinds; ``k``: ``constants_array``.
    """
    nan = np.nan
    theta, q_level_day, q11_scale, q12_scale, q_slope = k[0], k[1], k[2], k[3], k[4]
    two_theta, obs_var, cusum_k, cusum_h, session_var = k[5], k[6], k[7], k[8], k[9]
    slope_var, rate_sd_share, return_q_day, fade, per_day = k[10], k[11], k[12], k[13], k[14]
    weibull, gamma_a, gamma_b, rise, rise_scale = k[15], k[16], k[17], k[18], k[19]
    lost_share, threshold, respond_below, eoi_min, eoi_max = k[20], k[21], k[22], k[23], k[24]
    series_gap, confirm_min, confirm_max, course_gap = k[25], k[26], k[27], k[28]
    log_2pi, min_interval = k[29], k[30]
    steps = a_day.shape[0]
    with_detail = a_detail.shape[0] > 0
    for i in range(lo, hi):
        # Kalman
        level, slope, kp11, kp12, kp22, kday = s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i]
        # CUSUM
        c_value, c_run, c_since = s[6][i], s[7][i], s[8][i]
        # Relapse state machine
        state, course_start, last_induction, series_open = s[9][i], s[10][i], s[11][i], s[12][i]
        end_day, end_score, latest_score, latest_day = s[13][i], s[14][i], s[15][i], s[16][i]
        baseline, baseline_day, response_day, best = s[17][i], s[18][i], s[19][i], s[20][i]
        nadir, nadir_day, nadir_stale, pending_day = s[21][i], s[22][i], s[23][i], s[24][i]
        relapse_day, relapse_anchor, relapse_count = s[25][i], s[26][i], s[27][i]
        # Relief intervals
        u_start, u_events, u_exposure, u_closed, u_event_days = (
            s[28][i],
            s[29][i],
            s[30][i],
            s[31][i],
            s[32][i],
        )
        # Two-regime return filter
        level0, var0, level1, slope1 = s[33][i], s[34][i], s[35][i], s[36][i]
        rp11, rp12, rp22, returning, r_day, stress_mark = (
            s[37][i],
            s[38][i],
            s[39][i],
            s[40][i],
            s[41][i],
            s[42][i],
        )
        # Life events
        e_day, e_kind, e_weight, e_load, e_cumulative = (
            s[43][i],
            s[44][i],
            s[45][i],
            s[46][i],
            s[47][i],
        )
        last_session, last_session_kind = s[48][i], s[49][i]

        for j in range(steps):
            kind = a_kind[j, i]
            day = a_day[j, i]
            value = a_value[j, i]
            if kind == LIFE_EVENT:
                # lifeevents.observe_life_events; then the row is padding for the filters.
                elapsed = 0.0 if (e_day != e_day or day != day) else max(day - e_day, 0.0)
                spent = -np.expm1(-elapsed / fade)
                cumulative = e_cumulative + fade * e_load * spent
                e_load = e_load * np.exp(-elapsed / fade) + value
                e_cumulative = cumulative
                e_day = day
                e_weight = value
                e_kind = float(a_detail[j, i]) if with_detail else 0.0
                continue
            if kind == PAD:
                continue  # every part of the reference's step is a no-op for padding
            is_phq9 = kind == PHQ9
            is_session = kind >= INDUCTION

            # kalman.predict: the exact transition over the gap.
            dt = day - kday
            dt = dt if dt > 0.0 else 0.0
            one_minus_e = -np.expm1(-theta * dt)
            e = 1.0 - one_minus_e
            one_minus_e2 = -np.expm1(-2.0 * theta * dt)
            f12 = one_minus_e / theta
            q11 = q_level_day * dt + q11_scale * (
                dt - 2.0 * one_minus_e / theta + one_minus_e2 / two_theta
            )
            q11 = q11 if not q11 < 0.0 else 0.0
            q12 = q12_scale * (one_minus_e / theta - one_minus_e2 / two_theta)
            q22 = q_slope * one_minus_e2 / two_theta
            p12_f = kp12 + f12 * kp22
            kp11 += f12 * (kp12 + p12_f) + q11
            kp12 = e * p12_f + q12
            kp22 = (e * e) * kp22 + q22
            level += f12 * slope
            slope *= e
            if np.isfinite(day) and not (day < kday):
                kday = day

            # kalman.update and drift.step_cusum.
            z = 0.0
            if is_phq9:
                s_total = kp11 + obs_var
                innovation = value - level
                gain = 1.0 / s_total
                k1 = kp11 * gain
                k2 = kp12 * gain
                level += k1 * innovation
                slope += k2 * innovation
                kp22 -= k2 * kp12
                kp12 -= k1 * kp12
                kp11 -= k1 * kp11
                z = innovation / np.sqrt(s_total)
                c_value = c_value + z - cusum_k
                c_value = c_value if not c_value < 0.0 else 0.0
                c_run = c_run + 1.0 if c_value > 0.0 else 0.0
                if c_value >= cusum_h and c_since != c_since:
                    c_since = day
                if c_value < cusum_h:
                    c_since = nan
            if is_session:
                c_value = 0.0
                c_run = 0.0
                c_since = nan

            # returns.step_returns with sweep.hazard at the check-in's day.
            if is_phq9:
                in_response = state in (RESPONDING, PENDING)
                lost = best + lost_share * (baseline - best)
                bar = nan if lost != lost else max(threshold, lost)
                gap = bar - best
                gap = gap if not gap < 1.0 else 1.0
                rate = gap / rise_scale if in_response else nan
                elapsed = day - u_start
                a_post = gamma_a + u_events
                b_post = gamma_b + u_exposure
                dt = 0.0 if r_day != r_day else day - r_day
                dt = dt if not dt < 0.0 else 0.0
                # Mix: the switch into the returning regime over the gap (none outside a
                # response, where the reference's survival is computed and discarded).
                stress = 0.0
                if e_day == e_day:  # a life event: its cumulative onset hazard since the mark
                    elapsed_e = 0.0 if day != day else max(day - e_day, 0.0)
                    spent = -np.expm1(-elapsed_e / fade)
                    stress_cumulative = per_day * (e_cumulative + fade * e_load * spent)
                    stress = stress_cumulative - stress_mark
                    stress = stress if not stress < 0.0 else 0.0
                    stress_mark = stress_cumulative
                switch = 0.0
                if rate == rate:
                    since = elapsed - dt + rise
                    until = elapsed + rise
                    s_k = np.power(since if not since < 0.0 else 0.0, weibull)
                    t_k = np.power(until if not until < 0.0 else 0.0, weibull)
                    survive = np.power((b_post + s_k) / (b_post + t_k), a_post)
                    if e_day == e_day:
                        survive = survive * np.exp(-stress)
                    switch = 0.0 if survive != survive else 1.0 - survive
                stay = 1.0 - returning
                into = stay * switch
                total = returning + into
                share_new = into / max(total, 1e-300) if total > 0.0 else 0.0
                share_old = 1.0 - share_new
                rate = 0.0 if rate != rate else rate
                rate_var = (rate_sd_share * rate) * (rate_sd_share * rate)
                m_level = share_old * level1 + share_new * level0
                m_slope = share_old * slope1 + share_new * rate
                d_level_old, d_slope_old = level1 - m_level, slope1 - m_slope
                d_level_new, d_slope_new = level0 - m_level, rate - m_slope
                m11 = share_old * (rp11 + d_level_old * d_level_old) + share_new * (
                    var0 + d_level_new * d_level_new
                )
                m12 = share_old * (rp12 + d_level_old * d_slope_old) + share_new * (
                    d_level_new * d_slope_new
                )
                m22 = share_old * (rp22 + d_slope_old * d_slope_old) + share_new * (
                    rate_var + d_slope_new * d_slope_new
                )
                returning = total
                # Predict both regimes over the gap.
                q_level = q_level_day * dt
                q_ret = return_q_day * dt
                var0 += q_level
                level1 = m_level + m_slope * dt
                slope1 = m_slope
                rp11 = m11 + 2.0 * dt * m12 + dt * dt * m22 + q_level + q_ret * dt * dt / 3.0
                rp12 = m12 + dt * m22 + q_ret * dt / 2.0
                rp22 = m22 + q_ret
                # Update both with the check-in and weigh them by their likelihoods.
                s0 = var0 + obs_var
                v0 = value - level0
                s1 = rp11 + obs_var
                v1 = value - level1
                gain0 = var0 / s0
                level0 += gain0 * v0
                var0 *= 1.0 - gain0
                g1, g2 = rp11 / s1, rp12 / s1
                level1 += g1 * v1
                slope1 += g2 * v1
                rp22 -= g2 * rp12
                rp12 -= g1 * rp12
                rp11 -= g1 * rp11
                # Bayes over the regimes (a zero returning share stays zero: the reference
                # computes the odds and discards them).
                if returning > 0.0:
                    log_like0 = -0.5 * (log_2pi + np.log(s0) + v0 * v0 / s0)
                    log_like1 = -0.5 * (log_2pi + np.log(s1) + v1 * v1 / s1)
                    odds = np.log(max(returning, 1e-300)) - np.log(max(1.0 - returning, 1e-300))
                    odds += log_like1 - log_like0
                    returning = 1.0 / (1.0 + np.exp(-odds))
                else:
                    returning = 0.0
                r_day = day

            # definitions.observe_phq9 / observe_clinical_event.
            relapsed = False
            since_induction = np.floor(day) - np.floor(last_induction)
            may_continue = series_open > 0 and not (since_induction > series_gap)
            if is_phq9:
                state0 = state
                started = baseline == baseline
                if started:
                    if nadir_stale > 0 or nadir != nadir or value <= nadir:
                        nadir = value
                        nadir_day = day
                    nadir_stale = 0.0
                responds = started and value <= baseline * respond_below
                in_window = since_induction >= eoi_min and since_induction <= eoi_max
                verdict = started and state0 == NOT_ASSESSED and end_day != end_day and in_window
                if verdict:
                    end_day = day
                    end_score = value
                    if not responds:
                        state = NOT_RESPONDED
                later = (not verdict) and (not may_continue)
                later = later and (state0 in (NOT_RESPONDED, RELAPSED, NOT_ASSESSED))
                if responds and (verdict or later):
                    response_day = day
                    best = value
                    state = RESPONDING
                in_response = started and (state0 in (RESPONDING, PENDING))
                if in_response and value < best:
                    best = value
                lost = best + lost_share * (baseline - best)
                bar = nan if lost != lost else max(threshold, lost)
                meets = in_response and value >= bar
                starts_pending = meets and state0 == RESPONDING
                wait = day - pending_day
                pending = meets and state0 == PENDING
                confirms = pending and wait >= confirm_min
                confirms = confirms and wait <= confirm_max and not may_continue
                restarts = pending and wait > confirm_max
                cancels = in_response and (not meets) and state0 == PENDING
                if starts_pending:
                    state = PENDING
                if starts_pending or restarts:
                    pending_day = day
                if cancels:
                    state = RESPONDING
                    pending_day = nan
                if confirms:
                    state = RELAPSED
                    relapse_day = day
                    relapse_anchor = pending_day
                    relapse_count = relapse_count + 1.0
                    pending_day = nan
                    relapsed = True
                latest_score = value
                latest_day = day
            elif kind == EVENT and state in (RESPONDING, PENDING) and not may_continue:
                state = RELAPSED
                relapse_day = day
                relapse_anchor = day
                relapse_count = relapse_count + 1.0
                pending_day = nan
                relapsed = True
            if relapsed and u_start == u_start and relapse_anchor >= u_start:
                # durability.close_intervals at the relapse's first check-in: an event.
                length = relapse_anchor - u_start
                length = length if not length < min_interval else min_interval
                u_exposure += np.power(length, weibull)
                u_events += 1.0
                u_event_days += length
                u_closed += 1.0
                u_start = nan

            if is_session:
                induction = kind == INDUCTION
                in_response = state in (RESPONDING, PENDING)
                # kalman.intervene
                kp11 += session_var
                slope = 0.0
                kp12 = 0.0
                kp22 = slope_var
                # returns.restart
                if e_day == e_day:
                    elapsed_e = 0.0 if day != day else max(day - e_day, 0.0)
                    spent = -np.expm1(-elapsed_e / fade)
                    stress_mark = per_day * (e_cumulative + fade * e_load * spent)
                var0 += session_var
                returning = 0.0
                level1 = level0
                rp11 = var0
                slope1 = 0.0
                rp12 = 0.0
                rp22 = 0.0
                # durability.close_intervals: a booster ends the interval with an event, a
                # maintenance session censors it; only intervals in response count.
                if (not induction) and u_start == u_start and day >= u_start:
                    if in_response:
                        length = day - u_start
                        length = length if not length < min_interval else min_interval
                        u_exposure += np.power(length, weibull)
                        if kind == BOOSTER:
                            u_events += 1.0
                            u_event_days += length
                        u_closed += 1.0
                    u_start = nan
                # definitions.observe_session
                if induction:
                    if last_induction != last_induction or day - last_induction > course_gap:
                        course_start = day
                        has_score = latest_score == latest_score
                        baseline = latest_score if has_score else nan
                        baseline_day = latest_day if has_score else nan
                        nadir = nan
                        nadir_day = nan
                    state = NO_BASELINE if baseline != baseline else NOT_ASSESSED
                    response_day = nan
                    best = nan
                    pending_day = nan
                    end_day = nan
                    end_score = nan
                    last_induction = day
                series_open = 1.0 if induction else 0.0
                nadir_stale = 1.0
                # durability.open_intervals and the latest session.
                u_start = day
                last_session = day
                last_session_kind = float(kind)

        s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i] = level, slope, kp11, kp12, kp22, kday
        s[6][i], s[7][i], s[8][i] = c_value, c_run, c_since
        s[9][i], s[10][i], s[11][i], s[12][i] = state, course_start, last_induction, series_open
        s[13][i], s[14][i], s[15][i], s[16][i] = end_day, end_score, latest_score, latest_day
        s[17][i], s[18][i], s[19][i], s[20][i] = baseline, baseline_day, response_day, best
        s[21][i], s[22][i], s[23][i], s[24][i] = nadir, nadir_day, nadir_stale, pending_day
        s[25][i], s[26][i], s[27][i] = relapse_day, relapse_anchor, relapse_count
        s[28][i], s[29][i], s[30][i], s[31][i] = u_start, u_events, u_exposure, u_closed
        s[32][i] = u_event_days
        s[33][i], s[34][i], s[35][i], s[36][i] = level0, var0, level1, slope1
        s[37][i], s[38][i], s[39][i], s[40][i] = rp11, rp12, rp22, returning
        s[41][i], s[42][i] = r_day, stress_mark
        s[43][i], s[44][i], s[45][i], s[46][i], s[47][i] = (
            e_day,
            e_kind,
            e_weight,
            e_load,
            e_cumulative,
        )
        s[48][i], s[49][i] = last_session, last_session_kind


# As the daily kernel (``compiled._OPTIONS``): chunks release the GIL, IEEE division.
_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}


@cache
def load() -> Callable[..., None] | None:
    """Return the compiled kernel (compiled on its first call), or None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a pinned dependency
        return None
    try:
        kernel: Callable[..., None] = numba.njit(cache=True, **_OPTIONS)(_stream_a_kernel)
    except RuntimeError:  # no writable cache folder: compile on each process instead
        kernel = numba.njit(cache=False, **_OPTIONS)(_stream_a_kernel)
    return kernel


def usable(columns: dict[str, Any]) -> bool:
    """Return whether the state's columns can go to the kernel as they are (in place)."""
    return list(columns) == list(COLUMNS) and all(
        array.dtype == np.float64 and array.ndim == 1 and array.flags.c_contiguous
        for array in columns.values()
    )


def run_stream_a(
    kernel: Callable[..., None],
    columns: dict[str, Any],
    a_day: Any,
    a_kind: Any,
    a_value: Any,
    a_detail: Any,
    constants: Any,
    start: int,
    stop: int,
) -> None:
    """Run patients start:stop of stream A with the compiled kernel (in place).

    The arrays are passed whole with the patients' bounds, so every call has the same
    array types (one compiled version).
    """
    kernel(
        start,
        stop,
        a_day,
        a_kind,
        a_value,
        a_detail,
        constants,
        tuple(columns[name] for name in COLUMNS),
    )
