"""The torch.optim rules (adamw, nadam, radam, adamax, adadelta, rprop, asgd, adafactor) against
transcriptions of torch's own single-tensor code (torch/optim/<name>.py, `_single_tensor_*`,
torch 2.13), written in plain numpy for one parameter vector [x, y] (here, and Adam's with
ATen's lerp in tests/support/torch_refs.py); torch is not needed.

Each reference keeps torch's order of operations and its quirks (noted where they occur):
ATen's two-sided lerp, addcdiv as self + (value * t1) / t2, the 0-dim float32 scalars torch
keeps for NAdam's mu_product and ASGD's eta and mu, RAdam's eps and rho_t > 5.

Chaos: a few settings make the orbit chaotic (an adaptive step hovering about a minimum
amplifies a one-ulp difference a hundredfold in a few ticks). There a rounding difference
(torch's fused multiply-adds, or numpy's pow against Python's) would grow to any size, so each
comparison runs 2,000 steps, or, where the reference itself moves apart from a copy started
one ulp away, only up to that horizon (which the test reports and requires to be >= 150).
"""
from __future__ import annotations

import math
import types

import numpy as np
import pytest

from sim.data.catalog import get_potential
from sim.rules.torch_optim import adadelta, adafactor, adamax, adamw, asgd, nadam, radam, rprop
from tests.support.torch_refs import AdamRef, lerp, rel_err

F64_EPS = float(np.finfo(np.float64).eps)
STEPS = 2000
MIN_HORIZON = 150
STARTS = {"himmelblau": (0.5, -1.2), "rosenbrock": (-1.2, 1.0)}


# --- the references: torch's _single_tensor_<name>, one parameter tensor of shape [2] --------
# (AdamRef, for adamw: tests/support/torch_refs.py)

class NAdamRef:
    """torch/optim/nadam.py. Quirk: mu_product is a 0-dim float32 tensor (torch's scalar dtype
    at the default dtype): `mu_product *= mu` multiplies in float32."""

    def __init__(self, lr=2e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, scalar_dtype=np.float32):
        self.o = dict(lr=lr, b1=beta, b2=beta2, eps=eps, wd=weight_decay, psi=momentum_decay,
                      dec=decoupled_weight_decay)
        self.f = scalar_dtype  # torch's _get_scalar_dtype(): float32 unless the default is float64
        self.step_t, self.mu_product = 0.0, self.f(1.0)
        self.m, self.v = np.zeros(2), np.zeros(2)

    def step(self, param, grad):
        o = self.o
        lr, b1, b2, psi = o["lr"], o["b1"], o["b2"], o["psi"]
        self.step_t += 1
        step = self.step_t
        bias_correction2 = 1 - b2**step
        if o["wd"] != 0:
            if o["dec"]:
                param = param * (1 - lr * o["wd"])
            else:
                grad = grad + o["wd"] * param
        mu = b1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        self.mu_product = self.f(self.mu_product * self.f(mu))
        self.m = lerp(self.m, grad, 1 - b1)
        self.v = self.v * b2 + (1 - b2) * grad * grad
        denom = np.sqrt(self.v / bias_correction2)
        mu_product_next = float(self.mu_product) * mu_next
        denom = denom + o["eps"]
        param = param + (-lr * (1.0 - mu) / (1.0 - float(self.mu_product))) * grad / denom
        return param + ((-lr * mu_next) / (1.0 - mu_product_next)) * self.m / denom


