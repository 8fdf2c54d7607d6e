"""Linear blend skinning of an MPFB rest body with per-segment rigid transforms.

posed_i = sum_s w_is (R_s v_i + t_s): the per-vertex blended 3x4 matrices are one
(N, S) @ (S, 12) product, applied to the rest vertices with one einsum. The weights
have at most rig.TOP_K non-zeros per row, so blending is exact to that cut.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def blend_matrices(weights: FloatArray, rotations: FloatArray, translations: FloatArray) -> FloatArray:
    """(N, 12) blended [R | t] rows (R row-major) for (N, S) weights and S transforms."""
    m = np.concatenate([rotations.reshape(-1, 9), translations], axis=1)
    return np.asarray(weights @ m, dtype=np.float64)


def skin(verts: FloatArray, weights: FloatArray, rotations: FloatArray,
         translations: FloatArray) -> FloatArray:
    """Posed (N, 3) vertices of rest `verts` (N, 3) for segment transforms (S, 3, 3), (S, 3)."""
    a = blend_matrices(weights, rotations, translations)
    return np.asarray(np.einsum("nij,nj->ni", a[:, :9].reshape(-1, 3, 3), verts) + a[:, 9:], dtype=np.float64)
