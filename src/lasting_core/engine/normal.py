"""The standard normal distribution, vectorised (numpy has no erf; scipy is not used)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_SQRT_HALF = math.sqrt(0.5)


def normal_cdf(x: FloatArray) -> FloatArray:
    """Return the standard normal CDF (erfc by Chebyshev fit, relative error < 1.2e-7).

    Numerical Recipes' erfcc; numpy has no erf and scipy is not a dependency of the core.
    """
    z = np.abs(x) * _SQRT_HALF
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    tail = 0.5 * t * np.exp(-z * z + poly)  # P(Z > |x|)
    result: FloatArray = np.where(x >= 0.0, 1.0 - tail, tail)
    return result