class RAdamRef:
    """torch/optim/radam.py: eps added to sqrt(v) before the bias correction; rho_t > 5."""

    def __init__(self, lr=1e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        self.o = dict(lr=lr, b1=beta, b2=beta2, eps=eps, wd=weight_decay, dec=decoupled_weight_decay)
        self.step_t, self.m, self.v = 0.0, np.zeros(2), np.zeros(2)
        self.rectified = []  # per step: whether the adaptive branch ran

    def step(self, param, grad):
        o = self.o
        lr, b1, b2 = o["lr"], o["b1"], o["b2"]
        self.step_t += 1
        step = self.step_t
        if o["wd"] != 0:
            if o["dec"]:
                param = param * (1 - lr * o["wd"])
            else:
                grad = grad + o["wd"] * param
        self.m = lerp(self.m, grad, 1 - b1)
        self.v = self.v * b2 + (1 - b2) * grad * grad
        bias_correction1 = 1 - b1**step
        bias_correction2 = 1 - b2**step
        bias_corrected_exp_avg = self.m / bias_correction1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * (b2**step) / bias_correction2
        self.rectified.append(rho_t > 5.0)
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2**0.5) / (np.sqrt(self.v) + o["eps"])
            return param - bias_corrected_exp_avg * lr * adaptive_lr * rect
        return param - bias_corrected_exp_avg * lr


