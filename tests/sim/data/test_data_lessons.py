"""The three data lessons do what their captions promise (headless, from the scene files)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from sim.scene.presets import find_scene, list_presets
from sim.scene.io import load_scene
from sim.data.minibatch import noise_temperature

DATA_LESSONS = ("fit_a_line", "sgd_is_hot", "network_slice")


def load(name: str):
    return load_scene(find_scene(name))


@pytest.mark.parametrize("name", DATA_LESSONS)
def test_data_lessons_are_listed_and_ask_before_they_run(name):
    names = [n for n, _ in list_presets()]
    assert name in names
    _, info = load(name)
    assert info.paused and "Press Space to see" in info.caption and "?" in info.caption


def test_fit_a_line_slides_through_the_middle_then_turns():
    w, info = load("fit_a_line")
    pot = w.potential
    x, y = pot.data.x[:, 0], pot.data.y
    best = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    lam, vec = np.linalg.eigh(pot.hessian(best[None])[0])  # ascending: soft, stiff
    d0 = (w.particles.pos - best) @ vec  # [balls, (soft, stiff)]
    w.tick(20)
    d = (w.particles.pos - best) @ vec
    # after 20 steps: the stiff part (where the line passes the middle of the data) is gone,
    # the soft part (the line's turn about that middle) is mostly still there
    assert np.all(np.abs(d[:, 1]) < 1e-3 * np.abs(d0[:, 1]).max())
    big = np.abs(d0[:, 0]) > 0.5
    assert big.sum() >= 6 and np.all(np.abs(d[big, 0]) > 0.3 * np.abs(d0[big, 0]))
    # every line then turns to the least-squares fit
    w.tick(580)
    assert np.abs(w.particles.pos - best).max() < 1e-6


def test_sgd_is_hot_colder_with_larger_batches():
    w, info = load("sgd_is_hot")
    assert [r.batch for r in w.rules] == [0, 4, 1] and len({r.lr for r in w.rules}) == 1
    pot = w.potential
    best = pot.minima[0]
    w.tick(400)
    spread = np.zeros(3)
    for _ in range(60):
        w.tick(10)
        d2 = ((w.particles.pos - best) ** 2).sum(axis=1)
        spread += [d2[w.particles.rule == r].mean() for r in range(3)]
    spread /= 60
    assert spread[0] < 1e-10 * spread[1]  # full batch: settles at the minimum, no noise
    assert spread[1] > 1e-4 and spread[2] > 2.5 * spread[1]
    # in the small-step picture the spread is proportional to the temperature (same lr, same H)
    t = [noise_temperature(pot, best, w.rules[r].lr, w.rules[r].batch)["t_eff"] for r in (1, 2)]
    assert spread[2] / spread[1] == pytest.approx(t[1] / t[0], rel=0.3)
    # the temperatures the caption quotes are these
    quoted = [float(v) for v in re.findall(r"(0\.\d+) for B=", info.caption)]
    assert quoted == pytest.approx(t, rel=0.02)


def test_network_slice_most_find_the_trained_network_some_do_not():
    w, info = load("network_slice")
    pot = w.potential
    assert pot.name == "mlp" and pot.plane == "random" and pot.data.n == 64
    theta = pot.minima[0]
    assert np.linalg.norm(theta) < 0.01  # the trained weights sit at the origin of the plane
    start = np.linalg.norm(w.particles.pos - theta, axis=1)
    assert start.min() > 2.0
    w.tick(600)
    home = np.linalg.norm(w.particles.pos - theta, axis=1) < 0.01
    assert home.sum() >= 0.75 * w.n
    stuck = w.particles.pos[~home]
    assert len(stuck) >= 1  # the answer is "not all"
    # the others sit in a real valley of this slice: no slope, curving up, a much worse network
    assert np.abs(pot.grad(stuck)).max() < 1e-4
    assert np.all(np.linalg.eigvalsh(pot.hessian(stuck))[:, 0] > 0)
    assert np.all(pot.value(stuck) > 5 * pot.minimum_values[0])
