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


# Gauss-Legendre nodes and weights on [0, 1] (10 points: the integrand below is smooth).
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(10)
_NODES = 0.5 * (_NODES + 1.0)
_WEIGHTS = 0.5 * _WEIGHTS


def both_above(a: FloatArray, b: FloatArray, rho: FloatArray) -> FloatArray:
    """Return P(Z1 > a, Z2 > b) for standard normals with correlation rho in [0, 1].

    Sheppard's formula in the form of Drezner & Wesolowsky (1990):
    P = Phi(-a) Phi(-b) + 1/(2 pi) int_0^{arcsin rho}
        exp(-(a^2 + b^2 - 2 a b sin t) / (2 cos^2 t)) dt,
    the integral by 10-point Gauss-Legendre quadrature (the substitution r = sin t removes
    the singularity at rho = 1; the integrand is smooth in t).
    """
    rho = np.clip(rho, 0.0, 1.0)
    top = np.arcsin(rho)
    independent = normal_cdf(-a) * normal_cdf(-b)
    total = np.zeros(np.broadcast(a, b, rho).shape)
    square = a * a + b * b
    product = 2.0 * a * b
    for node, weight in zip(_NODES, _WEIGHTS, strict=True):
        t = top * node
        cos_sq = np.maximum(np.cos(t) ** 2, 1e-300)
        total += weight * np.exp(-(square - product * np.sin(t)) / (2.0 * cos_sq))
    result: FloatArray = np.clip(independent + top * total / (2.0 * math.pi), 0.0, 1.0)
    return result
