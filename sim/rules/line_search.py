"""torch's strong Wolfe line search (torch/optim/lbfgs.py: _strong_wolfe and
_cubic_interpolate), transcribed operation for operation and vectorized over rows (balls):
each row searches on its own; the loops run while any row still does, on the rows that do.

The search keeps torch's two phases: the bracket phase (grow the step until an interval holds
a point meeting the Wolfe criteria) and the zoom phase (shrink that interval by cubic
interpolation until a point meets them). L-BFGS (sim/rules/torch_optim/lbfgs.py) uses it.
"""
from __future__ import annotations

import numpy as np

C1, C2, MAX_LS = 1e-4, 0.9, 25  # torch's _strong_wolfe defaults (LBFGS passes none of them)


def maxabs(v: np.ndarray) -> np.ndarray:
    """torch's v.abs().max() per row of [m, 2] (NaN propagates, as torch's max does)."""
    return np.maximum(np.abs(v[:, 0]), np.abs(v[:, 1]))


def rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a.b per row of [m, 2] (a[0] b[0] + a[1] b[1], in that order)."""
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def cubic_interpolate(x1, f1, g1, x2, f2, g2, lo=None, hi=None) -> np.ndarray:
    """torch's _cubic_interpolate, per row. Python's max(a, b) keeps a unless b > a and
    min(a, b) keeps a unless b < a: the where()s below keep that (it decides NaN cases)."""
    order = x1 <= x2
    if lo is None:
        lo = np.where(order, x1, x2)
        hi = np.where(order, x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    ok = d2_square >= 0
    d2 = np.sqrt(np.where(ok, d2_square, 0.0))
    min_pos = np.where(order, x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)),
                       x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2)))
    c = np.where(lo > min_pos, lo, min_pos)  # max(min_pos, xmin_bound)
    c = np.where(hi < c, hi, c)  # min(..., xmax_bound)
    return np.where(ok, c, (lo + hi) / 2.0)


def evaluate_along(V, x: np.ndarray, t: np.ndarray, d: np.ndarray):
    """torch's _directional_evaluate: f and g at x + t d (param.add_(d, alpha=t))."""
    pts = x + t[:, None] * d
    return V.value(pts), V.grad(pts)


class _Bracket:
    """The line search's bracket for m rows: two step sizes a row (t [m, 2]), their f [m, 2],
    g [m, 2, 2] and g.d [m, 2] (torch's bracket, bracket_f, bracket_g, bracket_gtd)."""

    def __init__(self, m: int) -> None:
        self.t, self.f = np.zeros((m, 2)), np.zeros((m, 2))
        self.g, self.gtd = np.zeros((m, 2, 2)), np.zeros((m, 2))

    def put(self, rows, slot, t, f, g, gtd=None) -> None:
        """Slot `slot` (0, 1, or one per row) of these rows holds the point (t, f, g, g.d)."""
        self.t[rows, slot], self.f[rows, slot], self.g[rows, slot] = t, f, g
        if gtd is not None:
            self.gtd[rows, slot] = gtd

    def low(self, rows=slice(None)) -> np.ndarray:
        """Which slot holds the lower f (the first on a tie), per row."""
        return np.where(self.f[rows, 0] <= self.f[rows, 1], 0, 1)


class _Search:
    """One strong Wolfe line search's state: the rows' start (x, d, f, g, gtd), the last trial
    point (t, f_new, g_new, gtd_new), evaluations, iterations, which rows are done, the bracket."""

    def __init__(self, V, x, t, d, f, g, gtd) -> None:
        m = len(t)
        self.V, self.x, self.d, self.f, self.g, self.gtd = V, x, d, f, g, gtd
        self.t = np.array(t, dtype=np.float64)
        self.f_new, self.g_new = evaluate_along(V, x, self.t, d)
        self.evals = np.ones(m, dtype=np.int64)
        self.gtd_new = rowdot(self.g_new, d)
        self.ls_iter = np.zeros(m, dtype=np.int64)
        self.done = np.zeros(m, dtype=bool)
        self.bracket = _Bracket(m)

    def trial(self, rows, t) -> tuple:
        """f, g and g.d at step t on these rows (one more evaluation and iteration each)."""
        fn, gn = evaluate_along(self.V, self.x[rows], t, self.d[rows])
        self.evals[rows] += 1
        self.ls_iter[rows] += 1
        return fn, gn, rowdot(gn, self.d[rows])


