"""The lessons of the new rules check what their captions claim, computed independently here."""
from __future__ import annotations

import math

import numpy as np

from sim.scene.presets import LESSON_ORDER, find_scene
from sim.scene.io import load_scene


def test_lion_constant_speed_crosses_in_distance_over_lr_ticks():
    w, info = load_scene(find_scene("lion_constant_speed"))
    assert info.paused and "Predict" in info.caption and "lion_constant_speed" in LESSON_ORDER
    assert [r.name for r in w.rules] == ["gd", "lion"]
    lr = w.rules[1].lr
    x0, y0 = w.particles.pos[1].copy()
    xs, ys, gd_x = [], [], []
    for _ in range(400):
        w.tick(1)
        xs.append(w.particles.pos[1, 0])
        ys.append(w.particles.pos[1, 1])
        gd_x.append(w.particles.pos[0, 0])
    xs, ys = np.array(xs), np.array(ys)
    k = np.arange(1, 401)
    # every tick until the crossing: exactly lr per coordinate
    np.testing.assert_allclose(xs[:300], x0 + lr * k[:300], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ys[:200], y0 - lr * k[:200], rtol=0, atol=1e-12)
    assert int(np.argmax(xs > -lr / 2)) + 1 == round(-x0 / lr) == 300  # the caption's 300
    assert int(np.argmax(ys < lr / 2)) + 1 == round(y0 / lr) == 200  # and 200
    # gd along the floor: x_k = x0 (1 - lr 0.02)^k exactly (separable quadratic)
    np.testing.assert_allclose(gd_x, x0 * (1 - lr * 0.02) ** k, rtol=1e-12)
    assert math.log(0.03 / 3) / math.log(1 - lr * 0.02) > 2.2e4  # "about 23,000 ticks"


def test_sam_leaves_the_sharp_minimum_that_gd_settles_in():
    w, info = load_scene(find_scene("sam_flat_minimum"))
    assert info.paused and "Predict" in info.caption and "sam_flat_minimum" in LESSON_ORDER
    gd, sam = w.rules
    assert (gd.name, sam.name) == ("gd", "sam") and gd.lr == sam.lr
    lr, rho, lam_sharp, lam_flat = sam.lr, sam.opt("sam_rho"), 12.0, 0.5
    # the caption's numbers: gd stable in the sharp well; SAM's 2-cycle half-widths
    assert lr * lam_sharp < 2
    half = lambda lam: lr * lam * rho / (2 - lr * lam)  # noqa: E731  x' = a x - k sign x, a = 1 - lr lam
    assert round(half(lam_sharp), 1) == 2.7 and round(half(lam_flat), 3) == 0.012
    # the sharp well's region (where its quadratic is the lower branch) is narrower than 2.7:
    # 6 r^2 - 1.2 = 0.25 (3 - r)^2 - 1 along the axis toward the flat well gives r < 0.7
    assert 6 * 0.7**2 - 1.2 > 0.25 * (3 - 0.7) ** 2 - 1
    w.tick(1500)
    np.testing.assert_allclose(w.particles.pos[0], [-1.5, 0.0], atol=1e-5)  # gd: the sharp one
    assert np.abs(w.potential.grad(w.particles.pos[:1])).max() < 1e-9  # at rest there
    xs = []
    for _ in range(100):
        w.tick(1)
        xs.append(w.particles.pos[1].copy())
    xs = np.array(xs)
    assert np.abs(xs - [1.5, 0.0]).max() < 0.05  # SAM: in the flat one, hopping
    amp = np.abs(xs[:, 0] - 1.5).max()
    assert abs(amp - half(lam_flat)) < 0.1 * half(lam_flat)  # with the predicted half-width