class AdamaxRef:
    """torch/optim/adamax.py: eps inside the max with |g|."""

    def __init__(self, lr=2e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.o = dict(lr=lr, b1=beta, b2=beta2, eps=eps, wd=weight_decay)
        self.step_t, self.m, self.u = 0.0, np.zeros(2), np.zeros(2)

    def step(self, param, grad):
        o = self.o
        self.step_t += 1
        if o["wd"] != 0:
            grad = grad + o["wd"] * param
        self.m = lerp(self.m, grad, 1 - o["b1"])
        self.u = np.maximum(self.u * o["b2"], np.abs(grad) + o["eps"])
        clr = o["lr"] / (1 - o["b1"] ** self.step_t)
        return param + (-clr) * self.m / self.u


class AdadeltaRef:
    """torch/optim/adadelta.py."""

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        self.o = dict(lr=lr, rho=rho, eps=eps, wd=weight_decay)
        self.sq, self.acc = np.zeros(2), np.zeros(2)

    def step(self, param, grad):
        o = self.o
        rho, eps = o["rho"], o["eps"]
        if o["wd"] != 0:
            grad = grad + o["wd"] * param
        self.sq = self.sq * rho + (1 - rho) * grad * grad
        std = np.sqrt(self.sq + eps)
        delta = np.sqrt(self.acc + eps)
        delta = delta / std * grad
        self.acc = self.acc * rho + (1 - rho) * delta * delta
        return param + (-o["lr"]) * delta


class RpropRef:
    """torch/optim/rprop.py: step_size starts at lr; after a sign flip the gradient is zeroed."""

    def __init__(self, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
        self.etaminus, self.etaplus = etas
        self.lo, self.hi = step_sizes
        self.prev, self.step_size = np.zeros(2), np.full(2, lr)

    def step(self, param, grad):
        sign = np.sign(grad * self.prev)
        sign[sign > 0] = self.etaplus
        sign[sign < 0] = self.etaminus
        sign[sign == 0] = 1
        self.step_size = np.clip(self.step_size * sign, self.lo, self.hi)
        grad = grad.copy()
        grad[sign == self.etaminus] = 0
        param = param + (-1 * np.sign(grad)) * self.step_size
        self.prev = grad
        return param


class ASGDRef:
    """torch/optim/asgd.py. Quirk: eta and mu are 0-dim float32 tensors (torch's scalar dtype)."""

    def __init__(self, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
        self.o = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, wd=weight_decay)
        self.step_t, self.eta, self.mu, self.ax = 0.0, np.float32(lr), np.float32(1.0), np.zeros(2)

    def step(self, param, grad):
        o = self.o
        lr, lambd = o["lr"], o["lambd"]
        self.step_t += 1
        if o["wd"] != 0:
            grad = grad + o["wd"] * param
        eta_value = float(self.eta)
        param = param * (1 - lambd * eta_value)
        param = param + (-eta_value) * grad
        if float(self.mu) != 1:
            self.ax = self.ax + (param - self.ax) * float(self.mu)
        else:
            self.ax = param.copy()
        step = self.step_t
        self.eta = np.float32(lr / ((1 + lambd * lr * step) ** o["alpha"]))
        self.mu = np.float32(1 / max(1, step - o["t0"]))
        return param


class AdafactorRef:
    """torch/optim/_adafactor.py, the dim <= 1 branch (a vector keeps a full variance)."""

    def __init__(self, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0):
        self.o = dict(lr=lr, tau=beta2_decay, eps1=eps[0], eps2=eps[1], d=d, wd=weight_decay)
        self.step_t, self.variance = 0.0, np.zeros(2)

    def step(self, param, grad):
        o = self.o
        lr = o["lr"]
        eps1 = F64_EPS if o["eps1"] is None else o["eps1"]
        self.step_t += 1
        step_float = self.step_t
        one_minus_beta2_t = step_float ** o["tau"]
        rho_t = min(lr, 1 / (step_float**0.5))
        alpha = max(o["eps2"], math.sqrt(param[0] * param[0] + param[1] * param[1]) / (2**0.5)) * rho_t
        if o["wd"] != 0:
            param = param * (1 - lr * o["wd"])
        self.variance = lerp(self.variance, grad * grad, one_minus_beta2_t)
        update = 1 / np.sqrt(np.maximum(self.variance, eps1 * eps1)) * grad
        denom = max(1.0, math.sqrt(update[0] ** 2 + update[1] ** 2) / ((2**0.5) * o["d"]))
        return param + (-alpha / denom) * update


# torch's defaults, read off each constructor (betas split as beta / beta2)
TORCH_DEFAULTS = {
    "adamw": dict(lr=1e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False),
    "nadam": dict(lr=2e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                  decoupled_weight_decay=False),
    "radam": dict(lr=1e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False),
    "adamax": dict(lr=2e-3, beta=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    "adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0),
    "rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50)),
    "asgd": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0),
    "adafactor": dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0),
}
MODULES = {"adamw": adamw, "nadam": nadam, "radam": radam, "adamax": adamax, "adadelta": adadelta,
           "rprop": rprop, "asgd": asgd, "adafactor": adafactor}
REFS = {"adamw": AdamRef, "nadam": NAdamRef, "radam": RAdamRef, "adamax": AdamaxRef,
        "adadelta": AdadeltaRef, "rprop": RpropRef, "asgd": ASGDRef, "adafactor": AdafactorRef}
# two non-default settings per rule, chosen to reach every option and both lerp branches
SETTINGS = {
    "adamw": [dict(lr=2e-2, weight_decay=0.1, amsgrad=True), dict(lr=5e-3, beta=0.4, beta2=0.99, eps=1e-6, weight_decay=0.0)],
    "nadam": [dict(lr=1e-2, weight_decay=0.05, decoupled_weight_decay=True, momentum_decay=0.01),
              dict(lr=5e-3, weight_decay=0.05, beta=0.3)],
    "radam": [dict(lr=1e-2, weight_decay=0.05, decoupled_weight_decay=True),
              dict(lr=5e-3, beta2=0.99, weight_decay=0.05, eps=1e-3)],
    "adamax": [dict(lr=2e-2, weight_decay=0.05, beta=0.3), dict(lr=5e-3, beta2=0.9, eps=1e-4)],
    "adadelta": [dict(lr=0.5, rho=0.5, eps=1e-4), dict(lr=2.0, weight_decay=0.01, rho=0.99)],
    "rprop": [dict(lr=1e-3, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1)), dict(lr=0.1, etas=(0.7, 1.1), step_sizes=(1e-8, 1.0))],
    "asgd": [dict(lambd=1e-2, alpha=0.5, t0=100.0), dict(weight_decay=0.05, t0=10.0, lambd=0.0)],
    "adafactor": [dict(lr=0.05, beta2_decay=-0.5, d=2.0, weight_decay=0.01), dict(lr=1e-2, eps=(1e-3, 1e-2), d=1.5)],
}
ASGD_LR = {"himmelblau": 1e-3, "rosenbrock": 1e-4}  # asgd is plain SGD: an lr that stays on the map


