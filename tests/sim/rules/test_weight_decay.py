"""weight_decay (and Adam's amsgrad / decoupled_weight_decay) on the old rules, through the
whole program (World, the registry's Rule), against torch's single-tensor code transcribed
here in numpy: torch/optim/sgd.py, adagrad.py, rmsprop.py, adam.py (torch 2.13).
At weight_decay 0 the old steps run their old operations (bench/picture_hashes.py: state
hashes unchanged); these tests cover the decay itself."""
from __future__ import annotations

import numpy as np
import pytest

from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.torch_refs import AdamRef, rel_err

STEPS = 2000
STARTS = {"himmelblau": (0.5, -1.2), "rosenbrock": (-1.2, 1.0)}


class SGDRef:
    """torch/optim/sgd.py: grad += wd * param; buf = grad (first step) else buf*mom + grad;
    nesterov: grad + mom * buf; param += -lr * step."""

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.lr, self.mom, self.nesterov, self.wd = lr, momentum, nesterov, weight_decay
        self.buf = None

    def step(self, param, grad):
        if self.wd != 0:
            grad = grad + self.wd * param
        if self.mom != 0:
            if self.buf is None:
                self.buf = grad.copy()
            else:
                self.buf = self.buf * self.mom + grad
            grad = grad + self.mom * self.buf if self.nesterov else self.buf
        return param + (-self.lr) * grad


class AdagradRef:
    """torch/optim/adagrad.py (lr_decay 0): grad += wd * param; sum += g g; param -= clr g/(sqrt(sum)+eps)."""

    def __init__(self, lr, eps=1e-10, weight_decay=0.0):
        self.lr, self.eps, self.wd, self.sum = lr, eps, weight_decay, np.zeros(2)

    def step(self, param, grad):
        if self.wd != 0:
            grad = grad + self.wd * param
        self.sum = self.sum + 1 * grad * grad
        std = np.sqrt(self.sum) + self.eps
        return param + (-self.lr) * grad / std


class RMSpropRef:
    """torch/optim/rmsprop.py (no momentum, not centered)."""

    def __init__(self, lr, alpha=0.99, eps=1e-8, weight_decay=0.0):
        self.lr, self.alpha, self.eps, self.wd, self.sq = lr, alpha, eps, weight_decay, np.zeros(2)

    def step(self, param, grad):
        if self.wd != 0:
            grad = grad + self.wd * param
        self.sq = self.sq * self.alpha + (1 - self.alpha) * grad * grad
        avg = np.sqrt(self.sq) + self.eps
        return param + (-self.lr) * grad / avg


LR = {"himmelblau": {"gd": 2e-3, "momentum": 5e-4, "nesterov": 5e-4, "adagrad": 0.1, "rmsprop": 1e-2, "adam": 1e-2},
      "rosenbrock": {"gd": 2e-4, "momentum": 5e-5, "nesterov": 5e-5, "adagrad": 0.1, "rmsprop": 1e-3, "adam": 1e-2}}
CASES = [  # (rule, options, reference factory)
    ("gd", dict(weight_decay=0.1), lambda lr, o: SGDRef(lr, weight_decay=o["weight_decay"])),
    ("momentum", dict(weight_decay=0.05, beta=0.8), lambda lr, o: SGDRef(lr, 0.8, weight_decay=0.05)),
    ("nesterov", dict(weight_decay=0.05), lambda lr, o: SGDRef(lr, 0.9, nesterov=True, weight_decay=0.05)),
    ("adagrad", dict(weight_decay=0.1), lambda lr, o: AdagradRef(lr, weight_decay=0.1)),
    ("rmsprop", dict(weight_decay=0.1), lambda lr, o: RMSpropRef(lr, weight_decay=0.1)),
    ("adam", dict(weight_decay=0.1), lambda lr, o: AdamRef(lr, weight_decay=0.1, decoupled=False)),
    ("adam", dict(amsgrad=True), lambda lr, o: AdamRef(lr, weight_decay=0.0, amsgrad=True)),
    ("adam", dict(weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True),
     lambda lr, o: AdamRef(lr, weight_decay=0.1, amsgrad=True, decoupled=True)),
]


@pytest.mark.parametrize("pot_name", list(STARTS))
@pytest.mark.parametrize("name,opts,make", CASES)
def test_old_rules_with_torchs_options(name, opts, make, pot_name):
    pot = get_potential(pot_name)
    lr = LR[pot_name][name]
    w = World(pot, Rule(name, lr=lr, **opts))
    x0 = np.array(STARTS[pot_name])
    w.drop(x0[None])
    ref = make(lr, opts)
    p = x0.copy()
    got, want = np.empty((STEPS, 2)), np.empty((STEPS, 2))
    for k in range(STEPS):
        p = ref.step(p, pot.grad(p[None])[0])
        w.tick(1)
        got[k], want[k] = w.particles.pos[0], p
    err = rel_err(got, want)
    assert err.max() <= 1e-10, f"step {int(err.argmax()) + 1}: {err.max():.3g}"


def test_weight_decay_moves_the_fixed_point_of_gd_exactly():
    """gd with L2 on the bowl V = |x|^2/2 is x <- (1 - lr (1 + wd)) x."""
    w = World(get_potential("bowl"), Rule("gd", lr=0.1, weight_decay=0.5))
    w.drop(np.array([[1.0, -2.0]]))
    w.tick(10)
    np.testing.assert_allclose(w.particles.pos[0], (1 - 0.1 * 1.5) ** 10 * np.array([1.0, -2.0]), rtol=1e-13)


def test_dump_and_label_name_the_options():
    r = Rule("adam", weight_decay=0.1, amsgrad=True)
    assert r.params()["weight_decay"] == 0.1 and r.params()["amsgrad"] is True
    assert "weight_decay=0.1" in r.label() and "amsgrad=true" in r.label()
    assert "weight_decay" not in Rule("adam").label()  # an option that is off is not spelled out


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov"])
def test_linear_map_with_weight_decay_is_the_brute_force_step(name):
    """On V = lam x^2/2 with L2 the rule's stated map (at lam + wd) is what the ball does; the
    modified loss and the noise factor are n/a (None) with decay."""
    from sim.landscapes.formula.potential import expression_potential
    from sim.rules import registry

    lam, wd = 1.5, 0.4
    rule = Rule(name, lr=0.05, weight_decay=wd)
    spec = registry.get(name)
    w = World(expression_potential(f"{lam / 2!r}*x**2 + {lam / 2!r}*y**2"), rule)
    w.drop(np.array([[1.0, -2.0]]))
    w.tick(7)
    m = np.asarray(spec.linear_map(rule, lam))
    state = np.array([1.0, 0.0]) if m.shape == (2, 2) else np.array([1.0])
    for _ in range(7):
        state = m @ state
    assert w.particles.pos[0, 0] == pytest.approx(state[0], rel=1e-12)
    assert spec.modified_loss(rule) is None and spec.noise_factor(rule) is None
    assert spec.modified_loss(Rule(name, lr=0.05)) is not None or name == "nesterov"
