"""The data pane clips its model lines to the pane before drawing them (gfxdraw takes 16-bit
coordinates): checked against points sampled along each segment, and a nearly vertical line
(a huge slope) draws without an error."""
from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from render.data.pane import clip_segments, draw_pane  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.core.world import World  # noqa: E402


def test_clipped_segments_are_the_parts_inside_the_rect():
    rng = np.random.default_rng(5)
    rect = pygame.Rect(10, 20, 300, 200)
    seg = rng.uniform(-400, 700, (400, 2, 2))
    seg[:5, 1] = seg[:5, 0]  # points
    seg[5:10, :, 0] = 50.0  # vertical
    seg[10:15, :, 1] = 100.0  # horizontal
    seg[15] = np.nan
    seg[16] = [[-1e9, 60.0], [1e9, 61.0]]  # far outside, crossing
    got = clip_segments(seg, rect)
    lo, hi = np.array([rect.left, rect.top]), np.array([rect.right - 1, rect.bottom - 1])
    assert ((got >= lo - 1e-6) & (got <= hi + 1e-6)).all()
    # brute force, segment by segment: the length of the part inside, from sampled points
    t = np.linspace(0.0, 1.0, 20001)
    kept = 0
    for s in seg[np.isfinite(seg).all(axis=(1, 2))]:
        pts = s[0] + t[:, None] * (s[1] - s[0])
        ok = ((pts >= lo) & (pts <= hi)).all(axis=1)
        one = clip_segments(s[None], rect)
        length = float(np.linalg.norm(one[0, 1] - one[0, 0])) if len(one) else None
        step = np.linalg.norm(s[1] - s[0]) / 20000
        if ok.any():
            assert length is not None and abs(length - ok.mean() * step * 20000) <= 2 * step + 1e-6
        else:  # missed by the samples: at most a sliver between two samples
            assert length is None or length <= 2 * step
        kept += len(one)
    assert kept == len(got)


def test_ends_far_out_are_clamped_to_the_rect():
    """Ends 1e20 px away (a diverged model) lose digits in p0 + t·d; the result must still lie
    in the rect, where gfxdraw's 16-bit coordinates reach."""
    rng = np.random.default_rng(2)
    rect = pygame.Rect(0, 0, 340, 240)
    mid = rng.uniform(0, 300, (5000, 1, 2))
    way = rng.normal(size=(5000, 1, 2)) * 10.0 ** rng.uniform(10, 24, (5000, 1, 1))
    got = clip_segments(np.concatenate([mid - way, mid + way], axis=1), rect)
    assert len(got) and (got >= 0).all() and (got[..., 0] <= 339).all() and (got[..., 1] <= 239).all()


def test_a_nearly_vertical_model_line_draws():
    pygame.init()
    world = World(get_potential("linreg"), Rule("gd", lr=0.01), seed=1)
    world.drop(np.array([[1e6, 3.0], [0.5, 0.5], [-2e7, 1.0], [3e19, -1e20], [-1e22, 5e21]]))
    surf = pygame.Surface((400, 300), 0, 32)
    pane = draw_pane(surf, pygame.Rect(20, 20, 340, 240), world, 0)
    assert pane is not None