def case_opts(name: str, pot_name: str, setting: int) -> dict:
    """Setting 0: torch's defaults; 1, 2: SETTINGS. asgd (plain SGD) takes its lr per landscape
    (torch's 1e-2 throws a ball off rosenbrock): ASGD_LR, x0.2 in setting 1."""
    opts = {} if setting == 0 else dict(SETTINGS[name][setting - 1])
    if name == "asgd":
        opts["lr"] = ASGD_LR[pot_name] * (0.2 if setting == 1 else 1.0)
    return opts


# --- the program's rules, stepped through stand-ins for Rule and State -------------------------

class RuleStandIn:
    """What a step reads: r.lr and r.opt(name), resolved to the SPEC's defaults."""

    def __init__(self, spec, **opts):
        self.values = {p.name: p.default for p in spec.params}
        self.values.update(opts)
        self.lr = self.values["lr"]

    def opt(self, name):
        return self.values[name]


def make_state(spec, n: int):
    z = lambda: np.zeros((n, 2))  # noqa: E731
    bufs = {b.name: np.zeros((n, *b.shape), dtype=b.dtype) for b in spec.buffers}
    return types.SimpleNamespace(pos=z(), vel=z(), grad=z(), buf_a=z(), buf_b=z(), tmp=z(), tmp2=z(),
                                 steps=np.zeros(n, np.int64), dissipated=np.zeros(n),
                                 grad_valid=False, same_steps=None, bufs=bufs)


def view(s, m: int):
    """The first m balls of s as a State (views: a step writes through)."""
    return types.SimpleNamespace(pos=s.pos[:m], vel=s.vel[:m], grad=s.grad[:m], buf_a=s.buf_a[:m],
                                 buf_b=s.buf_b[:m], tmp=s.tmp[:m], tmp2=s.tmp2[:m], steps=s.steps[:m],
                                 dissipated=s.dissipated[:m], grad_valid=False, same_steps=None,
                                 bufs={k: v[:m] for k, v in s.bufs.items()})


def torch_kwargs(name: str, opts: dict) -> dict:
    kw = {**TORCH_DEFAULTS[name], **opts}
    if name == "adafactor" and kw["eps"][0] is not None and "eps" not in opts:
        kw["eps"] = (None, kw["eps"][1])
    return kw


def reference_path(name: str, pot, x0, steps: int, opts: dict) -> np.ndarray:
    ref = REFS[name](**torch_kwargs(name, opts))
    p = np.array(x0, dtype=np.float64)
    out = np.empty((steps, 2))
    for k in range(steps):
        p = ref.step(p, pot.grad(p[None])[0])
        out[k] = p
    return out


def rule_path(name: str, pot, x0, steps: int, opts: dict) -> np.ndarray:
    spec = MODULES[name].SPEC
    r = RuleStandIn(spec, **opts)
    s = make_state(spec, 1)
    s.pos[0] = x0
    out = np.empty((steps, 2))
    for k in range(steps):
        assert spec.step(r, s, pot, None) is False
        out[k] = s.pos[0]
    return out


def horizon(name: str, pot, x0, opts: dict, steps: int = STEPS) -> int:
    """How many steps the reference stays within 1e-11 of itself started one ulp away."""
    a = reference_path(name, pot, x0, steps, opts)
    x1 = np.array(x0, dtype=np.float64)
    x1 = np.nextafter(x1, np.inf)
    b = reference_path(name, pot, x1, steps, opts)
    far = rel_err(b, a) > 1e-11
    return int(np.argmax(far)) if far.any() else steps


CASES = [(name, pot, i) for name in MODULES for pot in STARTS for i in range(3)]


@pytest.mark.parametrize("name,pot_name,setting", CASES)
def test_rule_equals_torch_transcription(name, pot_name, setting):
    """2,000 steps at torch's defaults (setting 0) and two other settings, 1e-10 relative
    (up to the chaos horizon where a one-ulp change of the start grows past 1e-11)."""
    pot = get_potential(pot_name)
    opts = case_opts(name, pot_name, setting)
    x0 = STARTS[pot_name]
    h = horizon(name, pot, x0, opts)
    assert h >= MIN_HORIZON, f"{name} {opts}: chaotic after {h} steps"
    ref = reference_path(name, pot, x0, h, opts)
    got = rule_path(name, pot, x0, h, opts)
    assert np.isfinite(ref).all()
    err = rel_err(got, ref)
    assert err.max() <= 1e-10, f"{name} {opts}: step {int(err.argmax()) + 1} of {h} off by {err.max():.3g}"


