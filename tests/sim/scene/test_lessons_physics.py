"""Two lessons checked against what their captions claim: the force −∇V, not the momentum,
points downhill (a thrown ball's velocity and force disagree until friction wins), and the
overdamped lesson's gd lane is the exact overdamped step of every Newton lane."""
from __future__ import annotations

import numpy as np

from sim.instruments.bridge import overdamped_lr
from sim.scene.presets import find_scene
from sim.scene.io import load_scene


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
        assert r.name == "newton" and overdamped_lr(r) == gd.lr  # exact, at every mass
    gaps = np.zeros(3)
    for _ in range(600):
        w.tick(1)
        d = w.particles.pos[1:4] - w.particles.pos[0]
        gaps = np.maximum(gaps, np.hypot(d[:, 0], d[:, 1]))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.2 * gaps[1]


def test_newtons_method_reaches_rosenbrocks_minimum_in_a_few_steps_newtons_law_does_not():
    """The lesson's claim: from (-1.2, 1) Newton's method is at (1, 1) within 8 steps (its
    first step equals x - H^-1 g with Rosenbrock's Hessian written by hand), the ball under
    Newton's law is still more than 1 away."""
    import numpy as np

    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene

    w, _info = load_scene(find_scene("newtons_method_vs_newtons_law"))
    x, y = -1.2, 1.0
    g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    h = np.array([[1200 * x * x - 400 * y + 2, -400 * x], [-400 * x, 200.0]])
    assert np.linalg.eigvalsh(h).min() > 0  # positive definite here: no shift
    w.tick(1)
    assert np.allclose(w.particles.pos[0], np.array([x, y]) - np.linalg.solve(h, g), rtol=1e-12)
    w.tick(7)
    d = np.hypot(*(w.particles.pos - 1.0).T)
    assert d[0] < 1e-9 and d[1] > 1.0
