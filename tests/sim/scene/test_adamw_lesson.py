"""The lesson adamw_vs_l2 does what its caption asks the user to predict, checked against
references solved here: the ridge fit (a 2x2 linear system), the least-squares fit, the box
|x_i| < 1/wd."""
from __future__ import annotations

import numpy as np

from sim.scene.presets import find_scene, list_presets
from sim.scene.io import load_scene

WD = 1.25


def test_adam_l2_settles_on_the_ridge_fit_adamw_stays_in_the_box():
    w, info = load_scene(find_scene("adamw_vs_l2"))
    assert info.paused and "Press Space to see" in info.caption and "?" in info.caption
    assert [r.name for r in w.rules] == ["adam", "adamw"]
    assert all(r.opt("weight_decay") == WD for r in w.rules)
    assert "adamw_vs_l2" in [n for n, _ in list_presets()]
    x, y = w.potential.data.x[:, 0], w.potential.data.y
    a = np.column_stack([x, np.ones_like(x)])
    ols = np.linalg.lstsq(a, y, rcond=None)[0]
    # V = mean((w x + b - y)^2): grad V + WD theta = 0  <=>  (2 A^T A / n + WD I) theta = 2 A^T y / n
    n = len(x)
    ridge = np.linalg.solve(2 * a.T @ a / n + WD * np.eye(2), 2 * a.T @ y / n)
    w.tick(2500)
    path = []
    for _ in range(500):
        w.tick(1)
        path.append(w.particles.pos.copy())
    path = np.array(path)  # [ticks, ball, 2]
    l2_ball, adamw_ball = path[:, 0], path[:, 1]
    # Adam + L2: a fixed point, exactly the ridge fit
    np.testing.assert_allclose(l2_ball[-1], ridge, atol=1e-9)
    assert l2_ball.std(axis=0).max() < 1e-9
    # AdamW: inside the box |x_i| < 1/wd although the least-squares b (1.03) is outside it ...
    mean = adamw_ball.mean(axis=0)
    assert abs(ols[1]) > 1 / WD and np.abs(adamw_ball).max() < 1 / WD
    # ... neither the ridge fit nor the least-squares fit, and it keeps moving
    assert np.abs(mean - ridge).max() > 0.05 and np.abs(mean - ols).max() > 0.05
    assert adamw_ball.std(axis=0).max() > 1e-4