def test_most_settings_run_the_full_2000_steps():
    """The chaos horizon is the exception: count the cases that compare all 2,000 steps."""
    full = sum(horizon(n, get_potential(p), STARTS[p], case_opts(n, p, i)) == STEPS for n, p, i in CASES)
    assert full >= 0.75 * len(CASES), f"only {full} of {len(CASES)} cases are non-chaotic over 2,000 steps"


@pytest.mark.parametrize("name", list(MODULES))
def test_defaults_are_torchs(name):
    spec = MODULES[name].SPEC
    got = {p.name: p.default for p in spec.params}
    want = dict(TORCH_DEFAULTS[name])
    if name == "adafactor":  # eps1 None: torch uses finfo(param.dtype).eps, float64 here
        want["eps"] = (F64_EPS, 1e-3)
    assert got == want  # torch's literal defaults: equal, not approximately
    assert spec.name == name


@pytest.mark.parametrize("name", list(MODULES))
def test_many_balls_dropped_at_different_times(name):
    """Balls joining the block at different ticks (so different step counts in one step call)
    each follow their own reference path from their own drop."""
    pot = get_potential("himmelblau")
    opts = dict(SETTINGS[name][0])
    if name == "asgd":
        opts["lr"] = 1e-3
    spec = MODULES[name].SPEC
    r = RuleStandIn(spec, **opts)
    drops = [0, 0, 1, 4, 9, 9, 30]  # sorted: the block grows at its end
    starts = np.random.default_rng(7).uniform(-4, 4, (len(drops), 2))
    total = 150
    s = make_state(spec, len(drops))
    s.pos[:] = starts
    for tick in range(total):
        m = sum(d <= tick for d in drops)
        spec.step(r, view(s, m), pot, None)
    for i, d in enumerate(drops):
        ref = reference_path(name, pot, starts[i], total - d, opts)[-1]
        np.testing.assert_allclose(s.pos[i], ref, rtol=1e-10, atol=1e-12, err_msg=f"ball {i} dropped at {d}")
        assert s.steps[i] == total - d


@pytest.mark.parametrize("name", list(MODULES))
def test_same_steps_flag_gives_the_same_numbers(name):
    """A block told `same_steps` (one decision for all blocks of a tick) steps as if it looked."""
    pot = get_potential("rosenbrock")
    spec = MODULES[name].SPEC
    r = RuleStandIn(spec, **({"lr": 1e-4} if name == "asgd" else {}))
    starts = np.random.default_rng(3).uniform(-1.5, 1.5, (5, 2))
    a, b = make_state(spec, 5), make_state(spec, 5)
    a.pos[:] = starts
    b.pos[:] = starts
    for _ in range(40):
        b.same_steps = True
        spec.step(r, a, pot, None)
        spec.step(r, b, pot, None)
    np.testing.assert_array_equal(a.pos, b.pos)


# --- quirks and readings, checked on the references -----------------------------------------

def test_asgd_average_is_the_mean_of_iterates_after_t0():
    """ax: equal to the iterate until t0, then the running mean of the iterates since t0."""
    pot = get_potential("himmelblau")
    opts = dict(lr=1e-3, t0=50.0)
    spec = asgd.SPEC
    r = RuleStandIn(spec, **opts)
    s = make_state(spec, 1)
    s.pos[0] = (0.5, -1.2)
    path = []
    for k in range(120):
        spec.step(r, s, pot, None)
        path.append(s.pos[0].copy())
        if k + 1 <= 52:
            np.testing.assert_array_equal(s.buf_b[0], s.pos[0])
    # mu = 1 / max(1, t - t0) set after step t is used at step t + 1: ax = x_t up to t = t0 + 2,
    # then ax_k = mean(x_(t0+2) .. x_k) (to float32 rounding: mu = 1/k is stored in float32)
    np.testing.assert_allclose(s.buf_b[0], np.mean(path[51:], axis=0), rtol=1e-7)
    ref = ASGDRef(**{**TORCH_DEFAULTS["asgd"], **opts})
    p = np.array((0.5, -1.2))
    for _ in range(120):
        p = ref.step(p, pot.grad(p[None])[0])
    np.testing.assert_allclose(s.buf_b[0], ref.ax, rtol=1e-12)