def _bracket_phase(s: _Search, c1, c2, max_ls) -> None:
    """torch's first loop: bracket an interval containing a point satisfying the Wolfe
    criteria (or stop at one, or at max_ls iterations with the bracket [0, t])."""
    m, B = len(s.t), s.bracket
    t_prev = np.zeros(m)
    f_prev, g_prev, gtd_prev = s.f.copy(), s.g.copy(), s.gtd.copy()
    o = np.arange(m)
    while len(o):
        f, gtd, f_new, gtd_new = s.f[o], s.gtd[o], s.f_new[o], s.gtd_new[o]
        armijo = (f_new > (f + c1 * s.t[o] * gtd)) | ((s.ls_iter[o] > 1) & (f_new >= f_prev[o]))
        wolfe = ~armijo & (np.abs(gtd_new) <= -c2 * gtd)
        upward = ~armijo & ~wolfe & (gtd_new >= 0)
        two = o[armijo | upward]
        B.put(two, 0, t_prev[two], f_prev[two], g_prev[two], gtd_prev[two])
        B.put(two, 1, s.t[two], s.f_new[two], s.g_new[two], s.gtd_new[two])
        one = o[wolfe]  # bracket = [t]: both slots hold it, low_pos = 0
        B.put(one, 0, s.t[one], s.f_new[one], s.g_new[one])
        B.put(one, 1, s.t[one], s.f_new[one], s.g_new[one])
        s.done[one] = True
        c = o[~(armijo | wolfe | upward)]
        if not len(c):
            break
        tc = s.t[c]
        min_step = tc + 0.01 * (tc - t_prev[c])
        max_step = tc * 10
        tn = cubic_interpolate(t_prev[c], f_prev[c], gtd_prev[c], tc, s.f_new[c], s.gtd_new[c], min_step, max_step)
        t_prev[c] = tc
        f_prev[c], g_prev[c], gtd_prev[c] = s.f_new[c], s.g_new[c], s.gtd_new[c]
        s.t[c] = tn
        s.f_new[c], s.g_new[c], s.gtd_new[c] = s.trial(c, tn)
        k = c[s.ls_iter[c] == max_ls]  # reached max number of iterations: bracket = [0, t]
        B.put(k, 0, 0.0, s.f[k], s.g[k])
        B.put(k, 1, s.t[k], s.f_new[k], s.g_new[k])
        o = c[~(s.ls_iter[c] == max_ls)]


def _zoom_point(B: _Bracket, z, insuf) -> np.ndarray:
    """The zoom's next trial step for rows z: the cubic's minimum in the bracket, moved 10% in
    from an end it comes too near to (torch's insufficient-progress guard; updates insuf)."""
    b0, b1 = B.t[z, 0], B.t[z, 1]
    tn = cubic_interpolate(b0, B.f[z, 0], B.gtd[z, 0], b1, B.f[z, 1], B.gtd[z, 1])
    bmax = np.where(b1 > b0, b1, b0)  # max(bracket)
    bmin = np.where(b1 < b0, b1, b0)  # min(bracket)
    eps = 0.1 * (bmax - bmin)
    u, v = bmax - tn, tn - bmin
    near = np.where(v < u, v, u) < eps
    edge = near & (insuf[z] | (tn >= bmax) | (tn <= bmin))
    moved = np.where(np.abs(tn - bmax) < np.abs(tn - bmin), bmax - eps, bmin + eps)
    insuf[z] = near & ~edge
    return np.where(edge, moved, tn)


def _zoom_phase(s: _Search, tolerance_change, c1, c2, max_ls) -> np.ndarray:
    """torch's second loop: refine the bracket until a point satisfies the criteria. Returns
    which slot of the bracket holds the low point, per row."""
    B = s.bracket
    low = B.low()
    high = 1 - low
    insuf = np.zeros(len(s.t), dtype=bool)
    z = np.flatnonzero(~s.done & (s.ls_iter < max_ls))
    while len(z):
        z = z[~(np.abs(B.t[z, 1] - B.t[z, 0]) * maxabs(s.d[z]) < tolerance_change)]
        if not len(z):
            break
        tn = _zoom_point(B, z, insuf)
        fn, gn, gtdn = s.trial(z, tn)
        lo, hi = low[z], high[z]
        worse = (fn > (s.f[z] + c1 * tn * s.gtd[z])) | (fn >= B.f[z, lo])
        a = z[worse]  # Armijo fails or not below the lowest point: the new high
        B.put(a, hi[worse], tn[worse], fn[worse], gn[worse], gtdn[worse])
        low[a] = B.low(a)
        high[a] = 1 - low[a]
        keep = ~worse
        b = z[keep]
        lb, hb = lo[keep], hi[keep]
        gk = gtdn[keep]
        wolfe = np.abs(gk) <= -c2 * s.gtd[b]
        s.done[b[wolfe]] = True
        flip = ~wolfe & (gk * (B.t[b, hb] - B.t[b, lb]) >= 0)  # old high becomes the new low
        fb, fl, fh = b[flip], lb[flip], hb[flip]
        B.put(fb, fh, B.t[fb, fl], B.f[fb, fl], B.g[fb, fl], B.gtd[fb, fl])
        B.put(b, lb, tn[keep], fn[keep], gn[keep], gk)
        z = z[~s.done[z] & (s.ls_iter[z] < max_ls)]
    return low


def strong_wolfe(V, x, t, d, f, g, gtd, tolerance_change, c1=C1, c2=C2, max_ls=MAX_LS):
    """torch's _strong_wolfe for m rows at once (x, d, g [m, 2]; t, f, gtd [m]).
    Returns f_new [m], g_new [m, 2], t [m], evaluations [m] (int)."""
    s = _Search(V, x, t, d, f, g, gtd)
    _bracket_phase(s, c1, c2, max_ls)
    low = _zoom_phase(s, tolerance_change, c1, c2, max_ls)
    ar, B = np.arange(len(s.t)), s.bracket
    return B.f[ar, low], B.g[ar, low], B.t[ar, low], s.evals
