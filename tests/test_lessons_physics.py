"""Two lessons checked against what their captions claim: the force −∇V, not the momentum,
points downhill (a thrown ball's velocity and force disagree until friction wins), and the
overdamped lesson's gd lane is the exact overdamped step of every Newton lane."""
from __future__ import annotations

import numpy as np

from sim import instruments as ins
from sim.scene import find_scene, load_scene


def _cosines(w) -> np.ndarray:
    f = -w.potential.grad(w.particles.pos)
    v = w.particles.vel
    return (f * v).sum(axis=1) / (np.hypot(f[:, 0], f[:, 1]) * np.hypot(v[:, 0], v[:, 1]))


def test_force_lesson_shows_velocity_and_force_disagreeing():
    w, info = load_scene(find_scene("force_not_momentum"))
    assert info.instruments.get("arrows") and "force" in info.caption
    assert (_cosines(w) < -0.5).all()  # both thrown uphill: momentum against the force
    w.tick(20)
    cos = _cosines(w)
    assert cos[0] < -0.5  # the heavy ball still climbs: momentum points uphill
    assert cos[1] > 0.999  # the overdamped ball moves along the force, as gd does
    heavy_v0 = np.hypot(*w.particles.vel[0])
    w.tick(60)
    assert _cosines(w)[0] > 0.5 and heavy_v0 > 0  # the force has turned it round


def test_overdamped_lesson_gd_lane_is_every_newton_lanes_limit():
    w, _ = load_scene(find_scene("overdamped_limit"))
    gd, lanes = w.rules[0], w.rules[1:]
    for r in lanes:
        assert r.name == "newton" and ins.overdamped_lr(r) == gd.lr  # exact, at every mass
    gaps = np.zeros(3)
    for _ in range(600):
        w.tick(1)
        d = w.particles.pos[1:4] - w.particles.pos[0]
        gaps = np.maximum(gaps, np.hypot(d[:, 0], d[:, 1]))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.2 * gaps[1]