def test_asgd_linear_map_when_lambd_is_zero():
    """With lambd 0 the step is x <- x - eta (lam + wd) x, eta = lr in float32; else None."""
    class Quad:
        def __init__(self, lam):
            self.lam = lam

        def grad(self, pos, out=None):
            out = np.empty_like(pos) if out is None else out
            np.multiply(pos, self.lam, out=out)
            return out

    for lam, wd in ((0.7, 0.0), (3.0, 0.2)):
        r = RuleStandIn(asgd.SPEC, lr=0.01, lambd=0.0, weight_decay=wd)
        s = make_state(asgd.SPEC, 1)
        s.pos[0] = (1.0, -2.0)
        x = s.pos[0].copy()
        for _ in range(5):
            asgd.SPEC.step(r, s, Quad(lam), None)
            x = asgd.SPEC.linear_map(r, lam)[0, 0] * x
        np.testing.assert_allclose(s.pos[0], x, rtol=1e-14)
        assert asgd.SPEC.linear_map(r, lam)[0, 0] == pytest.approx(1 - float(np.float32(0.01)) * (lam + wd), rel=1e-15)
    assert asgd.SPEC.linear_map(RuleStandIn(asgd.SPEC), 1.0) is None


@pytest.mark.parametrize("name", [n for n in MODULES if n != "asgd"])
def test_adaptive_rules_claim_no_linear_map(name):
    r = RuleStandIn(MODULES[name].SPEC)
    spec = MODULES[name].SPEC
    assert spec.linear_map(r, 1.0) is None and spec.modified_loss(r) is None and spec.noise_factor(r) is None
    reading = spec.reading(r)
    assert reading is not None and reading.sentence


def test_radam_first_steps_are_momentum_sgd():
    """rho_t <= 5 for the first 5 steps at beta2 0.999 (the reading's count): those steps move
    by lr * m_hat exactly (no preconditioner); from the 6th on the step is rectified."""
    ref = RAdamRef(lr=0.01)
    p = np.array((1.0, -2.0))
    pot = get_potential("himmelblau")
    m = np.zeros(2)
    for k in range(1, 9):
        g = pot.grad(p[None])[0]
        new = ref.step(p, g)
        m = 0.9 * m + 0.1 * g
        if k <= 5:
            np.testing.assert_allclose(p - new, 0.01 * m / (1 - 0.9**k), rtol=1e-13)
        p = new
    n = int(radam.SPEC.reading(RuleStandIn(radam.SPEC)).numbers["momentum_ticks"])
    assert ref.rectified == [False] * 5 + [True] * 3 and n == 5


def test_adamax_speed_limit_holds():
    """|dx_i| <= the reading's limit on every tick, for a cloud of balls on rastrigin."""
    pot = get_potential("rastrigin")
    spec = adamax.SPEC
    r = RuleStandIn(spec, lr=0.05)
    limit = spec.reading(r).numbers["speed_limit"]
    s = make_state(spec, 400)
    s.pos[:] = np.random.default_rng(1).uniform(-5, 5, (400, 2))
    worst = 0.0
    for _ in range(300):
        before = s.pos.copy()
        spec.step(r, s, pot, None)
        worst = max(worst, float(np.abs(s.pos - before).max()))
    assert worst <= limit * (1 + 1e-12)
    assert worst > 0.9 * r.lr  # and the limit is not loose by much: it is a speed limit


