"""Heat: the histogram of V over Langevin balls against the Boltzmann prediction exp(-V/T)."""
from __future__ import annotations

import math

import numpy as np

from sim.core.particles import ALIVE
from sim.landscapes.base import Potential, View
from sim.core.world import World


HEAT_GRID = 256  # grid points per side for the Boltzmann prediction
HEAT_EDGE_MASS = 1e-6  # the region grows until the outer ring holds less than this of the mass
HEAT_MAX_DOUBLINGS = 8
HEAT_TOP_QUANTILE = 0.995  # default histogram range: min V to this quantile of predicted V
HEAT_BINS = 24
HEAT_MAX_CELL_MASS = 1e-3  # a cell holding more of the mass than this is split (narrow wells)
HEAT_SPLIT = 8  # each split cell becomes HEAT_SPLIT x HEAT_SPLIT cells
HEAT_SPLIT_ROUNDS = 3
HEAT_MAX_SPLIT_CELLS = 2000  # at most this many cells split per round (the heaviest)
_HEAT_CACHE_SIZE = 8


# ================================================================================================
# Heat
# ================================================================================================

_heat_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def heat_values(world: World) -> np.ndarray:
    """V [k] at every alive langevin particle (the balls that should reach exp(-V/T))."""
    p = world.particles
    lang = np.array([r.name == "langevin" for r in world.rules], dtype=bool)
    rows = np.flatnonzero(lang[p.rule.astype(np.intp)] & (p.status == ALIVE))
    return world.potential.value(p.pos[rows])


