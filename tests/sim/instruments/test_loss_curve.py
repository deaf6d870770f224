"""The loss panel's numbers (sim/instruments/loss_curve.py) against the exact discrete maps:
gd on the bowl contracts V by (1 − lr)² a tick; heavy-ball momentum iterated by hand; the
floors are the published minima; balls that leave the run leave the mean."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core.world import World
from sim.data.catalog import get_potential
from sim.instruments.loss_curve import GAP, VALUE, floor_value, log_loss, loss_readout
from sim.rules.dynamics import Rule

STARTS = np.array([[1.0, 0.5], [-2.0, 1.5], [0.3, -2.5]])


def test_gd_on_the_bowl_contracts_the_mean_loss_by_one_minus_lr_squared_a_tick():
    lr = 0.1
    w = World(get_potential("bowl"), Rule("gd", lr=lr), seed=0)
    w.drop(STARTS)
    v0 = 0.5 * (STARTS ** 2).sum(axis=1).mean()  # V = ½|x|², V* = 0
    for t in (0, 1, 7, 40):
        w.tick(t - w.tick_count)
        out = loss_readout(w)
        assert out["quantity"] == GAP and out["floor"] == 0.0 and out["log"] and out["tick"] == t
        assert out["lanes"][0]["loss"] == pytest.approx(v0 * (1 - lr) ** (2 * t), rel=1e-12)
        assert out["lanes"][0]["alive"] == 3


def test_each_rule_is_its_own_lane_and_momentum_follows_its_recursion():
    """Two rules on the ravine V = ½(x² + 25y²): the momentum lane against u ← βu + g, x ← x − lr u
    iterated here, the gd lane against x ← x − lr g."""
    lr, beta, ticks = 0.01, 0.9, 60
    w = World(get_potential("ravine"), Rule("gd", lr=lr), seed=0)
    m = w.add_rule(Rule("momentum", lr=lr, beta=beta))
    w.drop(STARTS[:2])
    w.drop(STARTS[2:], rule_id=m)
    w.drop(STARTS[:1], rule_id=m)
    w.tick(ticks)
    lam = np.array([1.0, 25.0])
    x_gd = STARTS[:2].copy()
    x_hb, u = np.vstack([STARTS[2:], STARTS[:1]]), np.zeros((2, 2))
    for _ in range(ticks):
        x_gd = x_gd - lr * lam * x_gd
        u = beta * u + lam * x_hb
        x_hb = x_hb - lr * u
    want = [(0.5 * lam * x ** 2).sum(axis=1).mean() for x in (x_gd, x_hb)]
    lanes = loss_readout(w)["lanes"]
    assert [lane["rule"] for lane in lanes] == ["gd", "momentum"]
    assert [lane["alive"] for lane in lanes] == [2, 2]
    assert [lane["loss"] for lane in lanes] == pytest.approx(want, rel=1e-10)


def test_the_floor_is_the_lowest_published_minimum_and_none_without_one():
    assert floor_value(get_potential("himmelblau")) == 0.0
    assert floor_value(get_potential("six_hump_camel")) == pytest.approx(-1.0316284535, abs=1e-9)
    assert floor_value(get_potential("goldstein_price")) == pytest.approx(3.0, abs=1e-12)
    assert floor_value(get_potential("saddle")) is None  # not bounded below: V itself, linear
    w = World(get_potential("saddle"), Rule("gd", lr=0.1), seed=0)
    w.drop(np.array([[1.0, 0.5]]))
    out = loss_readout(w)
    assert out["quantity"] == VALUE and out["floor"] is None and not out["log"]
    assert out["lanes"][0]["loss"] == pytest.approx(1.0 - 0.25)


def test_balls_that_leave_the_run_leave_the_mean():
    """gd with lr 2.5 on the bowl multiplies x by −1.5 a tick: it diverges; the lane is left
    with no ball (nan, alive 0), and the gd lane at lr 0.5 is unaffected."""
    w = World(get_potential("bowl"), Rule("gd", lr=0.5), seed=0)
    bad = w.add_rule(Rule("gd", lr=2.5))
    w.drop(STARTS[:1])
    w.drop(STARTS[1:], rule_id=bad)
    w.tick(4000)
    good, gone = loss_readout(w)["lanes"]
    assert gone["alive"] == 0 and math.isnan(gone["loss"])
    assert good["alive"] == 1 and good["loss"] == 0.0  # (1 − 0.5)^(2t) underflows to exactly 0


def test_log_loss_is_nan_where_the_loss_is_not_positive():
    got = log_loss(np.array([1e-3, 0.0, -1.0, 100.0, np.nan]))
    assert got[0] == pytest.approx(-3.0) and got[3] == pytest.approx(2.0)
    assert np.isnan(got[1:3]).all() and np.isnan(got[4])