def test_rprop_moves_each_coordinate_by_its_step_size_or_not_at_all():
    pot = get_potential("himmelblau")
    spec = rprop.SPEC
    r = RuleStandIn(spec, lr=0.01, step_sizes=(1e-3, 0.2))
    s = make_state(spec, 300)
    s.pos[:] = np.random.default_rng(2).uniform(-4, 4, (300, 2))
    for _ in range(200):
        before = s.pos.copy()
        spec.step(r, s, pot, None)
        d = np.abs(s.pos - before)
        moved = d > 0
        assert (d[moved] >= 1e-3 * (1 - 1e-9)).all() and (d <= 0.2 * (1 + 1e-12)).all()


def test_adafactor_relative_speed_limit():
    """RMS(dx) <= d max(eps2, RMS(x)) min(lr, 1/sqrt(t)) on every tick (x before the step)."""
    pot = get_potential("himmelblau")
    spec = adafactor.SPEC
    r = RuleStandIn(spec, lr=0.05, d=1.0)
    s = make_state(spec, 300)
    s.pos[:] = np.random.default_rng(4).uniform(-4, 4, (300, 2))
    for t in range(1, 301):
        before = s.pos.copy()
        spec.step(r, s, pot, None)
        step_rms = np.sqrt(((s.pos - before) ** 2).mean(axis=1))
        cap = np.maximum(1e-3, np.sqrt((before**2).mean(axis=1))) * min(0.05, 1 / math.sqrt(t))
        assert (step_rms <= cap * (1 + 1e-12)).all()


def test_adadelta_first_step_bound():
    pot = get_potential("rosenbrock")
    spec = adadelta.SPEC
    r = RuleStandIn(spec)
    bound = spec.reading(r).numbers["first_step_max"]
    assert bound == pytest.approx(math.sqrt(1e-6 / 0.1))
    s = make_state(spec, 200)
    s.pos[:] = np.random.default_rng(5).uniform(-2, 2, (200, 2))
    before = s.pos.copy()
    spec.step(r, s, pot, None)
    d = np.abs(s.pos - before)
    assert d.max() <= bound and d.max() > 0.99 * bound


def test_nadam_mu_product_is_float32_like_torch():
    """torch rounds mu_product to float32 each step: the path differs from a float64
    mu_product by far more than rounding, and the rule sides with torch."""
    pot = get_potential("himmelblau")
    opts = dict(lr=0.01)
    ref32 = reference_path("nadam", pot, (0.5, -1.2), 50, opts)[-1]
    ref64 = NAdamRef(**torch_kwargs("nadam", opts), scalar_dtype=np.float64)
    p = np.array((0.5, -1.2))
    for _ in range(50):
        p = ref64.step(p, pot.grad(p[None])[0])
    got = rule_path("nadam", pot, (0.5, -1.2), 50, opts)[-1]
    assert np.abs(got - ref32).max() <= 1e-13
    assert np.abs(ref32 - p).max() > 1e-11


# --- through the program: a World with the registered rules ------------------------------------

@pytest.mark.parametrize("name", list(MODULES))
def test_scene_save_and_load_mid_run_continues_bit_for_bit(name, tmp_path):
    """Balls dropped at two times, saved to a TOML scene mid-run (buffers, step counts, float32
    scalars and all), loaded and run on: the same bits as the run that never stopped."""
    from sim.scene.io import load_scene, save_scene
    from sim.rules.dynamics import Rule
    from sim.core.world import World

    opts = dict(SETTINGS[name][0])
    if name == "asgd":
        opts["lr"] = 1e-3
    pot = get_potential("himmelblau")

    def fresh():
        w = World(pot, Rule(name, **opts), seed=1)
        w.drop(np.array([[0.5, -1.2], [-2.0, 2.5]]))
        w.tick(7)
        w.drop(np.array([[3.5, -1.0]]))
        w.tick(60)
        return w

    a, b = fresh(), fresh()
    save_scene(a, tmp_path / "mid.toml")
    c, _ = load_scene(tmp_path / "mid.toml")
    assert c.rule == b.rule
    b.tick(100)
    c.tick(100)
    np.testing.assert_array_equal(c.particles.pos, b.particles.pos)
    np.testing.assert_array_equal(c.particles.steps, b.particles.steps)
