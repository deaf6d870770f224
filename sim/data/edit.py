"""Editing a data set with the mouse, as pure functions (the data pane calls them), and the
models the pane draws: each ball's line, boundary or network evaluated on the pane's grid.

Points are in data units: regression (x, y), classification (x1, x2) with a 0/1 label.
"""
from __future__ import annotations

import numpy as np

from sim.data.sets import CLASSIFICATION, MAX_ROWS, MIN_ROWS, Dataset

PICK_RADIUS = 0.05  # a click this close (a fraction of the pane's data span) grabs a point


def point_coords(data: Dataset) -> np.ndarray:
    """Where each example is drawn: [n, 2] (x, y) for regression, (x1, x2) for classification."""
    if data.kind == CLASSIFICATION:
        return data.x.copy()
    return np.column_stack([data.x[:, 0], data.y])


def data_bounds(data: Dataset, margin: float = 0.15) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around the points with a margin (never empty)."""
    p = point_coords(data)
    lo, hi = p.min(axis=0), p.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - margin * span, hi + margin * span
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _from_coords(data: Dataset, p: np.ndarray, labels: np.ndarray) -> Dataset:
    if data.kind == CLASSIFICATION:
        return data.with_points(p, labels)
    return data.with_points(p[:, :1], p[:, 1])


def add_point(data: Dataset, at: tuple[float, float], label: int = 1) -> Dataset:
    """The data with one more example at `at` (label used for classification)."""
    if data.n >= MAX_ROWS:
        return data
    p = np.vstack([point_coords(data), np.asarray(at, dtype=np.float64)[None]])
    return _from_coords(data, p, np.append(data.y, float(label)))


def nearest(data: Dataset, at: tuple[float, float], radius: float) -> int | None:
    """Index of the example nearest `at` within `radius` (data units), or None."""
    d = np.linalg.norm(point_coords(data) - np.asarray(at, dtype=np.float64), axis=1)
    i = int(np.argmin(d))
    return i if d[i] <= radius else None


def move_point(data: Dataset, index: int, to: tuple[float, float]) -> Dataset:
    p = point_coords(data)
    p[index] = to
    return _from_coords(data, p, data.y.copy())


def remove_point(data: Dataset, index: int) -> Dataset:
    """The data without example `index` (never below MIN_ROWS examples)."""
    if data.n <= MIN_ROWS:
        return data
    keep = np.arange(data.n) != index
    return _from_coords(data, point_coords(data)[keep], data.y[keep])


def line_segments(pos: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """linreg balls (w, b) [m, 2] as segments of y = w x + b over [x0, x1]: [m, 2, 2]."""
    xs = np.array([x0, x1])
    ys = pos[:, :1] * xs[None, :] + pos[:, 1:2]
    return np.stack([np.broadcast_to(xs, ys.shape), ys], axis=2)


def boundary_segments(pos: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """logreg balls (w1, w2) [m, 2] as the boundary w . x = 0 (a line through the origin),
    clipped to a box around bounds: [m, 2, 2] (a degenerate w = 0 gives a point)."""
    x0, x1, y0, y1 = bounds
    reach = 2.0 * max(abs(x0), abs(x1), abs(y0), abs(y1))
    norm = np.linalg.norm(pos, axis=1, keepdims=True)
    u = np.column_stack([-pos[:, 1], pos[:, 0]]) / np.where(norm > 0, norm, 1.0)  # along the line
    return np.stack([-reach * u, reach * u], axis=1)


def network_regions(potential, ball: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """P(label 1) of the network at ball (a, b) [2] on the grid xs [w] x ys [h]: [w, h]."""
    from sim.data.mlp import unpack
    w1, b1, w2, b2 = unpack(potential.weights_at(np.asarray(ball, dtype=np.float64)))
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    logit = np.tanh(pts @ w1.T + b1) @ w2 + b2
    return (0.5 * (1.0 + np.tanh(0.5 * logit))).reshape(len(xs), len(ys))
