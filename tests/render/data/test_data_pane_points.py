"""The data pane's points are drawn vectorized (a 100,000-row set took ~160 ms a frame as one
circle call per point): the picture must be the one the circles drew one by one, in order
(the reference below: pygame.draw.circle per point, clipped to the pane), with overlaps,
points on and past the pane's edges, and both classes."""
import numpy as np
import pygame
import pytest

from render.data import pane as D
from sim.data.sets import Dataset

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
RECT = pygame.Rect(37, 21, 300, 200)


def reference(surface, pane, data):
    """Transcribed from the pane before it was vectorized: one circle per point."""
    clip = surface.get_clip()
    surface.set_clip(pane.rect)
    pts = data.x if data.kind == "classification" else np.column_stack([data.x[:, 0], data.y])
    for (x, y), label in zip(pane.to_px(pts).astype(int), data.y):
        color = D.CLASS_COLORS[int(label)] if data.kind == "classification" else D.POINT
        pygame.draw.circle(surface, color, (int(x), int(y)), D.POINT_RADIUS)
    surface.set_clip(clip)


def vectorized(surface, pane, data):
    clip = surface.get_clip()
    surface.set_clip(pane.rect)
    D._draw_points(surface, pane, data)
    surface.set_clip(clip)


@pytest.mark.parametrize("kind", ["regression", "classification"])
@pytest.mark.parametrize("n", [1, 7, 300, 5000])
@pytest.mark.parametrize("seed,depth", [(0, 32), (1, 32), (2, 24)])
def test_the_points_are_the_pixels_the_circles_drew(kind, n, seed, depth):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-0.1, 1.1, (n, 2))  # some past every edge
    pts[: n // 3] = np.round(pts[: n // 3] * 20) / 20  # many on the same spots: the order shows
    labels = rng.integers(0, 2, n).astype(float)
    if kind == "classification":
        data = Dataset(pts, labels, kind)
    else:
        data = Dataset(pts[:, :1], pts[:, 1], kind)
    pane = D.PaneMap(RECT, (0.0, 1.0, 0.0, 1.0))
    want = pygame.Surface((400, 260), 0, depth)
    want.fill((40, 50, 60))
    got = want.copy()
    reference(want, pane, data)
    vectorized(got, pane, data)
    a, b = pygame.surfarray.array3d(want), pygame.surfarray.array3d(got)
    assert np.array_equal(a, b), np.argwhere((a != b).any(axis=2))[:10]


def test_a_pane_cut_by_the_window_and_a_far_point_draw_as_the_circles():
    pts = np.array([[0.5, 0.5], [1e12, 3.0], [0.99, 0.01], [-1e300, 0.2]])
    data = Dataset(pts[:, :1], pts[:, 1], "regression")
    pane = D.PaneMap(pygame.Rect(-50, 100, 300, 200), (0.0, 1.0, 0.0, 1.0))  # partly off the surface
    want = pygame.Surface((200, 250), 0, 32)
    got = want.copy()
    keep = np.isfinite(pane.to_px(pts)).all(axis=1) & (np.abs(pane.to_px(pts)) < 1e6).all(axis=1)
    reference(want, pane, Dataset(pts[keep, :1], pts[keep, 1], "regression"))
    vectorized(got, pane, data)
    assert np.array_equal(pygame.surfarray.array3d(want), pygame.surfarray.array3d(got))


def test_a_large_set_is_drawn_without_a_call_per_point(monkeypatch):
    """100,000 rows (the most a file holds): no pygame call per point (the hot path is numpy)."""
    calls = []
    monkeypatch.setattr(D.pygame.draw, "circle", lambda *a, **k: calls.append(1))
    rng = np.random.default_rng(3)
    data = Dataset(rng.standard_normal((100_000, 2)), rng.integers(0, 2, 100_000).astype(float),
                   "classification")
    surf = pygame.Surface((400, 300), 0, 32)
    pane = D.PaneMap(pygame.Rect(0, 0, 400, 300), (-3.0, 3.0, -3.0, 3.0))
    vectorized(surf, pane, data)
    assert len(calls) <= 1  # (at most the stamp's own circle, drawn once)
    assert pygame.surfarray.array3d(surf).any()
