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


# Gauss-Legendre nodes and weights on [-1, 1] (10 points), for the bivariate normal.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(10)


def bivariate_normal_cdf(h: FloatArray, k: FloatArray, rho: FloatArray) -> FloatArray:
    """Return P(Z1 <= h, Z2 <= k) for standard normals with correlation rho in [0, 1).

    Plackett's identity, dPhi2/drho = phi2, integrated from 0 in the angle r = sin(t)
    (smooth up to rho near 1; Drezner and Wesolowsky 1990) by 10-point Gauss-Legendre,
    then kept within the Frechet bounds max(0, P1 + P2 - 1) <= P <= min(P1, P2).
    """
    rho = np.clip(rho, 0.0, 0.999)
    p_h, p_k = normal_cdf(h), normal_cdf(k)
    top = np.arcsin(rho)
    half = 0.5 * top
    integral = np.zeros(np.broadcast(h, k, rho).shape)
    for node, weight in zip(_GL_NODES, _GL_WEIGHTS, strict=True):
        angle = half * (node + 1.0)
        sin, cos2 = np.sin(angle), np.cos(angle) ** 2
        integral = integral + weight * np.exp(-(h * h - 2.0 * h * k * sin + k * k) / (2.0 * cos2))
    joint = p_h * p_k + half * integral / (2.0 * np.pi)
    result: FloatArray = np.clip(joint, np.maximum(p_h + p_k - 1.0, 0.0), np.minimum(p_h, p_k))
    return result
