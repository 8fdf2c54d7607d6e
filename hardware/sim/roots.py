"""Root finding for the simulator's own solvers (the standing balance of hardware/sim/body.py,
the MPFB2 model's weight macro): pure, no numpy."""

from __future__ import annotations

from collections.abc import Callable


def find_root(f: Callable[[float], float], lo: float, hi: float, tol: float, ftol: float = 0.0,
              max_iter: int = 100) -> float:
    """A root of continuous `f` in [lo, hi] (f(lo), f(hi) of opposite signs): stops when the
    bracket is narrower than `tol` or |f| <= ftol.

    Illinois regula falsi: superlinear on the smooth functions here, never leaves the bracket."""
    f_lo, f_hi = f(lo), f(hi)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if (f_lo > 0) == (f_hi > 0):
        raise ValueError(f"no sign change in [{lo}, {hi}]: f = {f_lo:.4g}, {f_hi:.4g}")
    side = 0
    x = lo
    for _ in range(max_iter):
        x = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        fx = f(x)
        if abs(fx) <= ftol or hi - lo < tol:
            return x
        if (fx > 0) == (f_hi > 0):
            hi, f_hi = x, fx
            if side == +1:
                f_lo /= 2.0
            side = +1
        else:
            lo, f_lo = x, fx
            if side == -1:
                f_hi /= 2.0
            side = -1
        if abs(hi - lo) < tol:
            return 0.5 * (lo + hi)
    return x
