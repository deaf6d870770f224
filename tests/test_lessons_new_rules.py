"""The lessons of the new rules check what their captions claim, computed independently here."""
from __future__ import annotations

import math

import numpy as np

from sim.scene import LESSON_ORDER, find_scene, load_scene


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