def _split_heavy_cells(potential: Potential, temperature: float, px: np.ndarray, py: np.ndarray,
                       hxs: np.ndarray, hys: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cells (centres px, py [m], half sizes hxs, hys [m], V at the centre [m]) that might hold
    more than HEAT_MAX_CELL_MASS of exp(-V/T) split HEAT_SPLIT x HEAT_SPLIT, a few rounds
    (narrow wells and cold distributions resolved). Returns the new (px, py, hxs, hys, v)."""
    for _ in range(HEAT_SPLIT_ROUNDS):
        if not len(v):
            break
        g = np.abs(potential.grad(np.column_stack([px, py])))
        drop = g[:, 0] * hxs + g[:, 1] * hys  # how far V may fall inside the cell (linear)
        drop[~np.isfinite(drop)] = 0.0
        with np.errstate(all="ignore"):
            logw = -(v - v.min()) / temperature + np.log(hxs * hys)
            top = logw.max()
            w = np.exp(logw - top)
            w_up = np.exp(logw + drop / temperature - top) / w.sum()  # mass it might hold
        heavy = np.flatnonzero(w_up > HEAT_MAX_CELL_MASS)
        if not len(heavy):
            break
        heavy = heavy[np.argsort(w_up[heavy])[::-1][:HEAT_MAX_SPLIT_CELLS]]
        k = HEAT_SPLIT
        off = (np.arange(k) + 0.5) * (2.0 / k) - 1.0  # [k] sub-cell centers in [-1, 1]
        nx = (px[heavy, None, None] + hxs[heavy, None, None] * off[None, :, None]
              + 0.0 * off[None, None, :]).ravel()
        ny = (py[heavy, None, None] + 0.0 * off[None, :, None]
              + hys[heavy, None, None] * off[None, None, :]).ravel()
        nhx = np.repeat(hxs[heavy] / k, k * k)
        nhy = np.repeat(hys[heavy] / k, k * k)
        nv = potential.value(np.column_stack([nx, ny]))
        rest = np.ones(len(v), dtype=bool)
        rest[heavy] = False
        px, py = np.concatenate([px[rest], nx]), np.concatenate([py[rest], ny])
        hxs, hys = np.concatenate([hxs[rest], nhx]), np.concatenate([hys[rest], nhy])
        v = np.concatenate([v[rest], nv])
        good = np.isfinite(v)
        px, py, hxs, hys, v = px[good], py[good], hxs[good], hys[good], v[good]
    return px, py, hxs, hys, v


def _boltzmann_samples(potential: Potential, temperature: float, view: View,
                       resolution: int = HEAT_GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells that hold the Boltzmann mass: V at the center [m], half-spread of V across the
    cell [m, 2] (|dV/dx| hx, |dV/dy| hy with hx, hy the half sizes), weights [m] (sum 1).

    A resolution x resolution grid starts at `view` and doubles around its center until its
    outer ring holds less than HEAT_EDGE_MASS of exp(-V/T); it then shrinks to the box that
    holds the mass. Cells holding more than HEAT_MAX_CELL_MASS are split HEAT_SPLIT x
    HEAT_SPLIT (a few rounds), so narrow wells and cold distributions are resolved too.
    Cached per (potential, T, view).
    """
    key = (potential.cache_key, float(temperature), tuple(float(v) for v in view), int(resolution))
    hit = _heat_cache.get(key)
    if hit is not None:
        return hit
    x0, x1, y0, y1 = (float(v) for v in view)
    cx, cy, hx, hy = 0.5 * (x0 + x1), 0.5 * (y0 + y1), 0.5 * (x1 - x0), 0.5 * (y1 - y0)

    def grid(cx: float, cy: float, hx: float, hy: float):
        xs = cx + hx * ((np.arange(resolution) + 0.5) * (2.0 / resolution) - 1.0)  # cell centers
        ys = cy + hy * ((np.arange(resolution) + 0.5) * (2.0 / resolution) - 1.0)
        v = potential.value_grid(xs, ys)
        with np.errstate(all="ignore"):
            vmin = np.nanmin(np.where(np.isfinite(v), v, np.nan)) if np.isfinite(v).any() else 0.0
            w = np.exp(-(v - vmin) / temperature)
        w[~np.isfinite(w)] = 0.0
        return xs, ys, v, w

    for _ in range(HEAT_MAX_DOUBLINGS + 1):
        xs, ys, v, w = grid(cx, cy, hx, hy)
        total = w.sum()
        ring = w[0].sum() + w[-1].sum() + w[1:-1, 0].sum() + w[1:-1, -1].sum()
        if total > 0 and ring <= HEAT_EDGE_MASS * total:
            break
        hx, hy = 2 * hx, 2 * hy
    if w.sum() > 0:  # shrink to the cells that hold all but HEAT_EDGE_MASS of the mass
        def span(marg: np.ndarray, g: np.ndarray) -> tuple[float, float]:
            c = np.cumsum(marg) / marg.sum()
            lo = max(int(np.searchsorted(c, 0.5 * HEAT_EDGE_MASS)) - 1, 0)
            hi = min(int(np.searchsorted(c, 1 - 0.5 * HEAT_EDGE_MASS)) + 1, len(g) - 1)
            return float(g[lo]), float(g[hi])
        ax0, ax1 = span(w.sum(axis=1), xs)
        ay0, ay1 = span(w.sum(axis=0), ys)
        if (ax1 - ax0) < hx and (ay1 - ay0) < hy and ax1 > ax0 and ay1 > ay0:
            hx, hy = 0.5 * (ax1 - ax0), 0.5 * (ay1 - ay0)
            xs, ys, v, w = grid(0.5 * (ax0 + ax1), 0.5 * (ay0 + ay1), hx, hy)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    keep = (w > 0).ravel()
    px, py, v = X.ravel()[keep], Y.ravel()[keep], v.ravel()[keep]
    hxs = np.full(len(v), hx / resolution)  # half cell sizes [m]
    hys = np.full(len(v), hy / resolution)
    px, py, hxs, hys, v = _split_heavy_cells(potential, temperature, px, py, hxs, hys, v)
    with np.errstate(all="ignore"):
        logw = -(v - v.min()) / temperature + np.log(hxs * hys) if len(v) else v
        w = np.exp(logw - logw.max()) if len(v) else v
    spread = np.abs(potential.grad(np.column_stack([px, py]))) * np.column_stack([hxs, hys])
    spread[~np.isfinite(spread)] = 0.0
    out = (v, spread, w / w.sum() if len(w) else w)
    if len(_heat_cache) >= 4 * _HEAT_CACHE_SIZE:
        _heat_cache.pop(next(iter(_heat_cache)))
    _heat_cache[key] = out
    return out


def _cell_cdf(t: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """P(U1 + U2 <= t) for U1 ~ U(-p, p), U2 ~ U(-q, q), all arrays [m] (p >= q >= 0).

    The distribution of a linear function over a rectangle (a trapezoid): F(t) =
    (H(t + p) - H(t - p)) / 2p with H the antiderivative of U2's CDF; a step when p ~ 0.
    """
    def h(u: np.ndarray) -> np.ndarray:
        qs = np.where(q > 0, q, 1.0)
        mid = (u + q) ** 2 / (4.0 * qs)
        return np.where(u <= -q, 0.0, np.where(u >= q, u, mid))

    with np.errstate(all="ignore"):
        wide = p > 1e-9 * np.maximum(np.abs(t), 1e-300)
        ps = np.where(wide, p, 1.0)
        f = (h(t + ps) - h(t - ps)) / (2.0 * ps)
    return np.clip(np.where(wide, f, (t >= 0).astype(np.float64)), 0.0, 1.0)


def predicted_v_density(potential: Potential, temperature: float, view: View,
                        edges: np.ndarray) -> np.ndarray:
    """Density of V [b] in the bins `edges` [b+1] under p(x) ~ exp(-V/T), integrated on a grid
    (each cell spreads its weight over the range V takes across it). nan when T <= 0 or V is
    not bounded below."""
    edges = np.asarray(edges, dtype=np.float64)
    if not (temperature > 0 and math.isfinite(temperature) and potential.bounded_below):
        return np.full(len(edges) - 1, np.nan)
    v, spread, w = _boltzmann_samples(potential, temperature, view)
    if not len(v):
        return np.full(len(edges) - 1, np.nan)
    p = spread.max(axis=1)
    q = spread.min(axis=1)
    lo, hi = v - (p + q), v + (p + q)  # the range V takes across each cell
    order = np.argsort(hi)
    hi_sorted, w_cum = hi[order], np.concatenate([[0.0], np.cumsum(w[order])])
    below = np.empty(len(edges))  # mass with V <= edge
    for i, e in enumerate(edges):
        below[i] = w_cum[np.searchsorted(hi_sorted, e, side="right")]  # cells wholly below e
        cut = np.flatnonzero((lo < e) & (hi > e))  # cells that straddle e
        if len(cut):
            below[i] += np.dot(w[cut], _cell_cdf(e - v[cut], p[cut], q[cut]))
    return np.diff(below) / np.diff(edges)


def boltzmann_histogram(values: np.ndarray, potential: Potential, temperature: float,
                        view: View, bins: int | np.ndarray = HEAT_BINS
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histogram of V over the balls against the density of V predicted by p(x) ~ exp(-V/T).

    values [n]: V at the balls. bins: a count (range: min V to the HEAT_TOP_QUANTILE quantile
    of the predicted V) or edges [b+1]. Returns (edges [b+1], observed [b], predicted [b]),
    both densities per unit V over the whole distribution (a ball past the last edge counts in
    the normalization, not in a bar). predicted is nan when T <= 0 or the potential is not
    bounded below; observed is nan when no value is finite. The prediction is cached.
    """
    vals = np.asarray(values, dtype=np.float64).reshape(-1)
    vals = vals[np.isfinite(vals)]
    have_pred = temperature > 0 and math.isfinite(temperature) and potential.bounded_below
    if np.ndim(bins) == 0:
        b = max(int(bins), 1)
        ckey = ("edges", id(potential), potential.name, float(temperature),
                tuple(float(x) for x in view), b)
        edges = _heat_cache.get(ckey) if have_pred else None
        if edges is None:
            lo = hi = float("nan")
            if have_pred:
                vg, _, wg = _boltzmann_samples(potential, temperature, view)
                if len(vg):
                    order = np.argsort(vg)
                    cw = np.cumsum(wg[order])
                    lo = float(vg[order[0]])
                    listed = np.asarray(potential.minimum_values, dtype=np.float64)
                    listed = listed[np.isfinite(listed) & (listed <= lo)]
                    if len(listed):  # the grid's lowest cell center sits a little above the minimum
                        lo = float(listed.min())
                    hi = float(vg[order[min(np.searchsorted(cw, HEAT_TOP_QUANTILE), len(cw) - 1)]])
            if not math.isfinite(lo) and len(vals):
                lo, hi = float(vals.min()), float(np.quantile(vals, HEAT_TOP_QUANTILE))
            if not math.isfinite(lo):
                lo, hi = 0.0, 1.0
            if not hi > lo:
                hi = lo + 1.0
            edges = np.linspace(lo, hi, b + 1)
            if have_pred:
                _heat_cache[ckey] = edges
    else:
        edges = np.asarray(bins, dtype=np.float64)
    width = np.diff(edges)
    if len(vals):
        counts, _ = np.histogram(vals, bins=edges)
        observed = counts / (len(vals) * width)
    else:
        observed = np.full(len(width), np.nan)
    pkey = ("pred", id(potential), potential.name, float(temperature),
            tuple(float(x) for x in view), edges.tobytes())
    predicted = _heat_cache.get(pkey)
    if predicted is None:
        predicted = predicted_v_density(potential, temperature, view, edges)
        if len(_heat_cache) >= 4 * _HEAT_CACHE_SIZE:
            _heat_cache.pop(next(iter(_heat_cache)))
        _heat_cache[pkey] = predicted
    return edges, observed, predicted
